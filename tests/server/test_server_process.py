"""``autolog server`` as a real process (uvicorn, 2 workers) over the suite's PostgreSQL, with
clients in separate processes: concurrent logging with exact row counts, an autologged
GridSearchCV, and a server killed and restarted while a client logs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

from tests._tracking_server import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cli(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autolog.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        timeout=120,
    )


@pytest.fixture(scope="module")
def backend(postgres_server, tmp_path_factory):
    return postgres_server.create_database(), str(tmp_path_factory.mktemp("server-artifacts"))


@pytest.fixture(scope="module")
def token(backend):
    created = _cli(
        "server", "token", "create", "--user", "alice", "--admin", "--backend-store-uri", backend[0]
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("alt_") and len(token) > 40 and "\n" not in token
    return token


@pytest.fixture(scope="module")
def server(backend, token):
    process = ServerProcess(backend[0], "--artifact-root", backend[1], workers=2)
    yield process
    output = process.stop()
    assert token not in output


def _client_env(server, token, **extra) -> dict:
    return {
        **os.environ,
        "AUTOLOG_TRACKING_URI": server.url,
        "AUTOLOG_TRACKING_TOKEN": token,
        "AUTOLOG_STRICT": "1",
        **extra,
    }


def _count(db_uri: str, sql: str, **params) -> list:
    engine = sa.create_engine(db_uri.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(sql), params).one())
    finally:
        engine.dispose()


CLIENTS, RUNS, STEPS = 8, 50, 200
LOGGER = textwrap.dedent("""
    import sys
    import autolog
    client = autolog.Client()
    experiment = client.get_experiment_by_name("concurrent").experiment_id
    for number in range(int(sys.argv[2])):
        run = client.create_run(experiment, run_name=f"{sys.argv[1]}-{number}")
        for step in range(int(sys.argv[3])):
            client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), step=step)
        client.set_terminated(run.info.run_id)
