"""Workload 5: N runs (5 params, 3 metrics each), then a filtered, ordered search_runs.

The populated store is a fixture, cached under bench/.cache/ (keyed by library version, and for
autolog by a hash of its schema migrations) and written without fsync. The first 1,000 runs are
created through the library's API; larger fixtures repeat them by copying their rows under new
run ids (see replicate). Only the searches are timed. Both sides hold the same seeded data, so
the expected answer is computed here and each side must return it."""

from __future__ import annotations

import json
import os
import random
import shutil
import time

from workloads._common import api, check, ms_since, now

FILTER = "params.p0 = 'v3' and metrics.m0 > 0.5"
ORDER_BY = ["metrics.m1 DESC"]
MAX_RESULTS = 100


BASE = 1000  # runs created through the API; larger fixtures repeat them (see replicate)


def rows(n: int) -> list[tuple[dict, dict]]:
    """Seeded data; run i holds the data of run i % BASE (so copies of the base are exact)."""
    rng = random.Random(42)
    out = []
    for i in range(min(n, BASE)):
        params = {"p0": f"v{i % 10}", **{f"p{j}": f"{rng.randint(0, 999)}" for j in range(1, 5)}}
        metrics = {f"m{j}": round(rng.random(), 6) for j in range(3)}
        out.append((params, metrics))
    return [out[i % BASE] for i in range(n)]


def expected(n: int) -> list[float]:
    hits = [m["m1"] for p, m in rows(n) if p["p0"] == "v3" and m["m0"] > 0.5]
    return sorted(hits, reverse=True)[:MAX_RESULTS]


def populate(a, cl, n: int) -> float:
    exp = a.default_experiment(cl)
    ts = int(time.time() * 1000)
    t0 = now()
    for params, metrics in rows(n):
        run_id = a.create_run(cl, exp)
        a.log_batch(cl, run_id, *a.entities([(k, v, ts, 0) for k, v in metrics.items()], params))
        a.set_terminated(cl, run_id)
    return ms_since(t0) / n


def fast_fixture_writes() -> None:
    """Fixture building only: SQLite without fsync per commit (the measuring processes that open
    the fixture later use each library's own settings). Same for both sides."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _no_fsync(dbapi_connection, _record):
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA synchronous=OFF")
            cur.close()


RUN_ID_COLUMNS = ("run_uuid", "run_id")  # MLflow's name, autolog's name


def replicate(db_path: str, copies: int) -> None:
    """Copy every run-keyed row of the BASE API-created runs `copies` times under new run ids.

    Generic over both schemas: every table with a run id column gets its rows copied with the
    id mapped; integer primary keys are left for SQLite to assign. Used only for fixtures above
    BASE runs, where creating each run through the API would take hours on a busy 2-core box.
    """
    import sqlite3
    import uuid

    con = sqlite3.connect(db_path)
    tables = [
        r[0]
        for r in con.execute("select name from sqlite_master where type='table' and name not like 'sqlite_%'")
    ]
    runs_table = "runs"
    id_col = next(c for c in RUN_ID_COLUMNS if c in _columns(con, runs_table))
    base_ids = [r[0] for r in con.execute(f"select {id_col} from {runs_table}")]
    con.execute("create temp table idmap (old text, new text)")
    for _ in range(copies):
        con.execute("delete from idmap")
        con.executemany("insert into idmap values (?, ?)", [(old, uuid.uuid4().hex) for old in base_ids])
        for table in [runs_table] + [t for t in tables if t != runs_table]:
            _copy_rows(con, table)
    con.commit()
    con.close()


def _columns(con, table: str) -> dict:
    return {r[1]: (r[2].upper(), r[5]) for r in con.execute(f"pragma table_info('{table}')")}


def _copy_rows(con, table: str) -> None:
    cols = _columns(con, table)
    run_col = next((c for c in RUN_ID_COLUMNS if c in cols), None)
    if run_col is None:
        return
    keep = [
        c
        for c, (ctype, pk) in cols.items()
        if not (pk and ctype.startswith("INT") and sum(p for _, p in cols.values()) == 1)
    ]
    select = ", ".join("idmap.new" if c == run_col else f"t.{c}" for c in keep)
    con.execute(
        f"insert into {table} ({', '.join(keep)}) select {select} from {table} t "
        f"join idmap on t.{run_col} = idmap.old"
    )


def db_file(fixture_dir: str) -> str:
    for name in ("mlflow.db", os.path.join("autolog-runs", "autolog.db")):
        if os.path.exists(os.path.join(fixture_dir, name)):
            return os.path.join(fixture_dir, name)
    raise FileNotFoundError(f"no SQLite database under {fixture_dir}")


def open_fixture(a, store: str, n: int, fixture_dir: str) -> tuple[object, dict]:
    marker = os.path.join(fixture_dir, "ready.json")
    if os.path.exists(marker):
        a.configure(fixture_dir, store)
        return a.client(), json.load(open(marker)) | {"cached": True}
    shutil.rmtree(fixture_dir, ignore_errors=True)
    os.makedirs(fixture_dir)
    fast_fixture_writes()
    a.configure(fixture_dir, store)
    cl = a.client()
    info = {
        "populate_ms_per_run": populate(a, cl, min(n, BASE)),
        "n": n,
        "api_created": min(n, BASE),
        "copied": max(0, n - BASE),
    }
    if n > BASE:
        check(n % BASE == 0, f"fixture size {n} must be a multiple of {BASE}")
        replicate(db_file(fixture_dir), n // BASE - 1)
    json.dump(info, open(marker, "w"))
    return cl, info | {"cached": False}


def time_searches(a, cl, k: int, n: int) -> tuple[list[float], float]:
    exp = [a.default_experiment(cl)]
    t0 = now()
    first = a.search(cl, exp, FILTER, ORDER_BY, MAX_RESULTS)
    first_ms = ms_since(t0)
    got = [round(r.data.metrics["m1"], 6) for r in first]
    check(
        got == expected(n),
        f"{a.NAME}: search returned {len(got)} runs, not the expected {len(expected(n))} in order",
    )
    out = []
    for _ in range(k):
        t0 = now()
        res = a.search(cl, exp, FILTER, ORDER_BY, MAX_RESULTS)
        out.append(ms_since(t0))
        check(len(res) == len(got), f"{a.NAME}: search result size changed")
    return out, first_ms


def measure(side: str, store: str, n: int, k: int, fixture_dir: str) -> dict:
    a = api(side)
    cl, info = open_fixture(a, store, n, fixture_dir)
    total = len(a.search(cl, [a.default_experiment(cl)], "", None, 1))
    check(total == 1, f"{a.NAME}: empty store")
    times, first_ms = time_searches(a, cl, k, n)
    return {
        "search_ms": times,
        "first_search_ms": [first_ms],
        "populate_ms_per_run": [info["populate_ms_per_run"]],
    }, info


def autolog_side(n: int, k: int, fixtures: dict, file_k: int | None = None) -> dict:
    samples, info = measure("autolog", "default", n, k, fixtures["autolog"])
    return {"samples": samples, "checks": info}


def mlflow_side(n: int, k: int, fixtures: dict, file_k: int | None = None) -> dict:
    samples, info = measure("mlflow", "sqlite", n, k, fixtures["sqlite"])
    if fixtures.get("file"):
        file_samples, _ = measure("mlflow", "file", n, file_k or k, fixtures["file"])
        samples.update({f"file.{key}": v for key, v in file_samples.items()})
    return {"samples": samples, "checks": info}
