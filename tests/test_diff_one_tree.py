"""`diff` keeps one rendered tree on disk at a time and builds each side's clusters once (issue 15).

The report must be what two fresh trees, each linted on its own (the lint building its own cluster
views), give: the reference below does exactly that with the same library functions, and the JSON of
both must be byte-identical on a change that removes an app, adds one, and grows requests.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from git_helpers import git

from gitops_gen.diff import api, deltas, gitref
from gitops_gen.diff.compare import compare_objects
from gitops_gen.diff.model import DiffReport
from gitops_gen.diff.objects import parse_tree
from gitops_gen.diff.report import render_report
from gitops_gen.lint.api import LintFlags

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def snapshot(root: Path) -> dict[str, Any]:
    """Every directory (None) and file (its bytes) below ``root``."""
    out: dict[str, Any] = {}
    for d, dirs, files in os.walk(root):
        for name in dirs:
            out[os.path.relpath(os.path.join(d, name), root)] = None
        for name in files:
            out[os.path.relpath(os.path.join(d, name), root)] = Path(d, name).read_bytes()
    return out


TREES: list[tuple[str, dict[str, str], str, dict[str, str]]] = [
    ("output", {"a/x.yaml": "x\n", "a/b/y.yaml": "y\n"}, "output", {"a/x.yaml": "x\n", "a/b/y.yaml": "y\n"}),
    ("output", {"a/x.yaml": "x\n", "a/b/y.yaml": "y\n"}, "output", {"a/x.yaml": "x2\n", "c/z.yaml": "z\n"}),
    ("output", {"apps/one/k.yaml": "1\n", "apps/two/k.yaml": "2\n"}, "output", {"apps/two/k.yaml": "2\n"}),
    ("output", {"a/x.yaml": "x\n"}, "deploy/out", {"a/x.yaml": "x\n"}),  # the tree moved
    ("", {"a/x.yaml": "x\n", "top.yaml": "t\n"}, "output", {"a/x.yaml": "x\n"}),
    ("output", {"a/x.yaml": "x\n"}, "", {"a/x.yaml": "x\n"}),
    ("output", {"a": "a file\n"}, "output", {"a/b.yaml": "now a directory\n"}),
    ("output", {"a/b.yaml": "a directory\n"}, "output", {"a": "now a file\n"}),
    ("output", {"a/x.yaml": "x\n", "../escape.yaml": "no\n"}, "output", {}),  # nothing left, nothing outside
]


@pytest.mark.parametrize(("old_out", "old", "new_out", "new"), TREES)
def test_turning_the_old_tree_gives_a_fresh_write_of_the_new(
    tmp_path: Path, old_out: str, old: dict[str, str], new_out: str, new: dict[str, str]
) -> None:
    fresh = tmp_path / "fresh"
    old_placed, new_placed = api._placed(old_out, old), api._placed(new_out, new)
    api._write_tree(fresh, new_out, new_placed)
    turned = tmp_path / "turned"
    api._write_tree(turned, old_out, old_placed)
    api._turn_tree(turned, (old_out, old_placed), (new_out, new_placed))
    assert snapshot(turned) == snapshot(fresh)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh", "turned"]  # nothing written outside


@pytest.fixture(scope="module")
def changed_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled specs with three apps, committed; then one app removed, one added (large
    requests: a budget overflow), one app's HPA raised."""
    root = tmp_path_factory.mktemp("diff1") / "repo"
    shutil.copytree(REPO / "specs", root / "specs")
    apps = root / "specs" / "apps"
    text = (
        (apps / "lingua-app.yaml").read_text(encoding="utf-8").replace("  imagePullSecret: ghcr-creds\n", "")
    )
    (apps / "lingua-app.yaml").unlink()
    for name in ("one", "two", "three"):
        (apps / f"{name}.yaml").write_text(
            text.replace("lingua-app", name).replace("lingua.cachefly.site", f"{name}.example.org"),
            encoding="utf-8",
        )
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "three apps")
    (apps / "two.yaml").unlink()
    big = (apps / "one.yaml").read_text(encoding="utf-8").replace("one", "four")
    assert "memory: 128Mi" in big and "memory: 512Mi" in big
    (apps / "four.yaml").write_text(
        big.replace("memory: 128Mi", "memory: 20Gi").replace("memory: 512Mi", "memory: 20Gi"),
        encoding="utf-8",
    )
    three = (apps / "three.yaml").read_text(encoding="utf-8")
    (apps / "three.yaml").write_text(three.replace("maxReplicas: 5", "maxReplicas: 9"), encoding="utf-8")
    return root


