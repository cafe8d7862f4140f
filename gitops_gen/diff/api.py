"""``gitops-gen diff``: what a change does to the cluster.

Two modes:

* specs (default): the specs as they are at git ``--base`` (read with ``git ls-tree``/``cat-file``
  into a temporary directory; the work tree and the index are never touched) and as they are in
  the work tree are both rendered in memory with the *current* renderer, then compared;
* ``--output-dir OLD NEW``: two already-rendered trees on disk are compared.

Then the lint delta (findings introduced / fixed) and the budget delta (requests before / after)
are computed on both trees, with the schema options lint has (``--crd-dir``, ``--schema-dir``,
``--kubernetes-version``). Exit code 0 whatever the diff says, unless ``--fail-on error|warning``:
then 1 when the change adds findings at that severity (introduced, or raised to it); 2 for a bad
ref, missing or invalid specs, unreadable trees.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TextIO

from msgspec.structs import replace

from gitops_gen import ending, forked
from gitops_gen.diff import deltas, gitref
from gitops_gen.diff.compare import ObjectDiff, compare_objects
from gitops_gen.diff.model import DiffReport
from gitops_gen.diff.objects import SharedParses, parse_tree, read_tree
from gitops_gen.diff.place import scratch_place
from gitops_gen.diff.report import render_report
from gitops_gen.errors import Location, UserError
from gitops_gen.paths import KnownTree

if TYPE_CHECKING:
    from gitops_gen.lint.api import LintFlags
    from gitops_gen.spec.files import SpecReads
    from gitops_gen.spec.loader import Specs

    #: what the export child gives: the repository paths exported, the spec files listed (None: the
    #: loader lists them and says why it cannot), and what was read of them
    _Exported = tuple[list[str], list[str] | None, SpecReads]

FORMATS = ("text", "markdown", "json")


def run_diff(
    *,
    base: str = "HEAD",
    specs_dir: Path = Path("specs"),
    output_dirs: tuple[Path, Path] | None = None,
    fmt: str = "text",
    out_dir: Path = Path("output"),
    stream: TextIO | None = None,
    fail_on: str | None = None,
    lint_flags: LintFlags | None = None,
) -> int:
    """Print the diff report; 0 on success (whatever changed), 1 when ``fail_on`` (error|warning) is
    given and the change adds findings at that severity, UserError (exit 2) on bad input.

    ``lint_flags`` are lint's schema options (``crd_dirs``, ``schema_dirs``, ``kubernetes_version``)
    used on both sides."""
    from gitops_gen.lint.model import Severity

    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
    threshold = Severity.parse(fail_on) if fail_on else None
    if output_dirs is not None:
        report = diff_output_dirs(Path(output_dirs[0]), Path(output_dirs[1]), Path(specs_dir), lint_flags)
    else:
        report = diff_specs(base, Path(specs_dir), Path(out_dir), lint_flags)
    (stream or sys.stdout).write(render_report(report, fmt))
    if threshold is not None and report.lint is not None and report.lint.added_at(threshold):
        return 1
    return 0


def diff_output_dirs(
    old_dir: Path,
    new_dir: Path,
    specs_dir: Path | None = None,
    lint_flags: LintFlags | None = None,
) -> DiffReport:
    """Compare two trees on disk; the platform spec (node sizes), when ``specs_dir`` holds one,
    serves both sides' lint and budget."""
    from gitops_gen.spec.loader import load_specs

    old_files = read_tree(old_dir)
    new_files = read_tree(new_dir)
    if not old_files and not new_files:
        raise UserError.at(
            f"{old_dir}, {new_dir}",
            "no YAML files in either directory",
            hint="pass two directories of rendered manifests",
        )
    parser = SharedParses().documents  # the files both sides share: parsed once
    old = parse_tree(old_files, display=lambda rel: str(old_dir / rel), parser=parser)
    new = parse_tree(new_files, display=lambda rel: str(new_dir / rel), parser=parser)
    report = DiffReport(str(old_dir), str(new_dir), compare_objects(old, new))
    specs = load_specs(specs_dir) if specs_dir is not None and specs_dir.is_dir() else None
    deltas.add_deltas(report, old_dir, new_dir, specs, specs, lint_flags=lint_flags, cached=True)
    return report


