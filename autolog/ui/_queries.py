"""Read models for the pages and the API: experiment summaries, the run overview, compare data."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from autolog._core._constants import (
    NOTE_TAG,
    TAG_GIT_BRANCH,
    TAG_GIT_COMMIT,
    TAG_GIT_DIRTY,
    TAG_GIT_REPO,
    TAG_SOURCE_NAME,
    TAG_USER,
)
from autolog._core._entities import Experiment
from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog._run_diff import dataset_fingerprints
from autolog.ui._format import duration_ms

MAX_COMPARE_RUNS = 200
SYSTEM_TAG_PREFIX = "autolog."


@dataclass
class ExperimentSummary:
    experiment: Experiment
    run_count: int
    last_activity: int | None

    def to_dict(self) -> dict:
        e = self.experiment
        return {
            "experiment_id": e.experiment_id,
            "name": e.name,
            "lifecycle_stage": e.lifecycle_stage,
            "artifact_location": e.artifact_location,
            "tags": dict(e.tags or {}),
            "creation_time": e.creation_time,
            "last_update_time": e.last_update_time,
            "run_count": self.run_count,
            "last_activity": self.last_activity,
        }


def experiment_summaries(client, name_query: str = "") -> list:
    """Active experiments whose name contains ``name_query``, each with run count and last activity."""
    pattern = f"%{name_query}%" if name_query else None
    experiments = client.search_experiments(name_like=pattern)
    return [summarize_experiment(client.store, e) for e in experiments]


def summarize_experiment(store, experiment) -> ExperimentSummary:
    """Count the runs and find the latest run start (two indexed SQL queries)."""
    experiment_id = experiment.experiment_id
    count = store.count_runs([experiment_id])
    latest = store.search_runs([experiment_id], max_results=1, order_by=["attributes.start_time DESC"])
    times = [t for t in (experiment.last_update_time, latest[0].info.start_time if latest else None) if t]
    return ExperimentSummary(experiment, count, max(times) if times else None)


def run_to_dict(run) -> dict:
    """A JSON-ready run (non-finite metric values as strings are left to the caller)."""
    info = run.info
    return {
        "info": {
            "run_id": info.run_id,
            "experiment_id": info.experiment_id,
            "run_name": info.run_name,
            "status": info.status,
            "start_time": info.start_time,
            "end_time": info.end_time,
            "duration_ms": duration_ms(info.start_time, info.end_time),
            "user_id": info.user_id,
            "source": info.source,
            "parent_run_id": info.parent_run_id,
            "lifecycle_stage": info.lifecycle_stage,
            "artifact_uri": info.artifact_uri,
        },
        "data": {
            "params": dict(run.data.params),
            "metrics": dict(run.data.metrics),
            "tags": dict(run.data.tags),
        },
    }


def metric_to_dict(metric) -> dict:
    return {"step": metric.step, "value": metric.value, "timestamp": metric.timestamp}


@dataclass
class RunOverview:
    """The facts at the top of a run page, pulled from the run's info and tags."""

    user: str | None
    source: str | None
    git_commit: str | None
    git_branch: str | None
    git_dirty: str | None
    git_repo: str | None
    estimator: str | None
    datasets: dict
    system_tags: dict
    user_tags: dict
    metric_steps: dict = field(default_factory=dict)  # key -> (first step, last step)
    note: str = ""

    @property
    def charted(self) -> list:
        """Metrics worth a chart: more than one step, or any metric while the run is running."""
        return [k for k, (first, last) in sorted(self.metric_steps.items()) if last != first or self.running]

    running: bool = False


def run_overview(client, run) -> RunOverview:
    """Collect the overview facts and the number of recorded points of every metric."""
    tags = run.data.tags
    system = {k: v for k, v in tags.items() if k.startswith(SYSTEM_TAG_PREFIX)}
    return RunOverview(
        user=tags.get(TAG_USER) or run.info.user_id,
        source=tags.get(TAG_SOURCE_NAME) or run.info.source,
        git_commit=tags.get(TAG_GIT_COMMIT),
        git_branch=tags.get(TAG_GIT_BRANCH),
        git_dirty=tags.get(TAG_GIT_DIRTY),
        git_repo=tags.get(TAG_GIT_REPO),
        estimator=_estimator(tags),
        datasets=dataset_fingerprints(tags),
        system_tags=dict(sorted(system.items())),
        user_tags=dict(sorted((k, v) for k, v in tags.items() if k not in system and k != NOTE_TAG)),
        metric_steps=client.store.metric_step_ranges(run.info.run_id),
        note=tags.get(NOTE_TAG, ""),
        running=run.info.status == "RUNNING",
    )


def _estimator(tags: dict) -> str | None:
    for key in (
        "autolog.estimator.class",
        "autolog.estimator_class",
        "estimator_class",
        "autolog.estimator.name",
        "autolog.estimator_name",
        "estimator_name",
    ):
        if tags.get(key):
            return tags[key]
    return next(
        (v for k, v in sorted(tags.items()) if "estimator" in k.lower() and "class" in k.lower()), None
    )