def reference_report(repo: Path, base: str = "HEAD") -> DiffReport:
    """The report as ``diff`` made it before: both trees written in full, side by side, and each
    side's lint building its own cluster views."""
    from gitops_gen.spec.loader import load_specs

    specs_dir, out_dir = repo / "specs", Path("output")
    git_repo = gitref.find_repo(specs_dir)
    commit = gitref.resolve_ref(git_repo, base)
    with tempfile.TemporaryDirectory() as tmp:
        base_root = Path(tmp) / "base"
        gitref.export_path(git_repo, commit, "specs", base_root)
        old_specs = load_specs(base_root / "specs", display_root=base_root)
        new_specs = load_specs(specs_dir)
        old_files, new_files = deltas.render(old_specs, out_dir), deltas.render(new_specs, out_dir)
        old = parse_tree(old_files, display=lambda r: f"{base}: rendered {r}")
        new = parse_tree(new_files, display=lambda r: f"rendered {r}")
        report = DiffReport(f"{base} ({commit[:12]})", "working tree", compare_objects(old, new))
        roots = (Path(tmp) / "old", Path(tmp) / "new")
        old_out, new_out = deltas.tree_prefix(old_specs, out_dir), deltas.tree_prefix(new_specs, out_dir)
        old_tree = api._write_tree(roots[0], old_out, api._placed(old_out, old_files))
        new_tree = api._write_tree(roots[1], new_out, api._placed(new_out, new_files))
        lint = deltas.lint_findings

        def own_views(*args: Any, **kwargs: Any) -> Any:
            kwargs["views"] = kwargs["phase1"] = None  # the lint builds them, and runs all of phase 1
            return lint(*args, **kwargs)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(deltas, "lint_findings", own_views)
            deltas.add_deltas(report, old_tree, new_tree, old_specs, new_specs, roots)
    return report


