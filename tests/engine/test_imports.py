"""``import autolog`` + ``autolog()`` imports no framework, and hooks work in either order."""

import json
import subprocess
import sys
import textwrap

import pytest


def run_python(code: str, tmp_path) -> dict:
    env_code = textwrap.dedent(code)
    output = subprocess.run(
        [sys.executable, "-c", env_code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"AUTOLOG_STRICT": "1", "AUTOLOG_TRACKING_URI": str(tmp_path / "store"), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def test_import_and_autolog_import_no_framework(tmp_path):
    result = run_python(
        """
        import json, sys, time
        start = time.perf_counter()
        import autolog
        from autolog import autolog as enable
        enable()
        elapsed = time.perf_counter() - start
        heavy = [m for m in ("sklearn", "numpy", "scipy", "pandas", "sqlalchemy") if m in sys.modules]
        print(json.dumps({"heavy": heavy, "ms": elapsed * 1000}))
        """,
        tmp_path,
    )
    assert result["heavy"] == []
    # Timing is reported, not asserted: the 150 ms budget is measured side by side in bench/.
    print(f"import autolog + autolog(): {result['ms']:.0f} ms")


@pytest.mark.parametrize("autolog_first", [True, False])
def test_autolog_works_before_or_after_importing_sklearn(tmp_path, autolog_first):
    order = (
        "from autolog import autolog as enable; enable(log_models=False)\nfrom sklearn.linear_model import LinearRegression"
        if autolog_first
        else "from sklearn.linear_model import LinearRegression\nfrom autolog import autolog as enable; enable(log_models=False)"
    )
    result = run_python(
        order
        + """
import json
import autolog
LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
runs = autolog.search_runs(output_format="list")
print(json.dumps({"runs": len(runs), "name": runs[0].info.run_name}))
""",
        tmp_path,
    )
    assert result == {"runs": 1, "name": "LinearRegression"}
