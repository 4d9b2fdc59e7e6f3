"""Server-rendered HTML pages; every view is a plain GET at a bookmarkable URL."""

from __future__ import annotations

import csv
import io
import os
import urllib.parse

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, StreamingResponse

from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog.diff import diff_runs
from autolog.ui import _queries
from autolog.ui._api import ENDPOINTS
from autolog.ui._artifacts import (
    download_media_type,
    find_models,
    image_type,
    list_dir,
    read_preview,
    resolve_local_file,
)
from autolog.ui._parallel import parallel_coordinates
from autolog.ui._runs_table import RunsQuery, csv_header, csv_row, fetch_page, iter_all_runs
from autolog.ui._security import ARTIFACT_CSP
from autolog.ui._tuning import tuning_view


def _client(request: Request):
    return request.app.state.client


def _render(request: Request, template: str, **context):
    return request.app.state.templates.TemplateResponse(request, template, context)


def _experiment_or_404(client, experiment_id: str):
    if not experiment_id.isdigit():
        raise NotFoundError(f"experiment {experiment_id!r} not found")
    return client.get_experiment(experiment_id)


def experiments_page(request: Request):
    query = request.query_params.get("q", "").strip()
    summaries = _queries.experiment_summaries(_client(request), query)
    return _render(request, "experiments.html", summaries=summaries, q=query)


def runs_page(request: Request):
    client = _client(request)
    experiment = _experiment_or_404(client, request.path_params["experiment_id"])
    return _runs_view(request, [experiment], experiment)


def all_runs_page(request: Request):
    """Runs of several experiments (``?exp=ID``, repeatable) or of every active one, in one table."""
    client = _client(request)
    chosen = [e for e in request.query_params.getlist("exp") if e]
    experiments = [
        _experiment_or_404(client, e) for e in dict.fromkeys(chosen)
    ] or client.search_experiments()
    return _runs_view(request, experiments, None)


def _runs_view(request: Request, experiments: list, single):
    client = _client(request)
    query = RunsQuery.from_params(request.query_params)
    column_filter = request.query_params.get("colq", "").strip()
    page, error = None, None
    ids = [e.experiment_id for e in experiments]
    try:
        page = fetch_page(client.store, ids, query, column_filter=column_filter) if ids else None
    except InvalidInputError as exc:
        error = str(exc)
    base = query.base_params()
    if single is None:
        base["exp"] = [e.experiment_id for e in experiments] if request.query_params.getlist("exp") else None
    return _render(
        request,
        "runs.html",
        experiment=single,
        experiments={e.experiment_id: e.name for e in experiments},
        query=query,
        page=page,
        error=error,
        base=base,
        column_filter=column_filter,
        keys_url="/api/experiments/" + ",".join(ids) + "/keys",
    )


def search_page(request: Request):
    """The top bar's search (``?find=``): a unique run-id prefix opens the run, else run names match."""
    client = _client(request)
    text = (request.query_params.get("find") or request.query_params.get("q") or "").strip()
    if not text:
        return RedirectResponse("/runs", status_code=303)
    matches = client.store.find_run_ids(text, limit=2)
    if len(matches) == 1:
        return RedirectResponse(f"/runs/{matches[0]}", status_code=303)
    quoted = text.replace("\\", "").replace("'", "")
    if matches:
        search = f"attributes.run_id LIKE '{quoted.lower()}%'"
    else:
        search = f"attributes.run_name ILIKE '%{quoted}%'"
    return RedirectResponse("/runs?" + urllib.parse.urlencode({"q": search}), status_code=303)


def runs_csv(request: Request):
    client = _client(request)
    experiment = _experiment_or_404(client, request.path_params["experiment_id"])
    query = RunsQuery.from_params(request.query_params)
    first = fetch_page(client.store, experiment.experiment_id, query)  # validates the filter
    params, metrics = first.params, first.metrics

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(csv_header(params, metrics))
        for run in iter_all_runs(client.store, experiment.experiment_id, query):
            writer.writerow(csv_row(run, params, metrics))
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    filename = f"experiment-{experiment.experiment_id}-runs.csv"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


def run_page(request: Request):
    client = _client(request)
    run = _queries.find_run_or_404(client, request.path_params["run_id"])
    experiment = client.get_experiment(run.info.experiment_id)
    overview = _queries.run_overview(client, run)
    _queries.prepare_long_histories(client.store, run.info.run_id, overview.metric_steps)
    artifacts = list_dir(client.store, run.info.run_id, "")
    models = find_models(client.store, run.info.run_id)
    versions = client.search_model_versions(run_id=run.info.run_id)
    tuning = tuning_view(client, run)
    return _render(
        request,
        "run.html",
        run=run,
        experiment=experiment,
        overview=overview,
        artifacts=artifacts,
        models=models,
        versions=versions,
        tuning=tuning,
    )