def diff_specs(base: str, specs_dir: Path, out_dir: Path, lint_flags: LintFlags | None = None) -> DiffReport:
    repo = gitref.find_repo(specs_dir)
    commit = gitref.resolve_ref(repo, base)
    rel = gitref.relative_to_root(repo, specs_dir)
    label = f"{base} ({commit[:12]})" if base != commit else commit[:12]
    with tempfile.TemporaryDirectory(prefix="gitops-gen-diff-", dir=scratch_dir()) as tmp:
        base_root = Path(tmp) / "base"
        base_specs_dir = base_root.joinpath(*PurePosixPath(rel).parts) if rel else base_root
        # a forked child exports the base specs and reads them while this process imports the spec
        # models, the renderer and the linter (half a second); without a child, the same is done here
        ahead = forked.start(lambda: _export_and_read(repo, commit, rel, base_root, base_specs_dir))
        try:
            from gitops_gen.render.engine import RenderMemo
            from gitops_gen.spec.files import Preread
            from gitops_gen.spec.loader import SpecMemo, load_specs

            if ahead is not None:
                deltas.prepare()  # import what comes later meanwhile
            # and the work tree's specs are loaded meanwhile too; a problem in them is raised after the
            # base's (the base is reported first, as when the two were loaded in that order)
            memo = SpecMemo()  # the files the change left alone are validated once
            new_specs: Specs | None = None
            new_problem: UserError | None = None
            try:
                new_specs = load_specs(specs_dir, memo=memo)
            except UserError as exc:
                new_problem = exc
            got = ahead.result() if ahead is not None else None
        finally:
            if ahead is not None:
                ahead.cancel()
        read: SpecReads = {}
        listed: list[str] | None = None
        if got is None:  # no child, or it failed: exported here (its errors raised here)
            with _scratch_errors("the base specs", str(base_root)):
                exported = gitref.export_path(repo, commit, rel, base_root)
        else:
            exported, listed, read = got
        if not exported:
            raise UserError.at(
                f"{base}:{rel or '.'}",
                f"no spec files (*.yaml) at {base} ({commit[:12]})",
                hint="check --specs and --base; the specs must be committed at the base ref",
            )
        preread = Preread([Path(f) for f in listed], read) if listed is not None else None
        try:
            old_specs = load_specs(base_specs_dir, display_root=base_root, memo=memo, preread=preread)
        except UserError as exc:
            raise _at_ref(exc, base) from None
        if new_problem is not None:  # the work tree's problem, now that the base loaded
            raise new_problem
        assert new_specs is not None  # load_specs returned them or raised
        rendered = RenderMemo()  # the apps the change left alone are rendered once
        extras = deltas.extras_of(out_dir)  # the work tree's, for both revisions
        old_files = deltas.render(old_specs, out_dir, rendered, extras)
        new_files = deltas.render(new_specs, out_dir, rendered, extras)
        # on disk for the linter and the budget, placed as in the repository (Flux paths resolve);
        # one tree at a time: the old one, then, once its side is done, turned into the new one
        room = sum(_room(t) for t in (*old_files.values(), *new_files.values()))
        # the repository's own place when it can be had: the lint results of files the trees share with
        # an earlier diff are then found in the cache (their paths are the same); else a fresh one
        with scratch_place(scratch_dir(room), repo.root) as (trees, lasting):
            # both sides at the same path: what the lint found in a file the change left alone stands
            root = Path(trees) / "repo"
            old_out, new_out = deltas.tree_prefix(old_specs, out_dir), deltas.tree_prefix(new_specs, out_dir)
            # the old tree is written by a forked child while this process compares the objects (creating
            # thousands of files is the kernel's time); when the child fails, it is written here
            # each side's files by their path below ``root``, worked out once for all the steps below
            old_placed, new_placed = _placed(old_out, old_files), _placed(new_out, new_files)
            many = len(old_files) >= FORK_MIN_FILES
            writing = forked.start(lambda: _write_tree(root, old_out, old_placed).is_dir()) if many else None
            try:
                objects, parses = _compare(old_files, new_files, base)
                wrote = writing.result() if writing is not None else None
            finally:
                if writing is not None:
                    writing.cancel()
            report = DiffReport(label, "working tree", objects)
            with _scratch_errors():
                old_tree = (
                    _tree_at(root, old_out) if wrote is True else _write_tree(root, old_out, old_placed)
                )
            new_tree = _tree_at(root, new_out)
            # what each side's tree holds, so that its lint need not read the files to know it, nor list
            # the directories to find them: each tree is all there is below ``root`` in its turn
            written = (_written(root, old_placed), _written(root, new_placed))
            known = (_known(root, old_out, written[0]), _known(root, new_out, written[1]))

            def turn() -> list[Path]:
                with _scratch_errors():
                    return _turn_tree(root, (old_out, old_placed), (new_out, new_placed))

            deltas.add_deltas(
                report,
                old_tree,
                new_tree,
                old_specs,
                new_specs,
                repo_roots=(root, root),
                lint_flags=lint_flags,
                between=turn,
                parses=parses,
                written=written,
                cached=lasting,
                trees=known,
            )
            # the trees, parses, specs and rendered files: freed by a program's exit (ending)
            ending.hold(old_files, new_files, old_placed, new_placed, written, known, parses)
            ending.hold(old_specs, new_specs, memo, rendered, read, preread)
    return report


