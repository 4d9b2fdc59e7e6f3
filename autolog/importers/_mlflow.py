"""``import_mlflow``: copy an MLflow tracking store into an autolog store.

MLflow is read by MLflow's own client in a child process running ``_mlflow_export.py`` (this
interpreter when ``autolog[mlflow-import]`` is installed, else the interpreter given as
``mlflow_python``), so nothing of MLflow is imported here and every MLflow backend and schema
version is read the way MLflow reads it. The child streams JSON lines; this side writes them
through the Store contract. Run ids are kept; a run is complete once it carries the tag
``autolog.import.source``, written last, so a re-run skips complete runs and redoes a run a
crash left half-written.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from autolog._core._entities import Metric, RunStatus, ViewType
from autolog._core._exceptions import AutologError, InvalidInputError, NotFoundError
from autolog.importers._mlflow_models import import_logged_model
from autolog.importers._progress import Progress

IMPORTED_TAG = "autolog.import.source"
MLFLOW_MODELS_TAG = "autolog.import.mlflow_models"
MLFLOW_VERSION_TAG = "autolog.import.mlflow_version"
_EXPORTER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_mlflow_export.py")
_BATCH = 1000
# MLflow's system tags that have an autolog equivalent; every other tag is kept as it is.
TAG_MAP = {
    "mlflow.user": "autolog.user",
    "mlflow.source.name": "autolog.source.name",
    "mlflow.source.git.commit": "autolog.git.commit",
    "mlflow.source.git.branch": "autolog.git.branch",
    "mlflow.source.git.repoURL": "autolog.git.remote",
}
_CONSUMED_TAGS = {"mlflow.runName", "mlflow.parentRunId"}  # become the run's name and parent


@dataclass
class ImportReport:
    """What an import did: counts, and the items skipped or failed with their reasons."""

    source: str
    dry_run: bool = False
    counts: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    plain_models: list = field(default_factory=list)

    def add(self, what: str, number: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + number

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "imported": dict(self.counts),
            "skipped": [{"item": i, "reason": r} for i, r in self.skipped],
            "failed": [{"item": i, "reason": r} for i, r in self.failed],
            "models_imported_as_plain_artifacts": list(self.plain_models),
        }


def import_mlflow(
    source: str,
    *,
    tracking_uri: str | None = None,
    experiments: Sequence[str] = (),
    dry_run: bool = False,
    mlflow_python: str | None = None,
    progress: IO[str] | None = None,
) -> ImportReport:
    """Import an MLflow tracking store into the autolog store at ``tracking_uri``.

    Parameters
    ----------
    source : str
        An MLflow tracking URI: ``sqlite:///mlflow.db``, an ``mlruns`` directory,
        ``postgresql://...`` or ``http://host:port``. It is only read.
    tracking_uri : str, optional
        The autolog store (default: the tracking URI in effect).
    experiments : sequence of str
        Only these MLflow experiments (by name); all by default.
    dry_run : bool
        Count what would be imported; write nothing.
    mlflow_python : str, optional
        A Python interpreter with ``mlflow`` installed, used to read the source (default: this
        one, which then needs ``pip install 'autolog[mlflow-import]'``).
    progress : text stream, optional
        Where to draw a progress bar (e.g. ``sys.stderr``); none by default.

    Returns
    -------
    ImportReport

    Raises
    ------
    MissingDependencyError
        No ``mlflow_python`` given and ``mlflow`` is not installed here.
    AutologError
        MLflow could not read the source (its message is included).
    """
    from autolog.tracking._uri import get_store, resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri)
    importer = _Importer(get_store(uri), uri, ImportReport(_display_uri(source), dry_run), dry_run)
    with tempfile.TemporaryDirectory(prefix="autolog-mlflow-import-") as work_dir:
        skip_file = os.path.join(work_dir, "skip.txt")
        with open(skip_file, "w") as f:
            f.write("\n".join(importer.complete_run_ids()))
        command = [
            _python(mlflow_python),
            _EXPORTER,
            source,
            os.path.join(work_dir, "files"),
            "--skip",
            skip_file,
            *(f"--experiment={name}" for name in experiments),
        ]
        if dry_run:
            command.append("--dry-run")
        importer.consume(_exporter_lines(command), Progress(progress))
    return importer.report


def _python(mlflow_python: str | None) -> str:
    if mlflow_python:
        return mlflow_python
    if importlib.util.find_spec("mlflow") is None:
        from autolog.models._serialization import MissingDependencyError

        raise MissingDependencyError(
            "importing from MLflow needs MLflow: pip install 'autolog[mlflow-import]', or give "
            "--mlflow-python PATH, a Python interpreter of a virtualenv that has mlflow"
        )
    return sys.executable


def _display_uri(uri: str) -> str:
    """The URI without a password (``postgresql://user:secret@host`` -> ``user:***@host``)."""
    return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", uri)


class _Exporter:
    """The child process: JSON lines in, an acknowledgement out once a run's files are copied."""

    def __init__(self, command: list):
        # MLflow 3.17 refuses to open an ./mlruns file store unless allowed: reading one to move
        # away from it is the case the switch exists for.
        env = {"MLFLOW_ALLOW_FILE_STORE": "true", **os.environ, "PYTHONUNBUFFERED": "1"}
        # stderr goes to a file: MLflow's warnings must not fill a pipe nobody reads until the end.
        self.errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            env=env,
        )

    def records(self) -> Iterable[dict]:
        assert self.process.stdout is not None  # stdout=PIPE
        for line in self.process.stdout:
            yield json.loads(line)

    def acknowledge(self) -> None:
        assert self.process.stdin is not None  # stdin=PIPE
        self.process.stdin.write("\n")
        self.process.stdin.flush()

    def finish(self) -> None:
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
        except BrokenPipeError:  # the reader already exited; its status says why
            pass
        status = self.process.wait()
        self.errors.seek(0)
        stderr = self.errors.read()
        self.errors.close()
        if status != 0:
            last = [line for line in stderr.strip().splitlines() if line.strip()][-1:] or ["no output"]
            raise AutologError(f"MLflow could not read the source: {last[0]}")


