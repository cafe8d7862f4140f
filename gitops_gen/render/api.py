"""``gitops-gen render``: load the specs, render in memory, then write atomically or check."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitops_gen.forked import Forked
    from gitops_gen.render.writer import Entry
    from gitops_gen.spec.models import Platform

EXIT_OK, EXIT_STALE = 0, 1


def run_render(
    specs_dir: Path,
    out_dir: Path,
    *,
    check: bool = False,
    loaded: Callable[[list[Platform]], None] | None = None,
) -> int:
    """Render ``specs_dir`` into ``out_dir``. Returns the exit code (0 ok, 1 stale with ``check``).

    Bad specs raise :class:`~gitops_gen.errors.UserError` (exit 2, located messages). ``loaded`` is
    given the platforms once the specs are loaded and valid (the command line keeps their facts for
    lint).
    """
    from gitops_gen.spec.files import read_ahead

    ahead = read_ahead(specs_dir)  # many spec files: read beside the imports below
    # --check: another child reads --out meanwhile (this process would read it after its imports)
    scanning = _scan_ahead(out_dir) if check and ahead is not None else None
    try:
        from gitops_gen.render.engine import render_tree
        from gitops_gen.render.extras import find_extras
        from gitops_gen.render.paths import derive_prefix
        from gitops_gen.render.writer import check_tree, validate_out, write_tree
        from gitops_gen.spec.loader import load_specs
        from gitops_gen.textsafe import escape_control

        validate_out(out_dir, specs_dir=specs_dir, writing=False)  # before the work, not after
        scanned, extras = _scanned(scanning)
        specs = load_specs(specs_dir, preread=ahead.result() if ahead is not None else None)
    finally:
        if ahead is not None:
            ahead.cancel()
        if scanning is not None:
            scanning.cancel()
    if loaded is not None:
        loaded(specs.platforms)
    files = render_tree(specs, derive_prefix(out_dir), extras if extras is not None else find_extras(out_dir))
    shown = escape_control(out_dir.as_posix().rstrip("/") or ".", keep_newlines=False)
    if check:
        report = check_tree(out_dir, files, specs_dir=specs_dir, entries=scanned)
        _warn_unapplied(out_dir, files, shown, report.entries)  # a check writes nothing: its scan holds
        if report.clean:
            print(f"{shown}: up to date ({len(files)} files)")
            return EXIT_OK
        for label, items in (("missing", report.missing), ("stale", report.stale), ("extra", report.extra)):
            for rel in items:
                print(f"{label}: {shown}/{escape_control(rel, keep_newlines=False)}")
        total = len(report.missing) + len(report.stale) + len(report.extra)
        print(
            f"{shown} is out of date with {escape_control(specs_dir.as_posix())} ({total} file(s)): "
            f"run `gitops-gen render --specs {escape_control(specs_dir.as_posix())} --out {shown}` "
            "and commit the result",
            file=sys.stderr,
        )
        return EXIT_STALE
    written = write_tree(out_dir, files, specs_dir=specs_dir)
    _warn_unapplied(out_dir, files, shown)
    if not written.changed:
        print(f"{shown}: up to date ({len(files)} files)")
    else:
        print(
            f"{shown}: {len(written.written)} written, {len(written.unchanged)} unchanged, "
            f"{len(written.removed)} stale removed, {len(written.carried)} hand-written kept"
        )
        for rel in written.removed:
            print(f"removed: {shown}/{escape_control(rel, keep_newlines=False)}")
    return EXIT_OK


#: a scan of ``--out`` as plain data (a forked child's answer): each entry's path, kind and bytes, and
#: the hand-written manifests of its extras directories (``find_extras``)
_PlainScan = tuple[list[tuple[str, str, bytes | None]], dict[str, tuple[str, ...]]]


def _scan_ahead(out_dir: Path) -> Forked[_PlainScan] | None:
    """``--out`` as the check compares it, read by a forked child while this process imports the
    renderer and loads the specs (7,000 files at 1,000 apps: 0.15 s it no longer waits for); None when
    no child can run."""
    from gitops_gen import forked

    return forked.start(lambda: _plain_scan(out_dir))


def _plain_scan(out_dir: Path) -> _PlainScan:
    from gitops_gen.render.extras import find_extras
    from gitops_gen.render.writer import scan_for_check

    entries = [(e.rel, e.kind, e.data) for e in scan_for_check(out_dir).values()]
    return entries, {d: tuple(names) for d, names in find_extras(out_dir).items()}


def _scanned(
    child: Forked[_PlainScan] | None,
) -> tuple[dict[str, Entry] | None, dict[str, tuple[str, ...]] | None]:
    """What the child read of ``--out`` and the extras it found there; (None, None) when there is no
    child or it failed (whatever it met: the check reads ``--out`` again, and fails as it did, after
    the specs, whose errors come first)."""
    got = child.result() if child is not None else None
    if got is None:
        return None, None
    from gitops_gen.render.writer import Entry

    entries, extras = got
    return {rel: Entry(rel, kind, data) for rel, kind, data in entries}, extras


def _warn_unapplied(
    out_dir: Path, files: dict[str, str], shown: str, entries: Mapping[str, Entry] | None = None
) -> None:
    """Say which hand-written manifests in ``out_dir`` Flux never applies (no exit code change)."""
    from gitops_gen.render.extras import unapplied
    from gitops_gen.textsafe import escape_control

    for rel in unapplied(out_dir, files, entries):
        print(
            f"{shown}/{escape_control(rel, keep_newlines=False)}: warning: hand-written manifest that no kustomization.yaml lists, so Flux "
            "never applies it; move it to apps/<cluster>/<app>/extras/ or clusters/<cluster>/extras/ "
            "(see docs/render.md#hand-written-manifests)",
            file=sys.stderr,
        )