def _export_and_read(
    repo: gitref.GitRepo, commit: str, rel: str, base_root: Path, specs_dir: Path
) -> _Exported:
    """The base specs written below ``base_root`` (:func:`gitref.export_path`), listed and read as
    :func:`~gitops_gen.spec.files.read_ahead` reads them."""
    from gitops_gen.spec.files import read_spec_files, spec_files

    exported = gitref.export_path(repo, commit, rel, base_root)
    if not exported:
        return exported, None, {}
    try:
        files = spec_files(specs_dir)
    except UserError:
        return exported, None, {}
    return exported, [str(f) for f in files], read_spec_files(files)


def _compare(
    old_files: Mapping[str, str], new_files: Mapping[str, str], base: str
) -> tuple[ObjectDiff, SharedParses]:
    """The objects the change added, removed and changed, and the parses the cluster views take next."""
    parses = SharedParses()  # each text parsed once, for both sides and then for the views
    old = parse_tree(old_files, display=lambda r: f"{base}: rendered {r}", parser=parses.documents)
    new = parse_tree(new_files, display=lambda r: f"rendered {r}", parser=parses.documents)
    objects = compare_objects(old, new)
    del old, new
    # what the report shows stays as parsed: the views, which change what they read, parse those files
    # again
    parses.keep(
        [
            *(new_files[o.file] for o in objects.added),
            *(old_files[o.file] for o in objects.removed),
            *(new_files[c.file] for c in objects.changed),
            *(old_files[c.old_file] for c in objects.changed),
        ]
    )
    return objects, parses


#: below this many files, the old tree is written here (a forked child costs more than it saves)
FORK_MIN_FILES = 256

# a RAM-backed file system for the scratch trees (Linux), and the room it must keep free besides them
SHM_DIR = "/dev/shm"
SHM_SPARE = 256 << 20


def scratch_dir(room: int = 0) -> str | None:
    """Where the scratch trees go: ``/dev/shm`` (memory) when it can take ``room`` bytes with
    :data:`SHM_SPARE` to spare and no TMPDIR is set; else None (``tempfile``'s default directory).

    Creating and deleting thousands of small files costs seconds on a disk file system (a
    1,000-app tree is 7,000 files), far more than rendering or linting them."""
    if any(os.environ.get(v) for v in ("TMPDIR", "TEMP", "TMP")):
        return None  # the user chose where temporary files go
    try:
        st = os.statvfs(SHM_DIR)
        usable = os.path.isdir(SHM_DIR) and os.access(SHM_DIR, os.W_OK | os.X_OK)
    except (OSError, AttributeError):  # no /dev/shm, or not a POSIX system
        return None
    return SHM_DIR if usable and st.f_bavail * st.f_frsize >= room + SHM_SPARE else None


@contextlib.contextmanager
def _scratch_errors(what: str = "a rendered tree", where: str = "the scratch directory") -> Iterator[None]:
    """A scratch tree that cannot be written (no space left, ...) is a located error, not a crash:
    at the file that failed, else at ``where`` (a failed write names no file)."""
    try:
        yield
    except OSError as exc:
        raise UserError.at(
            str(exc.filename or where),
            f"cannot write the scratch copy of {what}: {exc.strerror or exc}",
            hint="free some space there, or set TMPDIR to a directory with room",
        ) from None


