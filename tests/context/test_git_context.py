"""Git state read from .git directly, checked against the real git binary in throwaway repos."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from autolog.context import _git, _run_context, collect_run_context, git_diff, refresh

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(repo, *args) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return completed.stdout.strip()


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text(
        textwrap.dedent(
            """
            import json, sys
            from autolog.context import collect_run_context, git_diff
            print(json.dumps({"context": collect_run_context(), "diff": git_diff()}))
            """
        )
    )
    git(root, "add", "train.py")
    git(root, "commit", "-q", "-m", "first")
    return root


def head_of(path) -> _git.GitHead:
    location = _git.find_git_location(str(path))
    assert location is not None
    return _git.read_head(location)


def run_script(script, *args) -> dict:
    completed = subprocess.run(
        [sys.executable, str(script), *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=script.parent,
        env={**os.environ, **GIT_ENV, "PYTHONPATH": os.getcwd()},
    )
    return json.loads(completed.stdout)


@pytest.fixture
def as_entry_script(monkeypatch):
    """Make this process look as if it had been started as ``python <script>``."""

    def activate(script):
        monkeypatch.setattr(sys.modules["__main__"], "__file__", str(script), raising=False)
        monkeypatch.setattr(sys, "argv", [str(script), "--flag"])
        refresh()

    yield activate
    refresh()


def test_commit_and_branch_match_git(repo):
    head = head_of(repo / "train.py")
    assert head.commit == git(repo, "rev-parse", "HEAD")
    assert head.branch == "main"


def test_found_from_a_subdirectory(repo):
    sub = repo / "src" / "pkg"
    sub.mkdir(parents=True)
    location = _git.find_git_location(str(sub))
    assert location.work_tree == str(repo)


def test_outside_any_repository(tmp_path):
    isolated = tmp_path / "no-repo"
    isolated.mkdir()
    # tmp_path may itself sit inside a checkout; only assert when it does not
    if _git.find_git_location(str(tmp_path)) is None:
        assert _git.find_git_location(str(isolated)) is None


def test_packed_refs(repo):
    commit = git(repo, "rev-parse", "HEAD")
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert head_of(repo).commit == commit


def test_detached_head(repo):
    first = git(repo, "rev-parse", "HEAD")
    (repo / "more.txt").write_text("x")
    git(repo, "add", "more.txt")
    git(repo, "commit", "-q", "-m", "second")
    git(repo, "checkout", "-q", "--detach", first)
    head = head_of(repo)
    assert head.commit == first
    assert head.branch is None


def test_branch_with_slash_and_unborn_branch(repo):
    git(repo, "checkout", "-q", "-b", "feature/x")
    assert head_of(repo).branch == "feature/x"
    git(repo, "checkout", "-q", "--orphan", "empty")
    head = head_of(repo)
    assert head.branch == "empty" and head.commit is None


def test_linked_worktree(repo, tmp_path):
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "wt-branch", str(worktree))
    (worktree / "w.txt").write_text("w")
    git(worktree, "add", "w.txt")
    git(worktree, "commit", "-q", "-m", "in worktree")
    location = _git.find_git_location(str(worktree))
    assert location.work_tree == str(worktree)
    assert os.path.isfile(worktree / ".git")
    head = _git.read_head(location)
    assert head.branch == "wt-branch"
    assert head.commit == git(worktree, "rev-parse", "HEAD")
    git(repo, "pack-refs", "--all")  # the worktree's branch now lives in the main packed-refs
    assert _git.read_head(location).commit == git(worktree, "rev-parse", "HEAD")


def test_dirty_flag_and_diff(repo):
    state = _git.GitWorktreeState(str(repo))
    assert state.is_dirty() is False and state.diff() is None
    (repo / "untracked.txt").write_text("untracked files do not make a checkout dirty")
    assert _git.GitWorktreeState(str(repo)).is_dirty() is False
    (repo / "train.py").write_text("print('changed')\n")
    assert state.is_dirty() is False  # cached until refreshed
    fresh = _git.GitWorktreeState(str(repo))
    assert fresh.is_dirty() is True
    assert "+print('changed')" in fresh.diff()


def test_diff_is_capped_with_a_marker():
    big = "x" * (_git.DIFF_SIZE_CAP + 10)
    capped = _git._cap_diff(big)
    assert len(capped.encode()) < _git.DIFF_SIZE_CAP + 200
    assert "diff truncated" in capped


def test_dirty_check_leaves_the_index_alone(repo):
    index = repo / ".git" / "index"
    (repo / "train.py").touch()  # stat info changes: a plain `git status` would rewrite the index
    before = index.stat().st_mtime_ns
    _git.GitWorktreeState(str(repo)).is_dirty()
    assert index.stat().st_mtime_ns == before


def test_collect_run_context_in_a_script(repo):
    result = run_script(repo / "train.py", "--alpha", "0.5")
    context = result["context"]
    assert context["autolog.source.name"] == str(repo / "train.py")
    assert json.loads(context["autolog.source.argv"]) == [str(repo / "train.py"), "--alpha", "0.5"]
    assert context["autolog.git.commit"] == git(repo, "rev-parse", "HEAD")
    assert context["autolog.git.branch"] == "main"
    assert context["autolog.git.dirty"] == "false"
    assert context["autolog.git.repo"] == str(repo)
    assert context["autolog.python.version"] == ".".join(map(str, sys.version_info[:3]))
    assert context["autolog.user"] and context["autolog.host"]
    assert result["diff"] is None


def test_python_dash_c_is_interactive(repo):
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from autolog.context import collect_run_context; "
            "print(json.dumps(collect_run_context()))",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=repo,
        env={**os.environ, **GIT_ENV, "PYTHONPATH": os.getcwd()},
    )
    context = json.loads(completed.stdout)
    assert context["autolog.source.name"] == "<interactive>"
    assert context["autolog.git.repo"] == str(repo)  # from the working directory


def test_collect_run_context_dirty_script(repo):
    script = repo / "train.py"
    script.write_text(script.read_text() + "# edited\n")
    result = run_script(script)
    assert result["context"]["autolog.git.dirty"] == "true"
    assert "+# edited" in result["diff"]


def test_in_process_cache_and_refresh(repo, as_entry_script):
    as_entry_script(repo / "train.py")
    first = collect_run_context()
    assert first["autolog.git.dirty"] == "false"
    assert first["autolog.source.name"] == str(repo / "train.py")
    (repo / "train.py").write_text("changed\n")
    assert collect_run_context() == first  # cached for the process
    first["autolog.user"] = "mutated"
    assert collect_run_context()["autolog.user"] != "mutated"  # callers get a copy
    refresh()
    assert collect_run_context()["autolog.git.dirty"] == "true"
    assert "+changed" in git_diff()


def test_detached_head_has_no_branch_tag(repo, as_entry_script):
    git(repo, "checkout", "-q", "--detach")
    as_entry_script(repo / "train.py")
    context = collect_run_context()
    assert "autolog.git.branch" not in context
    assert context["autolog.git.commit"] == git(repo, "rev-parse", "HEAD")


def test_prefetch_then_collect(repo, as_entry_script):
    as_entry_script(repo / "train.py")
    _run_context.prefetch()
    assert collect_run_context()["autolog.git.commit"] == git(repo, "rev-parse", "HEAD")


def test_interactive_source(monkeypatch):
    monkeypatch.delattr(sys.modules["__main__"], "__file__", raising=False)  # as in a notebook
    refresh()
    try:
        assert collect_run_context()["autolog.source.name"] == "<interactive>"
    finally:
        refresh()


def test_a_tool_run_from_site_packages_records_the_working_directory(repo, as_entry_script, monkeypatch):
    """`python -m pytest` (an installed tool) in a project: the code is the project's, not pytest's."""
    import sysconfig

    tool = os.path.join(sysconfig.get_paths()["purelib"], "pytest", "__main__.py")
    monkeypatch.chdir(repo)
    as_entry_script(tool)
    context = collect_run_context()
    assert context["autolog.git.repo"] == str(repo)
    assert context["autolog.git.commit"] == git(repo, "rev-parse", "HEAD")
