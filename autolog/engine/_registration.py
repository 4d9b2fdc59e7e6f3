"""``autolog(registered_model_name=...)``: every autologged model becomes a registered version."""

from __future__ import annotations

from autolog.engine._contract import attempt
from autolog.engine._runs import RunHandle
from autolog.engine._state import get_options


def register_autologged_model(run: RunHandle, artifact_path: str = "model") -> int | None:
    """Register the model just logged at ``artifact_path`` of ``run`` as a new version.

    Does nothing unless ``registered_model_name`` is set. Call it only after the model artifact
    is written. A failure is reported through the safety contract (one warning; raised in strict
    mode) and never reaches the training call.

    Returns
    -------
    int or None
        The new version number, ``None`` when nothing was registered.
    """
    name = get_options().registered_model_name
    if not name:
        return None
    ok, version = attempt(
        "registering the autologged model",
        run.client.register_model,
        f"runs:/{run.run_id}/{artifact_path}",
        name,
    )
    return version.version if ok else None