def _room(text: str) -> int:
    """Bytes a file of ``text`` takes in memory (whole pages), with its directory entry."""
    return (len(text.encode("utf-8")) // 4096 + 2) * 4096


def _at_ref(exc: UserError, ref: str) -> UserError:
    """Errors in the base specs name the ref: ``origin/main:specs/platform.yaml:12:3``."""
    return UserError(
        [
            replace(p, location=Location(f"{ref}:{p.location.file}", p.location.line, p.location.column))
            for p in exc.problems
        ]
    )


def _placed(out_rel: str, files: Mapping[str, str]) -> dict[str, str]:
    """``files`` keyed by their POSIX path below the repository root (the tree sits at ``out_rel``);
    a path that could leave the tree is dropped."""
    out: dict[str, str] = {}
    prefix = PurePosixPath(out_rel).parts
    for rel, text in files.items():
        parts: tuple[str, ...] = tuple(rel.split("/"))
        if any(p in ("", ".", "..") for p in parts):  # not plain: pathlib's reading (``a//b`` is a/b)
            parts = PurePosixPath(rel).parts
            if not parts or any(p in ("..", "") for p in parts) or rel.startswith("/"):
                continue
        out["/".join((*prefix, *parts))] = text
    return out


def _tree_at(root: Path, out_rel: str) -> Path:
    """Where a tree placed at ``out_rel`` ('' for the repository root) sits below ``root``."""
    return root.joinpath(*PurePosixPath(out_rel).parts)


def _write_tree(root: Path, out_rel: str, placed: Mapping[str, str]) -> Path:
    """Write a tree placed at ``out_rel`` below ``root`` (``placed``: its files as :func:`_placed`
    gives them); where it sits."""
    tree = _tree_at(root, out_rel)
    _write_files(root, placed.items())
    tree.mkdir(parents=True, exist_ok=True)
    return tree


#: how a scratch file is opened: as ``open(path, "w")`` opens it (created with 0o666 less the umask,
#: truncated), without a text layer
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def _write_files(root: Path, placed: Iterable[tuple[str, str]]) -> list[Path]:
    """Write each ``(POSIX path below root, text)`` as UTF-8, the text as given (no newline
    translation: read back as such), making its directory once (thousands of files share a few
    hundred); the paths written. Plain ``os.write`` of the encoded text: a text file object costs
    more than the write (7,000 files: 0.39 -> 0.16 s)."""
    top = str(root)
    made: set[str] = set()
    out: list[Path] = []
    for rel, text in placed:
        head, _, _name = rel.rpartition("/")
        if head not in made:
            os.makedirs(os.path.join(top, *head.split("/")) if head else top, exist_ok=True)
            made.add(head)
        target = os.path.join(top, *rel.split("/"))
        _write_file(target, text.encode("utf-8"))
        out.append(Path(target))
    return out


def _write_file(target: str, data: bytes) -> None:
    fd = os.open(target, _WRITE_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _written(root: Path, placed: Mapping[str, str]) -> dict[str, str]:
    """The text of each file :func:`_write_tree` (or :func:`_turn_tree`) writes below ``root``
    (``placed``: as :func:`_placed` gives them), by its real absolute path (as a cluster view names it)."""
    real = os.path.realpath(root)
    if os.sep == "/":  # placed paths are plain POSIX paths: joined as they are
        top = real.rstrip("/") + "/"
        return {top + rel: text for rel, text in placed.items()}
    return {os.path.join(real, *rel.split("/")): text for rel, text in placed.items()}


def _known(root: Path, out_rel: str, written: Mapping[str, str]) -> KnownTree:
    """The tree at ``out_rel`` below ``root`` as :func:`_write_tree` (or :func:`_turn_tree`) leaves it,
    ``written`` its files (:func:`_written`): nothing else is below ``root``."""
    real = os.path.realpath(root)
    return KnownTree(real, written, [os.path.join(real, *PurePosixPath(out_rel).parts)])


def _turn_tree(
    root: Path, old: tuple[str, Mapping[str, str]], new: tuple[str, Mapping[str, str]]
) -> list[Path]:
    """Make the tree :func:`_write_tree` wrote at ``root`` (``old``: its place and its files as
    :func:`_placed` gives them) exactly what :func:`_write_tree` of ``new`` writes there: only the
    files that differ are written, those that went are deleted, and so are the directories left empty
    (creating files is what costs on disk: a change to one app rewrites a few files, not all).
    Returns the files written or deleted: every other file is as it was."""
    before, after = old[1], new[1]
    touched: list[Path] = []
    old_tree = _tree_at(root, old[0])
    emptied: set[Path] = {old_tree, *old_tree.parents}
    for rel in before.keys() - after.keys():
        target = root.joinpath(*rel.split("/"))
        target.unlink()
        touched.append(target)
        emptied.update(target.parents)
    for d in sorted(emptied, key=lambda p: len(p.parts), reverse=True):  # the deepest first
        if root in d.parents:
            try:
                d.rmdir()
            except OSError:
                continue  # not empty: it holds what stays
    touched += _write_files(root, ((rel, text) for rel, text in after.items() if before.get(rel) != text))
    _tree_at(root, new[0]).mkdir(parents=True, exist_ok=True)
    return touched
