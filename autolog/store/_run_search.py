"""Searching and counting runs in the SQL store: the filter compiled to SQL (by
:mod:`autolog.store._search`), bounded index windows for ordered pages, opaque page tokens."""

from __future__ import annotations

import base64
import binascii
import functools
import json
from typing import TYPE_CHECKING

from autolog._core import _validation
from autolog._core._entities import PagedList, ViewType
from autolog._core._exceptions import InvalidInputError
from autolog.store._sql_common import (
    SqlStoreParts,
    check_max_results,
    effective_status,
    lifecycle_condition,
    run_columns,
    runs_with_data,
    stale_before_ms,
)

if TYPE_CHECKING:
    from autolog.store import _schema as schema
    from autolog.store import _search
else:
    from autolog.store._lazy import LazyModule, schema

    _search = LazyModule("autolog.store._search")  # builds on SQLAlchemy


@functools.cache
def _attribute_columns() -> dict:
    """The column of each run attribute a filter or an order may name."""
    runs = schema.runs
    return {
        "status": effective_status().element,
        "run_name": runs.c.name,
        "run_id": runs.c.run_id,
        "user_id": runs.c.user_id,
        "parent_run_id": runs.c.parent_run_id,
        "start_time": runs.c.start_time,
        "end_time": runs.c.end_time,
    }


@functools.cache
def _key_value_tables() -> dict:
    return {_search.METRIC: schema.latest_metrics, _search.PARAM: schema.params, _search.TAG: schema.tags}


class RunSearchMixin(SqlStoreParts):
    """``search_runs`` and ``count_runs`` of :class:`autolog.store.SqlStore` (uses its engines)."""

    def search_runs(
        self,
        experiment_ids,
        filter_string: str = "",
        view_type: str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Runs of the experiments that match the filter, ordered and paged.

        Parameters
        ----------
        experiment_ids : str or list of str
        filter_string : str
            E.g. ``"metrics.acc > 0.9 and params.C = '1.0' and attributes.status = 'FINISHED'"``.
        view_type : str
            ``ViewType.ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
        max_results : int
            Page size, 1 to 50000.
        order_by : list of str, optional
            E.g. ``["metrics.acc DESC", "params.C"]``; runs missing a key sort last. Ties (and
            the default) order by start time, newest first, then run id.
        page_token : str, optional
            The ``token`` of the previous page.

        Returns
        -------
        PagedList of Run
            ``token`` is ``None`` on the last page.
        """
        limit = check_max_results(max_results)
        offset = _decode_page_token(page_token)
        queries = self._search_queries(experiment_ids, filter_string, view_type, order_by)
        with self._reader().connect() as connection:
            rows = _search_rows(connection, queries, limit, offset)
            page = runs_with_data(connection, rows[:limit], self._store_root)
        token = _encode_page_token(offset + limit) if len(rows) > limit else None
        return PagedList(page, token)

    def count_runs(
        self, experiment_ids, filter_string: str = "", view_type: str = ViewType.ACTIVE_ONLY
    ) -> int:
        """How many runs :meth:`search_runs` would return over all pages."""
        queries = self._search_queries(experiment_ids, filter_string, view_type, None)
        with self._reader().connect() as connection:
            return connection.execute(queries.count, {"stale_before": stale_before_ms()}).scalar_one()

    def _search_queries(self, experiment_ids, filter_string, view_type, order_by):
        ids = [experiment_ids] if isinstance(experiment_ids, (str, int)) else list(experiment_ids)
        numbers = tuple(_validation.experiment_id(item) for item in ids)
        if isinstance(order_by, str):
            order_by = [order_by]
        if filter_string is not None and not isinstance(filter_string, str):
            raise InvalidInputError(f"filter must be a string, got {type(filter_string).__name__}")
        lifecycle_condition(schema.runs.c.lifecycle_stage, view_type)  # validates view_type
        return _cached_search_queries(
            filter_string or "",
            tuple(order_by or ()),
            view_type,
            numbers,
            self._reader().dialect.name,
        )


@functools.lru_cache(maxsize=256)
def _cached_search_queries(filter_string, order_by, view_type, experiment_numbers, dialect_name):
    # Statements are cached whole (values included): building them costs more than running them.
    return _search.build_search_queries(
        _search.parse_filter(filter_string),
        _search.parse_order_by(list(order_by)),
        columns=run_columns(),
        base_conditions=[
            schema.runs.c.experiment_id.in_(experiment_numbers),
            lifecycle_condition(schema.runs.c.lifecycle_stage, view_type),
        ],
        runs=schema.runs,
        key_value_tables=_key_value_tables(),
        attribute_column=_attribute_columns().__getitem__,
        nullable_attributes=("end_time", "run_name", "user_id"),
        dialect_name=dialect_name,
    )


_WINDOW_MIN_ENTRIES = 1000
_WINDOW_FACTOR = 10  # index entries scanned per wanted row, for filters matching 1 in 10
_WINDOW_GROWTH = 4  # a window that yields less than a page is retried this many times larger
_WINDOW_MAX_ENTRIES = 65536  # ... while it spans at most this many index entries


def _search_rows(connection, queries, limit: int, offset: int) -> list:
    """Up to ``limit + 1`` rows from ``offset``; tries bounded index windows first.

    The window scans the order index and stops at the page, so a larger window only costs more
    when the filter is selective: it grows geometrically (the failed scans cost at most a third
    of the last one) until it yields a page, covers the whole index, or passes the cap.
    """
    parameters = {"stale_before": stale_before_ms()}
    wanted = offset + limit + 1
    if queries.window is not None:
        budget = max(_WINDOW_MIN_ENTRIES, _WINDOW_FACTOR * wanted)
        window = queries.window.limit(limit + 1).offset(offset)
        while True:
            boundary = connection.execute(queries.boundary, {"boundary_offset": budget}).scalar()
            if boundary is None:
                break  # the index holds fewer entries: runs without the key may be needed
            rows = connection.execute(window, {**parameters, "window_boundary": boundary}).all()
            if len(rows) > limit:
                return rows
            if budget >= _WINDOW_MAX_ENTRIES:
                break
            budget = min(budget * _WINDOW_GROWTH, max(_WINDOW_MAX_ENTRIES, wanted))
    return connection.execute(queries.full.limit(limit + 1).offset(offset), parameters).all()


# --- helpers -----------------------------------------------------------------------------------


def _encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_page_token(token: str | None) -> int:
    if token is None or token == "":
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = decoded["offset"]
    except (AttributeError, binascii.Error, ValueError, TypeError, KeyError, UnicodeError):
        raise InvalidInputError(f"invalid page_token {token!r}") from None
    if type(offset) is not int or offset < 0:
        raise InvalidInputError(f"invalid page_token {token!r}")
    return offset
