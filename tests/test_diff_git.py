"""Reading specs at a git ref without touching the work tree or the index (real git, temp repos)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from git_helpers import git

from gitops_gen.diff import gitref
from gitops_gen.errors import UserError

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "specs" / "apps").mkdir(parents=True)
    (root / "specs" / "platform.yaml").write_text("v: 1\n")
    (root / "specs" / "apps" / "a.yaml").write_text("a: 1\n")
    (root / "specs" / "notes.txt").write_text("not yaml\n")
    (root / "other.yaml").write_text("o: 1\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "one")
    return root


def test_export_reads_the_ref_not_the_work_tree(repo: Path, tmp_path: Path) -> None:
    (repo / "specs" / "platform.yaml").write_text("v: 2\n")  # unstaged
    (repo / "specs" / "apps" / "b.yaml").write_text("b: 1\n")  # untracked
    git(repo, "add", "specs/apps/b.yaml")  # staged
    status = git(repo, "status", "--porcelain")
    r = gitref.find_repo(repo / "specs")
    commit = gitref.resolve_ref(r, "HEAD")
    dest = tmp_path / "out"
    files = gitref.export_path(r, commit, gitref.relative_to_root(r, repo / "specs"), dest)
    assert files == ["specs/apps/a.yaml", "specs/platform.yaml"]
    assert (dest / "specs" / "platform.yaml").read_text() == "v: 1\n"
    assert not (dest / "other.yaml").exists()
    assert git(repo, "status", "--porcelain") == status  # index and work tree untouched


def test_export_of_an_older_ref_and_a_missing_path(repo: Path, tmp_path: Path) -> None:
    (repo / "specs" / "platform.yaml").write_text("v: 2\n")
    git(repo, "commit", "-qam", "two")
    r = gitref.find_repo(repo)
    old = gitref.resolve_ref(r, "HEAD~1")
    gitref.export_path(r, old, "specs", tmp_path / "o")
    assert (tmp_path / "o" / "specs" / "platform.yaml").read_text() == "v: 1\n"
    assert gitref.export_path(r, old, "nothing-here", tmp_path / "n") == []
    # a path that is a prefix of another directory's name is not that directory
    assert gitref.export_path(r, old, "spec", tmp_path / "p") == []


def test_unknown_and_hostile_refs(repo: Path) -> None:
    r = gitref.find_repo(repo)
    with pytest.raises(UserError, match="unknown git ref 'no-such-branch'"):
        gitref.resolve_ref(r, "no-such-branch")
    for bad in ("--output=/tmp/x", "", "a\nb"):
        with pytest.raises(UserError, match="invalid git ref"):
            gitref.resolve_ref(r, bad)


def test_not_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    env_dir = os.environ.get("GIT_CEILING_DIRECTORIES")
    os.environ["GIT_CEILING_DIRECTORIES"] = str(tmp_path)
    try:
        with pytest.raises(UserError, match="not inside a git repository") as exc:
            gitref.find_repo(plain)
        assert "--output-dir" in str(exc.value)
    finally:
        if env_dir is None:
            del os.environ["GIT_CEILING_DIRECTORIES"]
        else:
            os.environ["GIT_CEILING_DIRECTORIES"] = env_dir


def test_shallow_clone_says_to_fetch_history(repo: Path, tmp_path: Path) -> None:
    (repo / "specs" / "platform.yaml").write_text("v: 2\n")
    git(repo, "commit", "-qam", "two")
    git(repo, "branch", "feature", "HEAD~1")
    clone = tmp_path / "clone"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-local",
        "--single-branch",
        "--branch",
        "main",
        f"file://{repo}",
        str(clone),
    )
    r = gitref.find_repo(clone)
    with pytest.raises(UserError) as exc:
        gitref.resolve_ref(r, "origin/feature")
    assert "shallow" in str(exc.value) and "fetch-depth: 0" in str(exc.value)


def test_symlinks_are_not_exported(repo: Path, tmp_path: Path) -> None:
    (repo / "specs" / "link.yaml").symlink_to("/etc/hostname")
    git(repo, "add", "specs/link.yaml")
    git(repo, "commit", "-qm", "link")
    r = gitref.find_repo(repo)
    files = gitref.export_path(r, gitref.resolve_ref(r, "HEAD"), "specs", tmp_path / "x")
    assert "specs/link.yaml" not in files and not (tmp_path / "x" / "specs" / "link.yaml").exists()


def test_export_writes_each_blob_byte_for_byte_in_nested_directories(repo: Path, tmp_path: Path) -> None:
    """Many files sharing directories (each directory made once), bytes as committed: CRLF, no final
    newline, an empty file, non-ASCII names and text, a deep path."""
    blobs = {
        "specs/apps/team-a/x.yaml": b"a: 1\r\nb: 2\r\n",
        "specs/apps/team-a/y.yaml": b"no-newline: true",
        "specs/apps/team-b/empty.yaml": b"",
        "specs/apps/team-b/\xc3\xa9t\xc3\xa9.yaml": "name: \u00e9t\u00e9\n".encode(),
        "specs/deep/a/b/c/d.yaml": b"d: 4\n",
    }
    for rel, data in blobs.items():
        target = repo / rel.encode().decode("utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "more")
    r = gitref.find_repo(repo)
    dest = tmp_path / "out"
    files = gitref.export_path(r, gitref.resolve_ref(r, "HEAD"), "specs", dest)
    assert set(blobs) <= set(files)
    for rel, data in blobs.items():
        assert (dest / rel).read_bytes() == data, rel