""")


def test_eight_client_processes_log_exactly_every_value(server, token, backend):
    env = _client_env(server, token)
    subprocess.run(
        [sys.executable, "-c", "import autolog; autolog.Client().create_experiment('concurrent')"],
        env=env,
        check=True,
        cwd=REPO,
        timeout=120,
    )
    clients = [
        subprocess.Popen(
            [sys.executable, "-c", LOGGER, str(i), str(RUNS), str(STEPS)],
            env=env,
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(CLIENTS)
    ]
    for process in clients:
        assert process.wait(timeout=300) == 0, process.stderr.read()
    runs, finished, rows, distinct = _count(
        backend[0],
        """
        SELECT count(DISTINCT r.run_id), count(DISTINCT r.run_id) FILTER (WHERE r.status = 'FINISHED'),
               count(m.id), count(DISTINCT (m.run_id, m.step))
        FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id
        LEFT JOIN metrics m ON m.run_id = r.run_id WHERE e.name = 'concurrent'""",
    )
    assert (runs, finished) == (CLIENTS * RUNS, CLIENTS * RUNS)
    assert rows == distinct == CLIENTS * RUNS * STEPS


GRID_SEARCH = textwrap.dedent("""
    import autolog
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    autolog.set_experiment("grid-over-http")
    autolog.autolog()
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(LogisticRegression(max_iter=200), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
    parent = autolog.last_active_run().info.run_id
    version = autolog.register_model(f"runs:/{parent}/model", "iris-grid")
    model = autolog.load_model(f"models:/iris-grid/{version.version}")
    print(parent, (model.predict(X) == search.predict(X)).all())
""")


def test_autologged_grid_search_through_the_server(server, token, backend):
    done = subprocess.run(
        [sys.executable, "-c", GRID_SEARCH],
        env=_client_env(server, token),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    parent, same = done.stdout.split()
    assert same == "True"
    from autolog.store._http import HttpStore

    store = HttpStore(server.url, token)
    experiment = store.get_experiment_by_name("grid-over-http").experiment_id
    runs = store.search_runs([experiment])
    children = [r for r in runs if r.info.parent_run_id == parent]
    assert len(runs) == 3 and len(children) == 2
    assert {r.data.params["C"] for r in children} == {"0.1", "1.0"}
    assert "autolog-model.json" in {
        f.path.rsplit("/", 1)[-1] for f in store.artifacts(parent).list_artifacts("model")
    }


KILLED_LOGGER = textwrap.dedent("""
    import sys, time
    import autolog
    autolog.set_experiment("restart")
    with autolog.start_run() as run:
        print(run.info.run_id, flush=True)
        for step in range(3000):
            autolog.log_metric("loss", 1.0 / (step + 1), step=step)
            if step % 100 == 0:
                time.sleep(0.05)
""")


def test_server_killed_and_restarted_while_a_client_logs(server, token, backend):
    client = subprocess.Popen(
        [sys.executable, "-c", KILLED_LOGGER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=_client_env(server, token, AUTOLOG_HTTP_RETRY_SECONDS="120"),
    )
    run_id = client.stdout.readline().strip()
    assert len(run_id) == 32, client.stderr.read()
    time.sleep(0.3)
    server.kill()
    time.sleep(1.0)
    server.start()
    assert client.wait(timeout=300) == 0, client.stderr.read()
    rows, distinct, status = _count(
        backend[0],
        """
        SELECT count(m.id), count(DISTINCT m.step), max(r.status)
        FROM runs r LEFT JOIN metrics m ON m.run_id = r.run_id WHERE r.run_id = :run_id""",
        run_id=run_id,
    )
    assert (rows, distinct, status) == (3000, 3000, "FINISHED")


def test_no_authentication_on_a_public_address_is_refused(tmp_path):
    refused = _cli("server", "--host", "0.0.0.0", "--backend-store-uri", str(tmp_path / "store"))
    assert refused.returncode == 1
    assert "refusing to serve on 0.0.0.0 without authentication" in refused.stderr


OFFLINE = textwrap.dedent("""
    import autolog
    autolog.set_experiment("offline")
    with autolog.start_run(run_name="parent"):
        autolog.log_param("C", 1)
        with autolog.start_run(run_name="child", nested=True):
            for step in range(500):
                autolog.log_metric("loss", 1.0 / (step + 1), step=step)
        autolog.log_text("hi", "notes.txt")
""")


def test_runs_made_while_the_server_is_down_spool_and_sync_exactly_once(server, token, backend, tmp_path):
    from autolog.store import open_store
    from autolog.store._http._spool import DONE

    env = _client_env(
        server, token, AUTOLOG_SPOOL_DIR=str(tmp_path / "spool"), AUTOLOG_HTTP_RETRY_SECONDS="1"
    )
    server.kill()
    try:
        offline = subprocess.run(
            [sys.executable, "-c", OFFLINE], env=env, capture_output=True, text=True, cwd=REPO, timeout=300
        )
    finally:
        server.start()
    assert offline.returncode == 0, offline.stderr
    assert offline.stderr.count("runs are written to the spool") == 1
    dry = _cli("sync", "--dry-run", env=env)
    assert dry.returncode == 0 and "would sync 2 run(s)" in dry.stdout, dry.stderr
    assert _cli("sync", env=env).stdout.endswith(
        "synced 2 run(s) from " + str(tmp_path / "spool") + " to " + server.url + "\n"
    )
    spool = open_store(str(tmp_path / "spool"))
    for run in spool.search_runs([e.experiment_id for e in spool.search_experiments()]):
        spool.delete_tag(run.info.run_id, DONE)  # as if the sync died just before finishing
    spool.close()
    assert "synced 2 run(s)" in _cli("sync", env=env).stdout
    assert "synced 0 run(s)" in _cli("sync", env=env).stdout
    runs, rows, steps, linked, params = _count(
        backend[0],
        """
        SELECT count(DISTINCT r.run_id), count(m.id), count(DISTINCT m.step),
               count(DISTINCT r.run_id) FILTER (WHERE r.parent_run_id IS NOT NULL),
               (SELECT count(*) FROM params p JOIN runs q ON q.run_id = p.run_id
                JOIN experiments x ON x.experiment_id = q.experiment_id WHERE x.name = 'offline')
        FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id
        LEFT JOIN metrics m ON m.run_id = r.run_id WHERE e.name = 'offline'""",
    )
    assert (runs, rows, steps, linked, params) == (2, 500, 500, 1, 1)
