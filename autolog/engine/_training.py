"""``run_training_call``: the one path from a patched training method to a recorded run."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from autolog.engine._contract import attempt, guarded_call
from autolog.engine._flags import disabled_here, in_training_call, is_suppressed, training_call
from autolog.engine._runs import RunHandle, RunSpec, open_run, remember_last_run, status_for_exception
from autolog.engine._state import STATE

_FINISHED = "FINISHED"


class TrainingRecorder:
    """What an integration records about ONE outermost training call; subclass per framework.

    The engine calls, in order and each under the safety contract (a failure in one is reported
    and the next still runs where it makes sense):

    1. :meth:`run_spec` before the user's call; ``None`` means "do not record".
    2. :meth:`on_run_started` right after the run was opened (before the user's call);
    3. the user's call;
    4. on success :meth:`log_results`, then the managed run is ended FINISHED, then
       :meth:`after_run`; on an exception :meth:`on_failure`, then the managed run is ended
       FAILED (KILLED for ``KeyboardInterrupt`` and other interrupts) and the exception
       propagates unchanged (same object, same traceback).
    """

    kind: str = "training call"

    def run_spec(self) -> RunSpec | None:
        """Name, params and tags of the run, computed before the user's call."""
        return RunSpec()

    def log_results(self, run: RunHandle, result: Any) -> None:
        """Log metrics, artifacts and the model after the user's call returned ``result``."""

    def after_run(self, run: RunHandle, result: Any) -> None:
        """Hook after the run was ended (e.g. arm post-training metric logging)."""

    def on_run_started(self, run: RunHandle) -> None:
        """Hook right after the run was opened, before the user's call (e.g. let a framework
        callback write its metrics while a long training runs)."""

    def on_failure(self, run: RunHandle, error: BaseException) -> None:
        """Hook when the user's call raised ``error``, before the run is ended FAILED/KILLED:
        write what was collected so far (partial metric history, params known only during the
        call). ``error`` is for reading only; it propagates unchanged whatever this does."""


def autologging_active() -> bool:
    """Whether a training call starting now in this thread/task may record a run."""
    return STATE.enabled and not disabled_here() and not is_suppressed() and not in_training_call()


def run_training_call(
    original: Callable[..., Any],
    args: tuple,
    kwargs: dict,
    make_recorder: Callable[[], TrainingRecorder | None] | None,
) -> Any:
    """Call ``original(*args, **kwargs)`` as a training call, recording a run when outermost.

    Parameters
    ----------
    original : callable
        The wrapped training method (already bound).
    args, kwargs :
        The user's arguments, passed through untouched.
    make_recorder : callable or None
        Builds the :class:`TrainingRecorder`; ``None`` (or a None result) still marks the call as
        a training call, so nothing inside it records, but records nothing itself.

    Returns
    -------
    Whatever ``original`` returns (the same object); its exceptions propagate unchanged.
    """
    if not autologging_active():
        return original(*args, **kwargs)
    with training_call():
        if make_recorder is None:
            return original(*args, **kwargs)
        return guarded_call(
            original,
            args,
            kwargs,
            kind="recording a training call",
            before=lambda: _start(make_recorder),
            on_success=_finish,
            on_error=_fail,
        )


def _start(
    make_recorder: Callable[[], TrainingRecorder | None],
) -> tuple[TrainingRecorder | None, RunHandle | None]:
    recorder = make_recorder()
    if recorder is None:
        return None, None
    spec = recorder.run_spec()
    if spec is None:
        return recorder, None
    run = open_run(spec)
    if run is not None:
        attempt(f"{recorder.kind}: starting the run", recorder.on_run_started, run)
    return recorder, run


def _finish(started: tuple[TrainingRecorder | None, RunHandle | None], result: Any) -> None:
    recorder, run = started
    if recorder is None or run is None:
        return
    run.deferring = True  # metrics and tags of log_results go out with the end of the run
    with _file_records_at_the_end(run, recorder.kind):  # and so do the records of its files
        try:
            attempt(f"{recorder.kind}: logging results", recorder.log_results, run, result)
        except BaseException as interrupt:  # Ctrl-C while we log: attempt() lets it through
            attempt(f"{recorder.kind}: ending the run", _end, run, status_for_exception(interrupt))
            raise
        attempt(f"{recorder.kind}: ending the run", _end, run, _FINISHED)
    attempt(f"{recorder.kind}: remembering the run", remember_last_run, run)
    attempt(f"{recorder.kind}: after the run", recorder.after_run, run, result)


@contextlib.contextmanager
def _file_records_at_the_end(run: RunHandle, kind: str) -> Iterator[None]:
    """The run's file records wait for its end; writing those left over is attempted (reported,
    never raised into the user's call) so that the steps after the run's end still happen."""
    deferral = run.deferred_artifact_records()
    deferral.__enter__()
    try:
        yield
    finally:
        attempt(f"{kind}: recording the run's files", deferral.__exit__, None, None, None)


def _fail(started: tuple[TrainingRecorder | None, RunHandle | None], error: BaseException) -> None:
    recorder, run = started
    if recorder is None or run is None:
        return
    status = status_for_exception(error)
    try:
        attempt(f"{recorder.kind}: recording before the failure", recorder.on_failure, run, error)
    except BaseException as late:  # Ctrl-C while we write (attempt() lets it through), or strict mode
        if not isinstance(late, Exception):
            status = status_for_exception(late)
        raise
    finally:  # the run is ended whatever on_failure did
        _end(run, status)
        remember_last_run(run)


def _end(run: RunHandle, status: str) -> None:
    """End the run; when the store refuses (locked, disk full), the heartbeat thread retries it,
    so the run does not read RUNNING for as long as the process lives."""
    try:
        run.end(status)
    except Exception:
        later = getattr(run.client, "set_terminated_later", None)
        if run.managed and later is not None:
            with contextlib.suppress(Exception):
                later(run.run_id, status)
        raise
