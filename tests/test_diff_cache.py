"""`diff` keeps its trees at the repository's own scratch place and lints them with the result cache:
a diff run again finds what the last one linted (issue 15). The report must be the one ``--no-cache``
gives, whatever the cache holds: warm, after an edit of the work tree, against another base."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from git_helpers import git

from gitops_gen.cli import main
from gitops_gen.diff import place

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def test_the_place_is_the_repositorys_own_locked_and_removed(tmp_path: Path) -> None:
    base = tmp_path / "scratch"
    base.mkdir()
    with place.scratch_place(str(base), tmp_path / "repo-a") as (first, lasting):
        assert lasting and Path(first).parent == base
        assert stat.S_IMODE(os.stat(first).st_mode) == 0o700
        Path(first, "repo").mkdir()
        # another diff of the same repository meanwhile: a fresh temporary directory, not this one
        with place.scratch_place(str(base), tmp_path / "repo-a") as (other, other_lasting):
            assert not other_lasting and other != first and Path(other).parent == base
        with place.scratch_place(str(base), tmp_path / "repo-b") as (third, third_lasting):
            assert third_lasting and third != first  # another repository: its own place
    assert list(base.iterdir()) == []  # everything removed
    with place.scratch_place(str(base), tmp_path / "repo-a") as (again, again_lasting):
        assert again_lasting and again == first  # the same place the next time


def test_a_killed_diffs_trees_are_cleared_and_a_foreign_name_is_not_used(tmp_path: Path) -> None:
    base = tmp_path / "scratch"
    base.mkdir()
    with place.scratch_place(str(base), tmp_path / "repo") as (where, _lasting):
        name = Path(where).name
    left = base / name / "repo" / "apps"
    left.mkdir(parents=True, mode=0o700)
    os.chmod(base / name, 0o700)
    (left / "old.yaml").write_text("left by a killed diff\n", encoding="utf-8")
    with place.scratch_place(str(base), tmp_path / "repo") as (where, lasting):
        assert lasting and os.listdir(where) == [place.LOCK]  # emptied before use
    target = tmp_path / "elsewhere"
    target.mkdir()
    (base / name).symlink_to(target)  # not a directory of ours: never written through
    with place.scratch_place(str(base), tmp_path / "repo") as (where, lasting):
        assert not lasting and Path(where).name != name
    assert list(target.iterdir()) == []
    (base / name).unlink()
    (base / name).mkdir(mode=0o755)
    os.chmod(base / name, 0o755)  # open to others: not used
    with place.scratch_place(str(base), tmp_path / "repo") as (where, lasting):
        assert not lasting


@pytest.mark.parametrize("jobs", ["", "1"])
def test_a_large_tree_is_removed_whole_by_two_processes_or_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    """The split removal (a forked child takes half of the entries) leaves nothing but the lock file,
    links not followed; with one CPU allowed (no child), the same."""
    monkeypatch.setenv("GITOPS_GEN_JOBS", jobs)
    base = tmp_path / "scratch"
    base.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.yaml").write_text("not ours\n", encoding="utf-8")
    with place.scratch_place(str(base), tmp_path / "repo") as (where, _lasting):
        apps = Path(where, "repo", "clusters", "dev", "apps")
        for i in range(3 * place.SPLIT_MIN):
            d = apps / f"app-{i:03d}" / "base"
            d.mkdir(parents=True)
            for n in range(3):
                (d / f"f{n}.yaml").write_text("kind: ConfigMap\n", encoding="utf-8")
        (apps / "link").symlink_to(outside)
        Path(where, "repo", "clusters", "dev", "flux.yaml").write_text("x\n", encoding="utf-8")
        assert len(place._spread([Path(where, "repo")])) >= place.SPLIT_MIN
    assert list(base.iterdir()) == []
    assert (outside / "keep.yaml").read_text(encoding="utf-8") == "not ours\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The bundled specs committed twice (HEAD~1: one app; HEAD: two), then an HPA raised."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "specs", root / "specs")
    apps = root / "specs" / "apps"
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "one app")
    text = (
        (apps / "lingua-app.yaml").read_text(encoding="utf-8").replace("  imagePullSecret: ghcr-creds\n", "")
    )
    (apps / "second.yaml").write_text(
        text.replace("lingua-app", "second").replace("lingua.cachefly.site", "second.example.org"),
        encoding="utf-8",
    )
    git(root, "add", ".")
    git(root, "commit", "-qm", "two apps")
    (apps / "second.yaml").write_text(
        (apps / "second.yaml").read_text(encoding="utf-8").replace("maxReplicas: 5", "maxReplicas: 9"),
        encoding="utf-8",
    )
    return root


def _diff(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(["diff", "--format", "json", *args])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_a_cached_diff_reports_what_an_uncached_one_does(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    plain = _diff(repo, capsys, "--no-cache")
    assert "maxReplicas" in plain
    assert _diff(repo, capsys, *cache) == plain  # cold: the results are stored
    assert any((tmp_path / "cache").rglob("index.marshal")) or any((tmp_path / "cache").rglob("journal*"))
    from gitops_gen.lint import run

    linted: list[int] = []
    lint_tasks = run._lint_tasks

    def counted(*args: object, **kwargs: object) -> object:
        linted.append(1)
        return lint_tasks(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run, "_lint_tasks", counted)
    assert _diff(repo, capsys, *cache) == plain  # warm: found again, no cluster linted again
    assert linted == []
    assert _diff(repo, capsys, "--no-cache") == plain and linted  # (counted when linted)
    other = _diff(repo, capsys, "--no-cache", "--base", "HEAD~1")  # another base: other baselines
    assert other != plain
    assert _diff(repo, capsys, *cache, "--base", "HEAD~1") == other
    second = repo / "specs" / "apps" / "second.yaml"
    second.write_text(second.read_text(encoding="utf-8").replace("maxReplicas: 9", "maxReplicas: 3"), "utf-8")
    edited = _diff(repo, capsys, "--no-cache")
    assert edited != plain
    assert _diff(repo, capsys, *cache) == edited  # the work tree changed: not the last results
    assert _diff(repo, capsys, *cache, "--base", "HEAD~1") == _diff(
        repo, capsys, "--no-cache", "--base", "HEAD~1"
    )
