"""The project's own .pre-commit-config.yaml: local hooks only (offline), and under the real pre-commit.

The slow test copies this work tree into a fresh git repository whose ``.venv`` is the virtualenv running
the tests, and runs ``pre-commit run --all-files`` there: every hook passes on the tree as it is, and a
badly written module plus a stale output make exactly ruff, ruff format and the render hook fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from git_helpers import git
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
IDS = ["ruff", "ruff-format", "mypy", "gitops-gen-render", "gitops-gen-lint"]


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def test_hooks_are_local_and_run_the_virtualenv_tools() -> None:
    config = _load(REPO / ".pre-commit-config.yaml")
    assert [repo["repo"] for repo in config["repos"]] == ["local"]  # nothing to download
    hooks = config["repos"][0]["hooks"]
    assert [h["id"] for h in hooks] == IDS
    for hook in hooks:
        assert hook["language"] == "system" and hook["entry"].startswith(".venv/bin/"), hook


def test_our_hooks_run_what_pre_commit_hooks_yaml_publishes() -> None:
    published = {h["id"]: h for h in _load(REPO / ".pre-commit-hooks.yaml")}
    ours = {h["id"]: h for h in _load(REPO / ".pre-commit-config.yaml")["repos"][0]["hooks"]}
    for hook_id in ("gitops-gen-render", "gitops-gen-lint"):
        entry = ours[hook_id]["entry"].removeprefix(".venv/bin/")
        assert entry.removeprefix("python ") == published[hook_id]["entry"].removeprefix("python ")
        assert ours[hook_id]["pass_filenames"] is published[hook_id]["pass_filenames"] is False


def _pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "GITOPS_GEN_NO_CACHE": "1",
        "MYPY_CACHE_DIR": str(home / "mypy"),
        "RUFF_CACHE_DIR": str(home / "ruff"),
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _results(output: str) -> dict[str, str]:
    """Hook name -> Passed / Failed / Skipped, from pre-commit's report lines."""
    out = {}
    for line in output.splitlines():
        for verdict in ("Passed", "Failed", "(no files to check)Skipped"):
            if line.endswith(verdict) and "..." in line:
                out[line.split("...")[0].strip()] = verdict.removeprefix("(no files to check)")
    return out


@pytest.mark.slow
def test_the_config_under_the_real_pre_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if src.is_file() and not src.is_symlink():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    (repo / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)  # the tools under test
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "copy")
    home = tmp_path / "pre-commit-home"

    clean = _pre_commit(repo, home)
    names = {
        "ruff check": "ruff",
        "ruff format": "ruff-format",
        "mypy (strict, the configured packages)": "mypy",
        "gitops-gen render (refuse stale output, re-render it)": "gitops-gen-render",
        "gitops-gen lint": "gitops-gen-lint",
    }
    verdicts = {names[k]: v for k, v in _results(clean.stdout).items()}
    assert clean.returncode == 0 and verdicts == dict.fromkeys(IDS, "Passed"), clean.stdout + clean.stderr

    # a module with an unused import, badly formatted; a spec change the committed output does not have
    (repo / "gitops_gen" / "scratch.py").write_text("import os\nx = [1,2]\n", encoding="utf-8")
    platform = repo / "specs" / "platform.yaml"
    text = platform.read_text(encoding="utf-8")
    assert "version: 4.15.1\n" in text  # ingress-nginx's chart version
    platform.write_text(text.replace("version: 4.15.1\n", "version: 4.15.2\n", 1), encoding="utf-8")
    git(repo, "add", "-A")
    before = {p: p.read_bytes() for p in (repo / "output").rglob("*") if p.is_file()}
    dirty = _pre_commit(repo, home)
    verdicts = {names[k]: v for k, v in _results(dirty.stdout).items()}
    assert dirty.returncode == 1, dirty.stdout + dirty.stderr
    assert verdicts["ruff"] == "Failed" and "F401" in dirty.stdout  # the unused import
    assert verdicts["ruff-format"] == "Failed"  # and it rewrote the file, as a formatter does
    assert (repo / "gitops_gen" / "scratch.py").read_text(encoding="utf-8") == "import os\n\nx = [1, 2]\n"
    assert verdicts["mypy"] == "Passed" and verdicts["gitops-gen-lint"] == "Passed"
    assert verdicts["gitops-gen-render"] == "Failed" and "re-rendered" in dirty.stdout + dirty.stderr
    after = {p: p.read_bytes() for p in (repo / "output").rglob("*") if p.is_file()}
    changed = [p.relative_to(repo).as_posix() for p in after if after[p] != before.get(p)]
    assert changed and all("ingress-nginx" in p for p in changed), changed  # re-rendered, nothing else
