"""Nothing autolog creates is world-writable, and its temporary files stay inside the store.

A child process with ``umask 0`` (the worst case: every mode requested is granted) and a private
TMPDIR runs a full autologged fit (model, input example, search with cv_results and children),
log_text/log_artifact, and a model reload; then every file and directory of the store is walked.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_SCRIPT = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, sys.argv[2])
    os.umask(int(sys.argv[3], 8))
    import autolog
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    autolog.set_tracking_uri(sys.argv[1])
    autolog.autolog(log_input_examples=True)
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=300).fit(X, y)
    GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
    run_id = autolog.last_active_run().info.run_id
    with autolog.start_run():
        autolog.log_text("text", "notes/a.txt")
        autolog.log_dict({"a": 1}, "d/e/f.json")
        local = os.path.join(sys.argv[1] + "-src.txt")
        open(local, "w").write("x")
        autolog.log_artifact(local, "copied")
    autolog.load_model(f"runs:/{run_id}/model").predict(X)
    print("done")
""")


@pytest.mark.parametrize("umask", ["000", "022"])
def test_store_after_a_full_autologged_fit_has_nothing_world_writable(tmp_path, umask):
    """Promise: with any umask (0 included), no file or directory autolog created is world-writable;
    temporary files live inside the store and none is left behind (TMPDIR stays empty)."""
    store_dir, private_tmp = tmp_path / "store", tmp_path / "tmp"
    private_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(private_tmp), "AUTOLOG_STRICT": "1"}
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(store_dir), REPO, umask],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0 and "done" in result.stdout, result.stderr[-3000:]
    offending, leftovers = [], []
    for directory, subdirs, files in os.walk(store_dir):
        for name in [".", *files]:
            path = os.path.normpath(os.path.join(directory, name))
            if os.lstat(path).st_mode & stat.S_IWOTH:
                offending.append(f"{oct(stat.S_IMODE(os.lstat(path).st_mode))} {path}")
            if name.startswith(".tmp-") or ".autolog-tmp-" in name:
                leftovers.append(path)
    assert offending == [], "\n".join(offending)
    assert leftovers == []
    assert os.listdir(private_tmp) == [], "temporary files outside the store were left behind"
