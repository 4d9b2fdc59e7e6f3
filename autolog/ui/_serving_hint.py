"""The "Serve it" box of a model page: the exact commands, with a body from the input example.

Only JSON is read (the input example and the metadata, size-capped); nothing is loaded or run.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog.ui._artifacts import read_model_metadata, resolve_local_file

DEFAULT_PORT = 5001
MAX_EXAMPLE_BYTES = 64 * 1024
EXAMPLE_ROWS = 2


@dataclass(frozen=True)
class ServingHint:
    model_uri: str
    serve_command: str
    curl_command: str
    from_input_example: bool


def serving_hint(store: Any, model: Any, versions: list) -> ServingHint | None:
    """Commands to serve ``model`` (its champion alias, else first alias, else latest version)."""
    if not versions:
        return None
    alias = "champion" if "champion" in model.aliases else next(iter(sorted(model.aliases)), None)
    number = model.aliases[alias] if alias else max(v.version for v in versions)
    version = next((v for v in versions if v.version == number), versions[0])
    model_uri = f"models:/{model.name}@{alias}" if alias else f"models:/{model.name}/{version.version}"
    body, from_example = _example_body(store, version)
    curl = (
        f"curl -s http://127.0.0.1:{DEFAULT_PORT}/invocations -H 'Content-Type: application/json' "
        f"-d {shlex.quote(json.dumps(body))}"
    )
    return ServingHint(
        model_uri, f"autolog models serve {shlex.quote(model_uri)} --port {DEFAULT_PORT}", curl, from_example
    )


def _example_body(store: Any, version: Any) -> tuple[dict, bool]:
    metadata = read_model_metadata(store, version.run_id, version.artifact_path) or {}
    example = _read_example(store, version, metadata.get("input_example"))
    if example is not None:
        return example, True
    inputs = (metadata.get("signature") or {}).get("inputs")
    if isinstance(inputs, list) and inputs:
        columns = [str(column.get("name")) for column in inputs if isinstance(column, dict)]
        return {"dataframe_split": {"columns": columns, "data": [[0] * len(columns)]}}, False
    width = (inputs or {}).get("shape", [-1, 1])[-1] if isinstance(inputs, dict) else 1
    return {"instances": [[0] * max(int(width), 1)]}, False


def _read_example(store: Any, version: Any, file_name: Any) -> dict | None:
    if not isinstance(file_name, str) or not file_name:
        return None
    try:
        _, local = resolve_local_file(store, version.run_id, f"{version.artifact_path}/{file_name}")
        with open(local, encoding="utf-8") as f:
            text = f.read(MAX_EXAMPLE_BYTES + 1)
        document = json.loads(text) if len(text) <= MAX_EXAMPLE_BYTES else None
    except (NotFoundError, InvalidInputError, OSError, ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        return None
    rows = document["data"][:EXAMPLE_ROWS]
    if document.get("type") == "dataframe" and isinstance(document.get("columns"), list):
        return {"dataframe_split": {"columns": document["columns"], "data": rows}}
    return {"instances": rows}