def artifacts_page(request: Request):
    client = _client(request)
    run = _queries.find_run_or_404(client, request.path_params["run_id"])
    path, local = resolve_local_file(client.store, run.info.run_id, request.query_params.get("path"))
    crumbs = _breadcrumbs(path)
    experiment = client.get_experiment(run.info.experiment_id)
    context = dict(run=run, experiment=experiment, path=path, crumbs=crumbs)
    if os.path.isdir(local):
        return _render(
            request,
            "artifacts.html",
            entries=list_dir(client.store, run.info.run_id, path),
            preview=None,
            **context,
        )
    return _render(request, "artifacts.html", entries=None, preview=read_preview(path, local), **context)


def _breadcrumbs(path: str) -> list:
    parts = path.split("/") if path else []
    return [(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts)]


def artifact_download(request: Request):
    """The raw file as an attachment, with a type that never renders as a page."""
    client = _client(request)
    run = _queries.find_run_or_404(client, request.path_params["run_id"])
    path, local = _artifact_file(client, run, request)
    filename = path.rsplit("/", 1)[-1]
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{urllib.parse.quote(filename)}",
        "Content-Security-Policy": ARTIFACT_CSP,
    }
    return FileResponse(local, media_type=download_media_type(local), headers=headers)


def artifact_image(request: Request):
    """PNG, JPEG, GIF or WebP only (checked by magic bytes), for ``<img>`` previews."""
    client = _client(request)
    run = _queries.find_run_or_404(client, request.path_params["run_id"])
    _, local = _artifact_file(client, run, request)
    with open(local, "rb") as handle:
        mime = image_type(handle.read(16))
    if mime is None:
        raise HTTPException(415, "not a PNG, JPEG, GIF or WebP image")
    headers = {"Content-Security-Policy": ARTIFACT_CSP, "Content-Disposition": "inline"}
    return FileResponse(local, media_type=mime, headers=headers)


def _artifact_file(client, run, request: Request) -> tuple:
    path, local = resolve_local_file(client.store, run.info.run_id, request.query_params.get("path"))
    if os.path.isdir(local):
        raise NotFoundError(f"artifact {path!r} is a directory")
    return path, local


def compare_page(request: Request):
    client = _client(request)
    runs = _queries.get_runs(client, request.query_params.getlist("run"))
    if request.query_params.get("action") == "diff":
        return _redirect_to_diff(runs)
    params = _queries.compare_rows(runs, "params")
    metrics = _queries.compare_rows(runs, "metrics")
    x_key = request.query_params.get("x") or _first_differing(params)
    y_key = request.query_params.get("y") or (metrics[0].key if metrics else None)
    scatter = _queries.param_metric_scatter(runs, x_key, y_key)
    only_diff = request.query_params.get("only_diff") == "1"
    parallel = parallel_coordinates(runs, params, metrics)
    chart_runs = [{"id": r.info.run_id, "name": r.info.run_name or r.info.run_id[:8]} for r in runs]
    return _render(
        request,
        "compare.html",
        runs=runs,
        params=params,
        metrics=metrics,
        scatter=scatter,
        only_diff=only_diff,
        run_ids=[r.info.run_id for r in runs],
        parallel=parallel,
        chart_runs=chart_runs,
    )


def _first_differing(rows: list):
    return next((r.key for r in rows if r.differs), rows[0].key if rows else None)


def _redirect_to_diff(runs: list):
    if len(runs) != 2:
        raise InvalidInputError(f"'What changed' compares exactly two runs ({len(runs)} selected)")
    query = urllib.parse.urlencode({"a": runs[0].info.run_id, "b": runs[1].info.run_id})
    return RedirectResponse(f"/diff?{query}", status_code=303)


def diff_page(request: Request):
    client = _client(request)
    a_id, b_id = request.query_params.get("a", ""), request.query_params.get("b", "")
    if not a_id or not b_id:
        raise InvalidInputError("give two runs: /diff?a=RUN_A&b=RUN_B")
    run_a = _queries.find_run_or_404(client, a_id)
    run_b = _queries.find_run_or_404(client, b_id)
    diff = diff_runs(run_a, run_b, client=client)
    return _render(request, "diff.html", diff=diff, run_a=run_a, run_b=run_b)


def api_page(request: Request):
    return _render(request, "api.html", endpoints=ENDPOINTS)