def get_runs(client, run_ids: list) -> list:
    """The runs named in a compare/diff request (duplicates dropped, at most 200), in one batch."""
    unique = list(dict.fromkeys(r.strip() for r in run_ids if r.strip()))
    if len(unique) > MAX_COMPARE_RUNS:
        raise InvalidInputError(f"compare at most {MAX_COMPARE_RUNS} runs at once ({len(unique)} given)")
    return client.store.get_runs(unique)


@dataclass
class CompareRow:
    key: str
    values: list
    differs: bool


def compare_rows(runs: list, section: str) -> list:
    """One row per param or metric key present in any run, flagged when values differ."""
    mappings = [getattr(r.data, section) for r in runs]
    keys = sorted(set().union(*mappings)) if mappings else []
    rows = []
    for key in keys:
        values = [m.get(key) for m in mappings]
        rows.append(CompareRow(key, values, len({_comparable(v) for v in values}) > 1))
    return rows


def _comparable(value):
    return "nan" if isinstance(value, float) and math.isnan(value) else value


@dataclass
class ScatterPoint:
    run_id: str
    label: str
    x_label: str
    y_value: float
    cx: float = 0.0
    cy: float = 0.0


@dataclass
class Scatter:
    """A server-rendered SVG scatter of one param (x) against one metric (y)."""

    x_key: str | None
    y_key: str | None
    points: list
    x_ticks: list
    y_ticks: list
    width: int = 640
    height: int = 320
    left: int = 64
    bottom: int = 40


def param_metric_scatter(runs: list, x_key: str | None, y_key: str | None) -> Scatter:
    """Place each run at (param value, metric value); numeric params on a linear axis."""
    scatter = Scatter(x_key, y_key, [], [], [])
    if not x_key or not y_key:
        return scatter
    points = [(r, r.data.params.get(x_key), r.data.metrics.get(y_key)) for r in runs]
    points = [(r, x, y) for r, x, y in points if x is not None and y is not None and math.isfinite(y)]
    if not points:
        return scatter
    x_positions, scatter.x_ticks = _x_axis([x for _, x, _ in points], scatter)
    ys = [y for _, _, y in points]
    y_low, y_high = _padded_range(min(ys), max(ys))
    plot_h = scatter.height - scatter.bottom - 16
    for (run, x, y), cx in zip(points, x_positions):
        cy = 16 + plot_h * (1 - (y - y_low) / (y_high - y_low))
        scatter.points.append(
            ScatterPoint(run.info.run_id, run.info.run_name or run.info.run_id[:8], x, y, cx, cy)
        )
    scatter.y_ticks = [(16 + plot_h * (1 - i / 4), y_low + (y_high - y_low) * i / 4) for i in range(5)]
    return scatter


def _x_axis(values: list, scatter: Scatter) -> tuple:
    left, right = scatter.left + 16, scatter.width - 24
    numbers = _as_numbers(values)
    if numbers is not None:
        low, high = _padded_range(min(numbers), max(numbers))
        positions = [left + (right - left) * (n - low) / (high - low) for n in numbers]
        ticks = [(left + (right - left) * i / 4, f"{low + (high - low) * i / 4:.3g}") for i in range(5)]
        return positions, ticks
    categories = sorted(set(values))
    step = (right - left) / max(1, len(categories) - 1) if len(categories) > 1 else 0
    where = {
        c: left + step * i if len(categories) > 1 else (left + right) / 2 for i, c in enumerate(categories)
    }
    return [where[v] for v in values], [(where[c], c[:14]) for c in categories]


def _as_numbers(values: list) -> list | None:
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        return None
    return numbers if all(math.isfinite(n) for n in numbers) else None


def _padded_range(low: float, high: float) -> tuple:
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * 0.08
    return low - pad, high + pad


def find_run_or_404(client, run_id: str):
    """``client.get_run``, also accepting a unique id prefix; a malformed id is NotFoundError too."""
    try:
        return client.get_run(run_id)
    except NotFoundError:
        matches = client.store.find_run_ids(run_id, limit=2)
        if len(matches) != 1:
            raise
        return client.get_run(matches[0])
    except InvalidInputError as exc:
        raise NotFoundError(str(exc)) from exc


def prepare_long_histories(store, run_id: str, metric_steps: dict) -> None:
    """Start building the down-sampling envelope of very long series in the background, so that
    the chart's request (sent once the page has loaded) finds it ready or half-built."""
    from autolog.store._history import LARGE_SPAN
    from autolog.ui._runs_table import _count_pool

    for key, (first, last) in metric_steps.items():
        if last - first > LARGE_SPAN:
            _count_pool().submit(_warm, store, run_id, key)


def _warm(store, run_id: str, key: str) -> None:
    try:
        store.sample_metric_histories([run_id], key)
    except Exception:  # only a head start: the chart's own request reports any error
        pass
