"""Several processes and threads logging into one directory store lose nothing."""

import multiprocessing
import threading

import pytest

from autolog.entities import Metric
from autolog.store import open_store

PROCESSES, RUNS, METRICS = 4, 25, 50


def _log_runs(directory: str, worker: int) -> None:
    store = open_store(directory)  # every worker opens (and may create) the store itself
    for number in range(RUNS):
        run = store.create_run("0", run_name=f"w{worker}-{number}", params={"worker": worker})
        run_id = run.info.run_id
        for step in range(METRICS // 2):
            store.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
        store.log_batch(
            run_id, metrics=[Metric("acc", step / METRICS, 1, step) for step in range(METRICS // 2)]
        )
        store.update_run(run_id, status="FINISHED")


@pytest.mark.slow
def test_processes_write_into_one_directory_store(tmp_path):
    directory = str(tmp_path / "store")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_log_runs, args=(directory, n)) for n in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    store = open_store(directory)
    assert store.count_runs("0") == PROCESSES * RUNS
    assert store.count_runs("0", "attributes.status = 'FINISHED'") == PROCESSES * RUNS
    runs = store.search_runs("0", max_results=1000)
    assert all(run.data.metrics["loss"] == 1.0 / (METRICS // 2) for run in runs)
    with store._reader().connect() as connection:
        total = connection.exec_driver_sql("SELECT count(*) FROM metrics").scalar()
    assert total == PROCESSES * RUNS * METRICS
    assert sorted(len(store.search_runs("0", f"params.worker = '{n}'")) for n in range(4)) == [RUNS] * 4


def test_threads_share_one_store(store):
    run_id = store.create_run("0").info.run_id
    errors = []

    def log(thread: int) -> None:
        try:
            for step in range(50):
                store.log_metric(run_id, f"t{thread}", float(step), step=step)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=log, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.get_run(run_id).data.metrics == {f"t{n}": 49.0 for n in range(4)}
    assert sum(len(store.get_metric_history(run_id, f"t{n}")) for n in range(4)) == 200


def test_forked_child_uses_its_own_connections(tmp_path):
    store = open_store(str(tmp_path / "store"))
    run_id = store.create_run("0").info.run_id
    store.log_metric(run_id, "parent", 1.0)  # the parent now holds a hot connection
    context = multiprocessing.get_context("fork")
    child = context.Process(target=store.log_metric, args=(run_id, "child", 2.0))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    store.log_metric(run_id, "parent", 3.0, step=1)
    assert store.get_run(run_id).data.metrics == {"parent": 3.0, "child": 2.0}