def _exporter_lines(command: list) -> _Exporter:
    return _Exporter(command)


class _Importer:
    def __init__(self, store: Any, tracking_uri: str, report: ImportReport, dry_run: bool):
        self.store, self.tracking_uri, self.report, self.dry_run = store, tracking_uri, report, dry_run
        self.experiment_ids: dict[str, str] = {}  # MLflow experiment id -> autolog's
        self.deleted_experiments: list[str] = []
        self.logged_models: dict[str, tuple[str, str]] = {}  # MLflow model id -> (run id, path)

    def complete_run_ids(self) -> list[str]:
        ids: list[str] = []
        experiment_ids = [e.experiment_id for e in self.store.search_experiments(ViewType.ALL)]
        token = None
        while experiment_ids:
            page = self.store.search_runs(
                experiment_ids,
                f"tags.`{IMPORTED_TAG}` LIKE 'mlflow:%'",
                view_type=ViewType.ALL,
                max_results=50000,
                page_token=token,
            )
            ids.extend(run.info.run_id for run in page)
            token = page.token
            if not token:
                break
        return ids

    def consume(self, exporter: _Exporter, progress: Progress) -> None:
        try:
            for record in exporter.records():
                handler = getattr(self, f"_on_{record['kind']}")
                handler(record, exporter, progress)
        finally:
            progress.close()
            exporter.finish()
        for experiment_id in self.deleted_experiments:
            self.store.delete_experiment(experiment_id)

    def _on_source(self, record, exporter, progress) -> None:
        self.report.counts["mlflow_version"] = record["mlflow_version"]

    def _on_plan(self, record, exporter, progress) -> None:
        progress.start(record["runs"], "runs")

    def _on_end(self, record, exporter, progress) -> None:
        pass

    def _on_experiment(self, record, exporter, progress) -> None:
        existing = self.store.get_experiment_by_name(record["name"])
        if existing is not None:
            self.experiment_ids[record["experiment_id"]] = existing.experiment_id
            self.report.skipped.append((f"experiment {record['name']!r}", "exists; its runs are added to it"))
            return
        self.report.add("experiments")
        if self.dry_run:
            return
        tags = {k: v for k, v in record["tags"].items() if not k.startswith("mlflow.")}
        tags["mlflow.experiment_id"] = record["experiment_id"]
        new_id = self.store.create_experiment(record["name"], tags=tags)
        self.experiment_ids[record["experiment_id"]] = new_id
        if record["lifecycle_stage"] == "deleted":
            self.deleted_experiments.append(new_id)

    def _on_run(self, record, exporter, progress) -> None:
        run_id = record["run_id"]
        try:
            if record.get("skipped"):
                self.report.skipped.append((f"run {run_id}", "already imported"))
            elif record.get("error"):
                self.report.failed.append((f"run {run_id}", f"MLflow could not read it: {record['error']}"))
            elif self.dry_run:
                self.report.add("runs")
            else:
                self._import_run(record)
        except AutologError as exc:
            self.report.failed.append((f"run {run_id}", str(exc)))
        finally:
            if record.get("files"):
                shutil.rmtree(_run_folder(record), ignore_errors=True)
                exporter.acknowledge()
            progress.advance()

    def _import_run(self, record: dict) -> None:
        run_id = record["run_id"]
        self._remove_partial_run(run_id)
        tags = dict(record["tags"])
        parent = tags.get("mlflow.parentRunId")
        if parent is not None and not self._run_exists(parent):
            parent = None  # the parent was not imported (filtered out or failed): keep the tag only
        mapped = map_tags(tags, keep_parent_tag=parent is None)
        self.store.create_run(
            self.experiment_ids[record["experiment_id"]],
            run_id=run_id,
            run_name=record["run_name"] or tags.get("mlflow.runName"),
            start_time=record["start_time"],
            tags=mapped,
            params=record["params"],
            parent_run_id=parent,
            user_id=record["user_id"] or tags.get("mlflow.user"),
            source=tags.get("mlflow.source.name"),
        )
        self._log_metrics(run_id, record["metrics"])
        models = self._copy_files(record)
        self._finish(record, models)

    def _remove_partial_run(self, run_id: str) -> None:
        if not self._run_exists(run_id):
            return
        self.store.delete_run(run_id, force=True)
        self.store.purge_deleted_runs([run_id], force=True)

    def _run_exists(self, run_id: str) -> bool:
        try:
            self.store.get_run(run_id)
        except NotFoundError:
            return False
        return True

    def _log_metrics(self, run_id: str, histories: dict) -> None:
        batch: list = []
        for key, values in histories.items():
            for step, timestamp, value in values:
                batch.append(Metric(key, float(value), int(timestamp), int(step)))
                if len(batch) >= _BATCH:
                    self.store.log_batch(run_id, metrics=batch)
                    batch = []
            self.report.add("metric_values", len(values))
        if batch:
            self.store.log_batch(run_id, metrics=batch)

    def _copy_files(self, record: dict) -> dict:
        run_id = record["run_id"]
        repository = self.store.artifacts(run_id)
        if record.get("artifacts_dir"):
            self.report.add(
                "artifact_files", sum(len(files) for _, _, files in os.walk(record["artifacts_dir"]))
            )
            repository.log_artifacts(record["artifacts_dir"])
        models = {}
        for model in record.get("artifact_models", []) + record.get("logged_models", []):
            outcome = import_logged_model(model, run_id, repository, self.tracking_uri)
            if model.get("model_id"):
                models[model["model_id"]] = outcome.path
                self.logged_models[model["model_id"]] = (run_id, outcome.path)
            self.report.add("models")
            if not outcome.autolog_model:
                self.report.plain_models.append(f"runs:/{run_id}/{outcome.path} ({outcome.flavors})")
        return models

    def _finish(self, record: dict, models: dict) -> None:
        run_id = record["run_id"]
        tags = {IMPORTED_TAG: f"mlflow:{self.report.source}"}
        if models:
            tags[MLFLOW_MODELS_TAG] = json.dumps(models, sort_keys=True)
        status, end_time = record["status"], record["end_time"]
        if status in RunStatus.TERMINAL:
            self.store.finish_run(run_id, tags=tags, status=status, end_time=end_time or record["start_time"])
        else:
            self.store.log_batch(run_id, tags=tags)
        if record["lifecycle_stage"] == "deleted":
            self.store.delete_run(run_id, force=True)
        self.report.add("runs")

    def _on_registered_model(self, record, exporter, progress) -> None:
        name = record["name"]
        try:
            if self.dry_run:
                self.report.add("registered_models")
                self.report.add("model_versions", len(record["versions"]))
                return
            self._import_registered_model(record)
        except AutologError as exc:
            self.report.failed.append((f"registered model {name!r}", str(exc)))

    def _import_registered_model(self, record: dict) -> None:
        name = record["name"]
        try:
            self.store.get_registered_model(name)
        except NotFoundError:
            self.store.create_registered_model(
                name, tags=record["tags"], description=record["description"] or None
            )
            self.report.add("registered_models")
        done = {
            v.tags.get(MLFLOW_VERSION_TAG): v.version
            for v in self.store.search_model_versions(name, max_results=50000)
        }
        for version in record["versions"]:
            if version["version"] in done:
                self.report.skipped.append((f"model version {name}/{version['version']}", "already imported"))
                continue
            try:
                done[version["version"]] = self._import_version(name, version)
            except AutologError as exc:
                self.report.failed.append((f"model version {name}/{version['version']}", str(exc)))
        for alias, version in record["aliases"].items():
            if version in done and self._alias_target(name, alias) != str(done[version]):
                self.store.set_registered_model_alias(name, alias, done[version])
                self.report.add("aliases")

    def _alias_target(self, name: str, alias: str) -> str | None:
        try:
            return str(self.store.get_model_version_by_alias(name, alias).version)
        except NotFoundError:
            return None

    def _import_version(self, name: str, version: dict) -> str:
        run_id, path = self._version_location(version)
        tags = {**version["tags"], MLFLOW_VERSION_TAG: version["version"]}
        created = self.store.create_model_version(
            name, run_id=run_id, artifact_path=path, tags=tags, description=version["description"] or None
        )
        self.report.add("model_versions")
        return created.version

    def _version_location(self, version: dict) -> tuple[str, str]:
        source, run_id = version["source"] or "", version["run_id"]
        model_id = version.get("model_id") or (
            source[len("models:/") :] if source.startswith("models:/") else None
        )
        if model_id:
            if model_id in self.logged_models:
                return self.logged_models[model_id]
            if run_id and self._run_exists(run_id):
                known = json.loads(self.store.get_run(run_id).data.tags.get(MLFLOW_MODELS_TAG, "{}"))
                if model_id in known:
                    return run_id, known[model_id]
            raise NotFoundError(f"its logged model {model_id} was not imported with run {run_id}")
        if source.startswith("runs:/"):
            run_id, _, path = source[len("runs:/") :].partition("/")
            return run_id, path.strip("/")
        marker = f"/{run_id}/artifacts/"
        if run_id and marker in source:
            return run_id, source.split(marker, 1)[1].strip("/")
        raise InvalidInputError(f"cannot tell which run artifact its source {source!r} is")


def _run_folder(record: dict) -> str:
    """The exporter's folder of this run's files (``WORK/<run_id>/...``)."""
    first = record.get("artifacts_dir") or record["logged_models"][0]["dir"]  # one of them is set
    marker = os.sep + record["run_id"] + os.sep
    return first.split(marker, 1)[0] + marker


def map_tags(tags: dict, *, keep_parent_tag: bool = False) -> dict:
    """MLflow run tags as autolog tags: system tags with an autolog equivalent are renamed."""
    mapped = {}
    for key, value in tags.items():
        if key in _CONSUMED_TAGS and not (keep_parent_tag and key == "mlflow.parentRunId"):
            continue
        mapped[TAG_MAP.get(key, key)] = value
    return mapped


__all__ = ["ImportReport", "import_mlflow", "map_tags"]
