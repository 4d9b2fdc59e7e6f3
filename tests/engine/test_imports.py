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


def test_autolog_imports_neither_wrapt_nor_importlib_metadata(tmp_path):
    result = run_python(
        """
        import json, sys
        from autolog import autolog as enable
        enable()
        print(json.dumps({"loaded": [m for m in ("wrapt", "importlib.metadata", "asyncio") if m in sys.modules]}))
        """,
        tmp_path,
    )
    assert result["loaded"] == []


@pytest.mark.parametrize("group", ["autolog.integrations", "autolog.flavors", "console_scripts"])
def test_entry_points_match_importlib_metadata(group):
    from importlib import metadata

    from autolog.engine._entry_points import entry_points

    expected = [(ep.name, ep.value) for ep in metadata.entry_points(group=group)]
    assert [(ep.name, ep.value) for ep in entry_points(group)] == expected


def test_distribution_versions_match_importlib_metadata():
    from importlib import metadata

    from autolog.engine._entry_points import distribution_version

    names = {dist.metadata["Name"] for dist in metadata.distributions()}
    assert names
    assert {name: distribution_version(name) for name in names} == {
        name: metadata.version(name) for name in names
    }
    assert distribution_version("surely-not-an-installed-distribution") is None


def test_post_import_hook_runs_once_after_the_import_and_can_be_withdrawn(tmp_path, monkeypatch):
    from autolog.engine import _imports

    package = tmp_path / "hooked_pkg_for_test"
    package.mkdir()
    (package / "__init__.py").write_text("VALUE = 1\n")
    (package / "data.txt").write_text("resource")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen, withdrawn = [], []
    _imports.when_imported("hooked_pkg_for_test", lambda module: seen.append(module.VALUE))
    _imports.when_imported("hooked_pkg_for_test", withdrawn.append)
    _imports.withdraw(withdrawn.append)
    assert seen == []
    import importlib
    import importlib.resources

    module = importlib.import_module("hooked_pkg_for_test")
    assert seen == [1] and withdrawn == []
    # The module keeps its real loader: resources and reloads work as without the hook.
    assert type(module.__loader__).__name__ == "SourceFileLoader"
    assert module.__spec__.loader is module.__loader__
    assert importlib.resources.files("hooked_pkg_for_test").joinpath("data.txt").read_text() == "resource"
    importlib.reload(module)
    assert seen == [1]
    _imports.when_imported("hooked_pkg_for_test", lambda module: seen.append("now"))
    assert seen == [1, "now"]  # already imported: called at once
    monkeypatch.delitem(sys.modules, "hooked_pkg_for_test")