def test_the_report_is_the_one_two_fresh_trees_give(
    changed_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_gen.cluster.view import ClusterBuilder

    monkeypatch.chdir(changed_repo)
    build = ClusterBuilder.build
    built: list[str] = []

    def counted(self: ClusterBuilder) -> Any:
        built.append(self.entry.directory)
        return build(self)

    with monkeypatch.context() as mp:
        mp.setattr(ClusterBuilder, "build", counted)
        got = api.diff_specs("HEAD", Path("specs"), Path("output"))
    assert len(built) == 2  # one cluster, built once per side (for its budget and its lint)
    want = reference_report(changed_repo)
    for fmt in api.FORMATS:
        assert render_report(got, fmt) == render_report(want, fmt), fmt
    # and the deltas are the ones the change makes
    assert {o.key for o in got.objects.removed} >= {"Deployment/two/two", "Namespace/two"}
    assert {o.key for o in got.objects.added} >= {"Deployment/four/four", "Namespace/four"}
    assert got.budget is not None and got.budget.before is not None and got.budget.after is not None
    assert got.budget.after.memory_requests_bytes > got.budget.before.memory_requests_bytes
    assert got.lint is not None
    assert any(f.rule == "memory-budget" and "four" in f.resource for f in got.lint.introduced)


@pytest.mark.parametrize("child", ["written", "failed", "none"])
def test_the_old_tree_written_beside_or_here_gives_the_same_report(
    changed_repo: Path, monkeypatch: pytest.MonkeyPatch, child: str
) -> None:
    """Forked children export and read the base specs while the models are imported, write the old
    tree while the objects are compared, and compute the budget of each side while that side is linted;
    when they fail, or none is started, this process does their work: the report is the same."""
    from gitops_gen import forked

    monkeypatch.chdir(changed_repo)
    monkeypatch.setattr(api, "FORK_MIN_FILES", 0)
    want = api.diff_specs("HEAD", Path("specs"), Path("output"))
    real = forked.start
    started: list[object] = []

    def start(fn: Any) -> Any:
        got = real(fn) if child == "written" else real(lambda: 1 / 0) if child == "failed" else None
        started.append(got)
        return got

    monkeypatch.setattr(forked, "start", start)
    got = api.diff_specs("HEAD", Path("specs"), Path("output"))
    assert len(started) == 4 and all((c is None) == (child == "none") for c in started)
    for fmt in api.FORMATS:
        assert render_report(got, fmt) == render_report(want, fmt), fmt


def test_a_prebuilt_view_lints_as_the_lint_built_one(
    changed_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_gen.spec.loader import load_specs

    monkeypatch.chdir(changed_repo)
    specs = load_specs(Path("specs"))
    root = changed_repo.parent / "views"
    out = deltas.tree_prefix(specs, Path("output"))
    tree = api._write_tree(root, out, api._placed(out, deltas.render(specs, Path("output"))))
    entries, views = deltas.clusters_of(tree)
    assert views, "the rendered tree has a Flux entry point"
    args = (tree, specs.root, root)
    own = deltas.lint_findings(*args, platforms=specs.platforms)
    from gitops_gen.cluster import view

    def walked(top: str) -> list[Any]:
        raise AssertionError(f"{top} walked again for its entry points")

    monkeypatch.setattr(view, "find_entries", walked)  # the lint takes the entries found with the views
    shared = deltas.lint_findings(*args, platforms=specs.platforms, views=views, entries=entries)
    assert shared == own and any(f.rule == "memory-budget" for f in own)


def test_scratch_goes_where_the_user_says_or_in_memory_with_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(api, "SHM_DIR", str(tmp_path))
    st = os.statvfs(tmp_path)
    free = st.f_bavail * st.f_frsize
    assert api.scratch_dir(0) == (str(tmp_path) if free >= api.SHM_SPARE else None)
    assert api.scratch_dir(free) is None  # no room for the trees and the spare
    monkeypatch.setattr(api, "SHM_DIR", str(tmp_path / "absent"))
    assert api.scratch_dir(0) is None
    monkeypatch.setattr(api, "SHM_DIR", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert api.scratch_dir(0) is None  # the user's choice: tempfile's default


def test_an_interrupt_on_the_new_side_leaves_nothing(
    changed_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(changed_repo)
    lint = deltas.lint_findings
    seen: list[Path] = []

    def interrupted(tree: Path, *args: Any, **kwargs: Any) -> Any:
        seen.append(tree)
        if len(seen) == 2:  # the old side is done and its tree turned into the new one
            assert (tree / "apps" / "vps" / "four").is_dir()
            raise KeyboardInterrupt
        return lint(tree, *args, **kwargs)

    monkeypatch.setattr(deltas, "lint_findings", interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.diff_specs("HEAD", Path("specs"), Path("output"))
    assert len(seen) == 2 and list(scratch.iterdir()) == []


def phase1_runs(repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[DiffReport, list[list[str]]]:
    """The diff of ``repo``, and the files each phase-1 run of its lint analysed (relative to the tree)."""
    from gitops_gen.lint import engine

    run = engine.run_phase1
    runs: list[list[str]] = []

    def recorded(tasks: list[Any], *args: Any, **kwargs: Any) -> Any:
        runs.append(sorted(t.display.split("/output/", 1)[-1] for t in tasks))
        return run(tasks, *args, **kwargs)

    monkeypatch.chdir(repo)
    with monkeypatch.context() as mp:
        mp.setattr(engine, "run_phase1", recorded)
        # without the result cache (which a diff run before may have filled): what phase 1 analyses
        report = api.diff_specs("HEAD", Path("specs"), Path("output"), LintFlags(no_cache=True))
    return report, runs


def test_the_new_side_analyses_only_the_files_the_change_touched(
    changed_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_gen.spec.loader import load_specs

    report, runs = phase1_runs(changed_repo, monkeypatch)
    assert len(runs) == 2 and len(runs[0]) > 20  # the old side: every file
    # the files whose text the change touched (objects, or only the generated comments)
    base = changed_repo.parent / "base-specs"
    git_repo = gitref.find_repo(changed_repo)
    gitref.export_path(git_repo, gitref.resolve_ref(git_repo, "HEAD"), "specs", base)
    old = deltas.render(load_specs(base / "specs", display_root=base), Path("output"))
    new = deltas.render(load_specs(Path("specs")), Path("output"))
    touched = {rel for rel, text in new.items() if old.get(rel) != text}
    assert set(runs[1]) <= touched and set(runs[1]) >= {o.file for o in report.objects.added} - {
        "apps/vps/four/kustomization.yaml"
    }
    assert "apps/vps/three/hpa.yaml" in runs[1] and "apps/vps/one/deployment.yaml" not in runs[1]


def test_the_lint_hashes_the_text_diff_wrote_instead_of_reading_the_files(
    changed_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_gen.lint import run

    keys = run._memo_keys
    seen: list[tuple[list[str], set[str]]] = []

    def recorded(tasks: list[Any], options: Any, written: Any = None) -> Any:
        got = keys(tasks, options, written)
        assert got == keys(tasks, options)  # the same keys as from the files on disk
        seen.append(([t.path for t in tasks if t.objects is not None and t.text is None], set(written or ())))
        return got

    monkeypatch.chdir(changed_repo)
    with monkeypatch.context() as mp:
        mp.setattr(run, "_memo_keys", recorded)
        api.diff_specs("HEAD", Path("specs"), Path("output"), LintFlags(no_cache=True))
    assert len(seen) == 2
    for paths, written in seen:  # each side: every file's text known, none read for its key
        assert len(paths) > 20 and set(paths) <= written


def test_other_options_analyse_every_file_again(
    changed_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(changed_repo, repo, symlinks=True)
    platform = repo / "specs" / "platform.yaml"
    text = platform.read_text(encoding="utf-8")
    assert "memory: 12Gi" in text
    platform.write_text(text.replace("memory: 12Gi", "memory: 16Gi", 1), encoding="utf-8")  # the node
    _report, runs = phase1_runs(repo, monkeypatch)
    assert len(runs) == 2 and set(runs[1]) >= {f for f in runs[0] if "/two/" not in f}  # but the removed app


def test_a_full_scratch_directory_is_a_located_error(
    changed_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from gitops_gen.errors import UserError

    def full(path: str, *args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.chdir(changed_repo)
    monkeypatch.setattr(api, "_write_file", full)  # every write of a scratch file fails
    with pytest.raises(UserError) as info:
        api.diff_specs("HEAD", Path("specs"), Path("output"))
    [problem] = info.value.problems
    assert problem.location.file.endswith(".yaml") and "gitops-gen-diff-" in problem.location.file
    assert "No space left on device" in problem.message and "TMPDIR" in problem.hint


def test_a_full_scratch_directory_while_the_base_is_exported_is_a_located_error(
    changed_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails while the base's specs are exported (a full disk names no file) is located
    at the scratch copy, not reported as an internal error."""
    import errno

    from gitops_gen.diff import gitref
    from gitops_gen.errors import UserError

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a failed write raises it: no file

    monkeypatch.chdir(changed_repo)
    monkeypatch.setattr(gitref, "export_path", full)
    with pytest.raises(UserError) as info:
        api.diff_specs("HEAD", Path("specs"), Path("output"))
    [problem] = info.value.problems
    assert "gitops-gen-diff-" in problem.location.file and problem.location.file.endswith("base")
    assert "base specs" in problem.message and "No space left on device" in problem.message
    assert "TMPDIR" in problem.hint


def test_views_parse_only_what_no_earlier_step_parsed_for_them(
    changed_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old side's clusters take the documents the object comparison parsed (but those the report
    shows); the new side's read the files the turn left alone from the old side's parse unless that
    build took them to change them, and parse what the turn wrote. So few files are parsed by a
    view, and the changed ones are read as they are now (the report above is that of two fresh
    trees)."""
    from gitops_gen.cluster import kustomize

    monkeypatch.chdir(changed_repo)
    parse_text, parse_file, turn = kustomize.parse_text, kustomize.parse_file, api._turn_tree
    events: list[str] = []

    def counted_parse(text: str) -> Any:
        events.append("parse")
        return parse_text(text)

    def counted_read(path: str, known: Any = None, text: str | None = None) -> Any:
        events.append(path)
        return parse_file(path, known, text)

    def turned(*args: Any) -> list[Path]:
        events.append("--- turned ---")
        return turn(*args)

    monkeypatch.setattr(kustomize, "parse_text", counted_parse)
    monkeypatch.setattr(kustomize, "parse_file", counted_read)
    monkeypatch.setattr(api, "_turn_tree", turned)
    api.diff_specs("HEAD", Path("specs"), Path("output"))
    mark = events.index("--- turned ---")
    old_side, new_side = events[:mark], events[mark + 1 :]
    old_reads = [e for e in old_side if e != "parse"]
    assert len(old_reads) > 10
    assert old_side.count("parse") < len(old_reads) // 3, "the views took the comparison's parses"
    new_reads = [e for e in new_side if e != "parse"]
    assert any("three" in p for p in new_reads)  # the raised HPA is read as it is now
    assert len(new_reads) < len(old_reads), "kustomization files the turn left alone are not read again"


def test_placed_paths_read_as_pathlib_reads_them() -> None:
    """Plain paths take the fast split; any other form is read by pathlib (``a//b`` and ``./a`` are
    plain names to it) and a path that could leave the tree is dropped."""
    files = {
        p: p for p in ("a/b.yaml", "a//b2.yaml", "./c.yaml", "a/./d.yaml", "../e.yaml", "/f", "a/../g", "")
    }
    assert api._placed("out", files) == {
        "out/a/b.yaml": "a/b.yaml",
        "out/a/b2.yaml": "a//b2.yaml",
        "out/c.yaml": "./c.yaml",
        "out/a/d.yaml": "a/./d.yaml",
    }
    assert api._placed("", {"x/y.yaml": "t"}) == {"x/y.yaml": "t"}


def test_importing_ahead_starts_no_thread() -> None:
    """diff imports what its lint needs while a forked child reads the specs; a thread started by
    an import would stop every later fork (forked.worthwhile), so none may be."""
    import threading

    deltas.prepare()
    assert threading.active_count() == 1
    from gitops_gen.lint.registry import rules

    assert rules()  # the registry is built


def test_the_views_take_the_written_text_and_a_linked_scratch_reads_the_disk(
    changed_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cluster views of the trees diff wrote read none of their files back (their text is known);
    when the scratch directory is reached through a link, the views name the files by a path the written
    map does not hold, ask the disk, and the report is the same."""
    from gitops_gen.cluster import kustomize

    monkeypatch.chdir(changed_repo)
    read = kustomize.read_file
    reads: list[str] = []

    def counted(path: Any, display: str, **kwargs: Any) -> Any:
        reads.append(str(path))
        return read(path, display, **kwargs)

    monkeypatch.setattr(kustomize, "read_file", counted)
    want = api.diff_specs("HEAD", Path("specs"), Path("output"))
    assert reads == []
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "link"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "link"))
    got = api.diff_specs("HEAD", Path("specs"), Path("output"))
    assert reads and all(str(tmp_path / "link") in p for p in reads)
    for fmt in api.FORMATS:
        assert render_report(got, fmt) == render_report(want, fmt), fmt
    assert list(real.iterdir()) == []  # the scratch trees are gone


def test_scratch_files_hold_the_text_as_given(tmp_path: Path) -> None:
    """No newline translation, UTF-8, created as ``open(path, "w")`` creates a file (0o666 less the
    umask), an existing file truncated."""
    texts = {"a/b.yaml": "x: 1\r\ny: 2", "a/c.yaml": "name: \u00e9t\u00e9\n", "d.yaml": ""}
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.yaml").write_text("a much longer text than what replaces it\n" * 10)
    written = api._write_files(tmp_path, texts.items())
    assert [p.relative_to(tmp_path).as_posix() for p in written] == list(texts)
    umask = os.umask(0)
    os.umask(umask)
    for rel, text in texts.items():
        assert (tmp_path / rel).read_bytes() == text.encode("utf-8"), rel
    assert (tmp_path / "a" / "c.yaml").stat().st_mode & 0o777 == 0o666 & ~umask
