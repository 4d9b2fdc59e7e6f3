"""The runs table of an experiment: query-string state, one SQL-paged page, columns, CSV rows.

All state lives in the query string so that every view is a bookmarkable URL:
``q`` (filter, the search grammar), ``sort`` and ``dir``, ``col`` (repeated, chosen columns;
``cols=1`` marks an explicit choice), ``n`` (page size), ``page_token`` and ``start`` (the offset,
for display only). Sorting and paging happen in the store's SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from autolog._core._process import PROCESS, StatePart
from autolog.ui._format import csv_safe, duration_ms, iso_time

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
DEFAULT_PARAM_COLUMNS = 6
DEFAULT_METRIC_COLUMNS = 8
MAX_CHOOSER_KEYS = 300
CSV_BATCH = 1000
ATTRIBUTE_SORTS = {
    "status": "attributes.status",
    "name": "attributes.run_name",
    "start": "attributes.start_time",
    "end": "attributes.end_time",
}
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class RunsQuery:
    """The runs-table state parsed from a request's query string."""

    filter: str = ""
    sort: str = "start"
    descending: bool = True
    columns: list | None = None  # None: choose automatically
    page_size: int = DEFAULT_PAGE_SIZE
    page_token: str | None = None
    start: int = 0

    @classmethod
    def from_params(cls, params) -> RunsQuery:
        """Parse Starlette ``QueryParams`` (or any mapping with ``getlist``)."""
        chosen = params.getlist("col")
        return cls(
            filter=params.get("q", "").strip(),
            sort=params.get("sort") or "start",
            descending=params.get("dir", "desc") != "asc",
            columns=[c for c in chosen if _is_column(c)] if (chosen or params.get("cols")) else None,
            page_size=_int_in(params.get("n"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
            page_token=params.get("page_token") or None,
            start=_int_in(params.get("start"), 0, 0, 10**9),
        )

    def order_by(self) -> list:
        """The store's ``order_by`` for this sort, with the run id as a stable tie-breaker."""
        key = ATTRIBUTE_SORTS.get(self.sort) or (
            sort_expression(self.sort) if _is_column(self.sort) else None
        )
        key = key or ATTRIBUTE_SORTS["start"]
        direction = "DESC" if self.descending else "ASC"
        return [f"{key} {direction}"]

    def base_params(self) -> dict:
        """Query parameters that describe the view (not the page position)."""
        params: dict[str, Any] = {
            "q": self.filter or None,
            "sort": self.sort,
            "dir": "desc" if self.descending else "asc",
        }
        if self.columns is not None:
            params.update(cols="1", col=list(self.columns))
        if self.page_size != DEFAULT_PAGE_SIZE:
            params["n"] = self.page_size
        return params


def _int_in(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(raw))) if raw else default
    except ValueError:
        return default


def _is_column(name: str) -> bool:
    kind, _, key = name.partition(".")
    return kind in ("params", "metrics", "tags") and bool(key) and "`" not in key


def sort_expression(column: str) -> str:
    """``metrics.acc`` as the search grammar wants it (backticks around unusual keys)."""
    kind, _, key = column.partition(".")
    return f"{kind}.{key}" if _PLAIN_KEY.match(key) else f"{kind}.`{key}`"


@dataclass
class RunsPage:
    """One page of runs, grouped (children after their parent) and with its column keys."""

    rows: list
    total: int
    next_token: str | None
    params: list
    metrics: list
    available_params: list = field(default_factory=list)
    available_metrics: list = field(default_factory=list)
    key_count: int = 0


@dataclass
class Row:
    run: object
    depth: int = 0
    children: int = 0
    parent_elsewhere: str | None = None


def fetch_page(store, experiment_ids, query: RunsQuery, *, column_filter: str = "") -> RunsPage:
    """Run the search (SQL filter, sort and paging) and the count for one page of the table.

    The column chooser lists the experiments' keys (those containing ``column_filter``), at most
    ``MAX_CHOOSER_KEYS`` of each kind; by default the table shows the most recently logged
    metrics, then the params whose values differ between runs.
    """
    ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
    # The count scans every match while the page stops at its limit: run both at once (SQLite in
    # WAL mode and PostgreSQL both serve concurrent readers), so the page costs the slower of two.
    counting = _count_pool().submit(store.count_runs, ids, filter_string=query.filter)
    listing = _count_pool().submit(store.experiment_keys, ids)
    try:
        runs = store.search_runs(
            ids,
            filter_string=query.filter,
            max_results=query.page_size,
            order_by=query.order_by(),
            page_token=query.page_token,
        )
    finally:
        total = counting.result()
        keys = listing.result()
    recent_metrics = [k for k, _, _ in keys.metrics]
    varying = keys.varying_params()
    shown_params, shown_metrics = _shown_columns(query, varying, recent_metrics)
    needle = column_filter.lower()
    params = [k for k in _params_varying_first(keys, varying) if needle in k.lower()]
    metrics = [k for k in recent_metrics if needle in k.lower()]
    return RunsPage(
        rows=group_children(runs),
        total=total,
        next_token=runs.token,
        params=shown_params,
        metrics=shown_metrics,
        available_params=params[:MAX_CHOOSER_KEYS],
        available_metrics=metrics[:MAX_CHOOSER_KEYS],
        key_count=len(keys.metrics) + len(keys.params),
    )


def _params_varying_first(keys, varying: list) -> list:
    chosen = set(varying)
    return varying + [k for k, _, _ in keys.params if k not in chosen]


class _CountPool(StatePart):
    """The threads counting matching runs while a page is read, started on first use."""

    def __init__(self) -> None:
        self.pool = None

    def reset(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        _CountPool.__init__(self)


_counting = PROCESS.part("ui.count_pool", _CountPool)


def _count_pool():
    if _counting.pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _counting.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="autolog-ui-count")
    return _counting.pool


def _shown_columns(query: RunsQuery, params: list, metrics: list) -> tuple:
    if query.columns is None:
        return params[:DEFAULT_PARAM_COLUMNS], metrics[:DEFAULT_METRIC_COLUMNS]
    shown_params = [c.partition(".")[2] for c in query.columns if c.startswith("params.")]
    shown_metrics = [c.partition(".")[2] for c in query.columns if c.startswith("metrics.")]
    return shown_params, shown_metrics


def group_children(runs) -> list:
    """Order a page so that each child run follows its parent when the parent is on the page."""
    on_page = {r.info.run_id for r in runs}
    children: dict = {}
    for run in runs:
        parent = run.info.parent_run_id
        if parent and parent in on_page:
            children.setdefault(parent, []).append(run)
    rows = []
    for run in runs:
        parent = run.info.parent_run_id
        if parent and parent in on_page:
            continue
        kids = children.get(run.info.run_id, [])
        rows.append(Row(run, children=len(kids), parent_elsewhere=parent))
        rows.extend(Row(kid, depth=1) for kid in kids)
    return rows


def csv_header(page_params: list, page_metrics: list) -> list:
    fixed = ["run_id", "run_name", "status", "start_time", "end_time", "duration_s", "parent_run_id"]
    return fixed + [f"params.{k}" for k in page_params] + [f"metrics.{k}" for k in page_metrics]


def csv_row(run, page_params: list, page_metrics: list) -> list:
    info, data = run.info, run.data
    duration = duration_ms(info.start_time, info.end_time)
    row = [
        info.run_id,
        csv_safe(info.run_name or ""),
        info.status,
        iso_time(info.start_time),
        iso_time(info.end_time),
        "" if duration is None else duration / 1000,
        info.parent_run_id or "",
    ]
    row += [csv_safe(data.params.get(k, "")) for k in page_params]
    row += [_csv_number(data.metrics.get(k)) for k in page_metrics]
    return row


def _csv_number(value) -> str:
    return "" if value is None else repr(float(value))


def iter_all_runs(store, experiment_id: str, query: RunsQuery):
    """Every run matching the filter, in table order, fetched page by page."""
    token = None
    while True:
        runs = store.search_runs(
            [experiment_id],
            filter_string=query.filter,
            max_results=CSV_BATCH,
            order_by=query.order_by(),
            page_token=token,
        )
        yield from runs
        token = runs.token
        if not token:
            return
