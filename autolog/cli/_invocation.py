"""What a command function receives: its parsed arguments, a lazily opened client, output."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from autolog._core._entities import Experiment, ViewType
from autolog._core._exceptions import NotFoundError
from autolog.cli import _output
from autolog.tracking import Client


@dataclass
class Invocation:
    args: argparse.Namespace
    out: TextIO = field(default_factory=lambda: sys.stdout)
    _client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(getattr(self.args, "store", None))
        return self._client

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def echo(self, text: str = "") -> None:
        self.out.write(_output.escape_control(text) + "\n")

    def emit_json(self, value: Any) -> None:
        _output.print_json(value, self.out)

    def table(self, headers, rows, *, empty: str) -> None:
        rows = list(rows)
        self.echo(_output.format_table(headers, rows) if rows else empty)

    def experiment(self, ref: str) -> Experiment:
        """Resolve an experiment given by name (preferred) or by id."""
        experiment = self.client.get_experiment_by_name(ref)
        if experiment is not None:
            return experiment
        if ref.isdigit():
            try:
                return self.client.get_experiment(ref)
            except NotFoundError:
                pass
        raise NotFoundError(f"experiment {ref!r} not found (give its name or id)")

    def all_experiment_ids(self, view_type: str = ViewType.ALL) -> list[str]:
        return [e.experiment_id for e in self.client.search_experiments(view_type)]
