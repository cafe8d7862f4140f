"""Adapters to the other layers: rendering, lint and capacity, as the diff needs them.

Kept in one place so that ``diff`` depends on each layer through one small function.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec.structs import astuple, replace

from gitops_gen import ending
from gitops_gen.diff.model import BudgetDelta, BudgetSide, DiffReport, LintDelta
from gitops_gen.lint.model import Finding

if TYPE_CHECKING:
    from gitops_gen.capacity.budget import Analysis
    from gitops_gen.cluster.kustomize import Files
    from gitops_gen.cluster.model import ClusterView
    from gitops_gen.cluster.view import Entry
    from gitops_gen.diff.objects import SharedParses
    from gitops_gen.lint.api import LintFlags
    from gitops_gen.lint.engine import RawFinding
    from gitops_gen.paths import KnownTree, Walk
    from gitops_gen.render.engine import RenderMemo
    from gitops_gen.render.extras import Extras
    from gitops_gen.spec.loader import Specs
    from gitops_gen.spec.models import Platform


def render(
    specs: Specs, out_dir: Path, memo: RenderMemo | None = None, extras: Extras | None = None
) -> dict[str, str]:
    """The tree ``{relpath: text}`` of ``specs`` as the repository would hold it, in memory: what
    ``render`` writes, and the hand-written manifests of ``out_dir``'s extras directories, which the
    rendered kustomizations list (the work tree's, for either revision: ``render`` keeps them).
    ``memo``: apps rendered for the other revision are not rendered again; ``extras``: those
    manifests' names (:func:`extras_of`) when the caller found them already. An extras file that cannot
    be read or parsed is left out (the kustomization that lists it then fails to build on both sides,
    as lint of the work tree says)."""
    from gitops_gen.k8s.loader import parse_text, read_file
    from gitops_gen.render.engine import render_tree
    from gitops_gen.render.paths import derive_prefix

    found = extras if extras is not None else extras_of(out_dir)
    files = render_tree(specs, derive_prefix(out_dir), found, memo=memo)
    for directory, names in found.items():
        for name in names:
            rel = f"{directory}/{name}"
            if rel not in files:
                text, _problem = read_file(out_dir / rel, str(out_dir / rel))
                if text is not None and not parse_text(text).problems:
                    files[rel] = text
    return dict(sorted(files.items())) if found else files


def extras_of(out_dir: Path) -> Extras:
    """The hand-written manifests in the extras directories of ``out_dir``: both revisions of a diff
    render with those of the work tree (a 1,000-app tree: ~35 ms to look through, once)."""
    from gitops_gen.render.extras import find_extras

    return find_extras(out_dir)


def prepare() -> None:
    """Import what rendering, linting and budgeting a side will need (about a fifth of a second):
    ``diff`` calls it while a forked child reads the base specs, so that the time is not added later."""
    import concurrent.futures.process  # noqa: F401  lint's phase 1 pool
    import multiprocessing.popen_fork  # noqa: F401

    import gitops_gen.capacity.budget
    import gitops_gen.cluster.view
    import gitops_gen.lint.api
    import gitops_gen.lint.clusters
    import gitops_gen.lint.run
    import gitops_gen.lint.schema.embedded
    import gitops_gen.lint.specmap  # noqa: F401
    from gitops_gen.lint.registry import rules
    from gitops_gen.render.engine import environment

    rules()
    environment()


def tree_prefix(specs: Specs, out_dir: Path) -> str:
    """Where the rendered tree sits in the repository Flux syncs ('' for its root), as rendered."""
    from gitops_gen.render.engine import repo_prefix
    from gitops_gen.render.paths import derive_prefix

    return repo_prefix(specs.platform, derive_prefix(out_dir))


def lint_findings(
    tree: Path,
    specs_dir: Path | None,
    repo_root: Path | None,
    lint_flags: LintFlags | None = None,
    baselines: Mapping[str, Mapping[str, tuple[int, int, int]]] | None = None,
    platforms: list[Platform] | None = None,
    views: list[ClusterView] | None = None,
    phase1: dict[bytes, tuple[list[RawFinding], int]] | None = None,
    written: Mapping[str, str] | None = None,
    entries: list[Entry] | None = None,
    cached: bool = False,
    walk: Walk | None = None,
) -> list[Finding]:
    """Every finding ``gitops-gen lint`` reports on ``tree`` (same rules and config), with file names
    relative to ``tree`` so that the two sides compare.

    ``specs_dir`` gives the platform (nodes, Kubernetes version) of that side; ``repo_root`` is where
    Flux paths resolve (the tree's place in its repository); ``lint_flags`` are lint's flags
    (``crd_dirs``, ``schema_dirs``, ``kubernetes_version``) for both sides; ``baselines`` is what
    each workload of the base requested, per cluster (``""``: manifests without a Flux entry point), so
    that a capacity overflow is blamed on what the change grew in that cluster; ``platforms``, when
    given, are ``specs_dir``'s platforms already loaded (not read again); ``views``, when given, are
    ``tree``'s clusters as :func:`clusters_of` built them (not built again); ``phase1``, the per-file
    results of another run at the same path, reused where nothing changed (``RunSettings.phase1``);
    ``written``, the text of ``tree``'s files by real path when the caller wrote them
    (``RunSettings.written``); ``entries``, the Flux entry points :func:`clusters_of` found in ``tree``
    (``RunSettings.entries``); ``cached``: ``tree`` stays at its path from one diff to the next, so the
    lint's result cache is used (unless ``lint_flags`` say ``no_cache``), else it is not (nothing would
    find the results again); ``walk``: how ``tree`` is walked (``RunSettings.walk``).
    """
    from gitops_gen.lint.api import LintFlags, settings_from_options
    from gitops_gen.lint.run import lint_paths

    base = lint_flags if lint_flags is not None else LintFlags()
    settings = settings_from_options(
        [tree], replace(base, specs_dir=specs_dir, no_cache=base.no_cache or not cached), platforms=platforms
    )
    if repo_root is not None:
        settings.options.repo_root = repo_root
    if baselines:
        settings.options.capacity_baseline = baselines.get("") or next(iter(baselines.values()))
        settings.baselines = dict(baselines)
    settings.views = views
    settings.entries = entries
    settings.phase1 = phase1
    settings.written = written
    settings.walk = walk
    result = lint_paths([tree], settings)
    root = str(tree.resolve())
    out = []
    for f in result.findings:
        out.append(replace(f, file=_relative(f.file, tree), message=f.message.replace(root + "/", "")))
    return out


def _relative(file: str, tree: Path) -> str:
    p = Path(file)
    for base in (tree, tree.resolve()):
        try:
            return (p if p.is_absolute() else Path.cwd() / p).resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return file


def clusters_of(tree: Path, files: Files | None = None) -> tuple[list[Entry], list[ClusterView]]:
    """The Flux entry points of ``tree`` and the view of each of its clusters (none when it has no
    entry point; its lint takes both, not looking again); ``files``: the parsed files to read them from
    (kept there for another build)."""
    from gitops_gen.cluster.view import build_views, find_entries

    if not tree.is_dir():
        return [], []
    entries = find_entries(str(tree), files.walk) if files is not None else find_entries(str(tree))
    return entries, (build_views(entries, files) if entries else [])


def analyses(tree: Path, specs: Specs | None, views: list[ClusterView]) -> dict[str, Analysis]:
    """The budget of what each cluster of ``tree`` runs on its nodes (its Platform of ``specs`` when
    known), as ``gitops-gen budget`` computes it; ``{"": analysis}`` for a tree without a Flux entry
    point (every manifest counted)."""
    from gitops_gen.capacity.budget import analyze
    from gitops_gen.capacity.nodes import NodePlan
    from gitops_gen.k8s.loader import load_resources
    from gitops_gen.paths import display_path
    from gitops_gen.spec.facts import facts_of

    plan = NodePlan(tuple(facts_of(p) for p in specs.platforms) if specs is not None else ())
    if not views:
        resources, _problems = load_resources([tree])  # unreadable files are the lint delta's business
        cluster, platform = plan.for_cluster("")
        return {"": analyze(resources, cluster, platform=platform)}
    cwd = Path.cwd()
    out = {}
    for v in views:
        cluster, platform = plan.for_cluster(v.name)
        resources = [o.resource(display_path(o.origin.file, cwd)) for o in v.objects]
        out[v.name] = analyze(resources, cluster, platform=platform)
    return out


#: one cluster's budget as plain data (marshal: it may come from a forked child): its side of the
#: report, as BudgetSide's fields, and what each workload requested (capacity.budget.demands)
_Budget = tuple[tuple[Any, ...], dict[str, tuple[int, int, int]]]


def _budgets(tree: Path, specs: Specs | None, views: list[ClusterView]) -> dict[str, _Budget]:
    """:func:`analyses` of ``tree`` reduced to what the report and the other side's lint read."""
    from gitops_gen.capacity.budget import demands

    return {name: (astuple(_side(a)), demands(a)) for name, a in analyses(tree, specs, views).items()}


def _budget_side(budget: _Budget) -> BudgetSide:
    return BudgetSide(*budget[0])


def _side(analysis: Analysis) -> BudgetSide:
    cluster = analysis.cluster
    totals = analysis.totals()
    pending: list[str] = []
    if analysis.simulation is not None:
        for p in analysis.simulation.pending:
            w = p.workload
            pending.append(f"{w.owner.label}: {w.name} ({p.count}/{p.total} pods): {p.message}")
    return BudgetSide(
        cpu_requests_millis=totals.cpu,
        memory_requests_bytes=totals.memory,
        cpu_allocatable_millis=cluster.allocatable_cpu if cluster is not None else None,
        memory_allocatable_bytes=cluster.allocatable_memory if cluster is not None else None,
        cpu_limits_millis=totals.cpu_limit,
        memory_limits_bytes=totals.memory_limit,
        pending=sorted(pending),
        unknown=sorted(set(totals.unknown)),
    )


def files_clusters(tree: Path, views: list[ClusterView], written: bool = False) -> dict[str, set[str]]:
    """Each file of ``tree`` (relative, as the object diff names it) -> the clusters that read it.
    ``written``: ``diff`` wrote the tree (regular files only: no link inside it to resolve)."""
    if not views:
        return {}
    root = str(tree.resolve())
    if written and os.sep == "/":
        return _written_files_clusters(tree, root, views)
    real_dirs: dict[str, str] = {}  # a directory -> its real path (files share a few directories)

    def real(f: str) -> str:
        head, name = os.path.split(f)
        if os.path.islink(f):
            return os.path.realpath(f)
        got = real_dirs.get(head)
        if got is None:
            got = real_dirs[head] = os.path.realpath(head)
        return os.path.join(got, name)

    out: dict[str, set[str]] = {}
    inside = root.rstrip(os.sep) + os.sep
    for v in views:
        for f in v.files:
            path = real(f)
            if os.sep == "/" and path.startswith(inside):  # the common case, without relpath's work
                rel = path[len(inside) :]
            else:
                rel = os.path.relpath(path, root)
                if rel.startswith(".."):
                    continue
                rel = Path(rel).as_posix()
            out.setdefault(rel, set()).add(v.name)
    return out


def _written_files_clusters(tree: Path, root: str, views: list[ClusterView]) -> dict[str, set[str]]:
    """:func:`files_clusters` of a tree without links: a file's place is its path below the tree, as
    given or resolved (one lstat per file saved: 0.1-0.2 s at 7,000 files)."""
    prefixes = {str(tree.absolute()).rstrip("/") + "/", root.rstrip("/") + "/"}
    out: dict[str, set[str]] = {}
    for v in views:
        for f in v.files:
            path = os.path.normpath(f)
            rel = next((path[len(p) :] for p in prefixes if path.startswith(p)), None)
            if rel is not None:
                out.setdefault(rel, set()).add(v.name)
    return out


def add_deltas(
    report: DiffReport,
    old_tree: Path,
    new_tree: Path,
    old_specs: Specs | None,
    new_specs: Specs | None,
    repo_roots: tuple[Path | None, Path | None] = (None, None),
    lint_flags: LintFlags | None = None,
    between: Callable[[], Iterable[Path] | None] | None = None,
    written: tuple[Mapping[str, str] | None, Mapping[str, str] | None] = (None, None),
    parses: SharedParses | None = None,
    cached: bool = False,
    trees: tuple[KnownTree | None, KnownTree | None] = (None, None),
) -> None:
    """Fill the lint and budget deltas of ``report``; what cannot be computed becomes a note.

    The old side is done first, then ``between`` is called (``diff`` turns the old tree into the new
    one there: one tree on disk at a time), then the new side. Each side's clusters are built once,
    for its budget and its lint. When ``between`` returns the files it wrote or deleted, the new
    side's clusters read every other file from the old side's parse (it is the same file).
    ``written``: the text of each side's files by real path, when the caller wrote the trees (their
    lint then hashes it instead of reading the files again). ``parses``: the rendered texts already
    parsed, handed to the views instead of parsing the files again. The old side's budget, which only
    the new side reads, is computed by a forked child (when the old side has clusters) while this
    process lints the old side; the new side's, while it lints the new side. ``cached``: both trees stay
    at their paths from one diff to the next (:func:`lint_findings`). ``trees``: each side's tree when the
    caller wrote all of it (then walked from that list, not from the disk)."""
    from gitops_gen import forked
    from gitops_gen.cluster.kustomize import Files, parse_file
    from gitops_gen.k8s.loader import ParsedFile

    known = parses.take if parses is not None else None

    def parser(path: str) -> ParsedFile:  # a file this side wrote is not read back
        return parse_file(path, known, parsed.written.get(path))

    old_walk, new_walk = (t.walk if t is not None else None for t in trees)
    parsed = Files(parser)
    parsed.written = written[0] or {}
    parsed.walk = old_walk or os.walk
    old_entries, old_views = clusters_of(old_tree, parsed)
    # the old side's budget is only read by the new side: with clusters (objects in memory, nothing read
    # from the tree, which ``between`` changes), it is computed in a forked child while this process
    # lints the old side and builds the new side's clusters; else here, now
    old_budget = forked.Beside(
        functools.partial(_budgets, old_tree, old_specs, old_views), fork=bool(old_views)
    )
    new_budget: forked.Beside[dict[str, _Budget]] | None = None
    try:
        old_dir = old_specs.root if old_specs is not None else None
        new_dir = new_specs.root if new_specs is not None else None
        old_platforms = old_specs.platforms if old_specs is not None else None
        new_platforms = new_specs.platforms if new_specs is not None else None
        phase1: dict[bytes, tuple[list[RawFinding], int]] = {}  # a file as it was on both sides: once
        before = lint_findings(
            old_tree,
            old_dir,
            repo_roots[0],
            lint_flags,
            platforms=old_platforms,
            views=old_views,
            phase1=phase1,
            written=written[0],
            entries=old_entries,
            cached=cached,
            walk=old_walk,
        )
        old_files = files_clusters(old_tree, old_views, written[0] is not None)
        touched = between() if between is not None else None
        if touched is None:
            parsed = Files(parser)  # another tree, or files changed in place: nothing known the same
        else:
            parsed.forget(touched)
        parsed.written = written[1] or {}
        parsed.walk = new_walk or os.walk
        new_entries, new_views = clusters_of(new_tree, parsed)
        old = old_budget.value()  # a failed child's is computed here, from the views as it would have
        # each cluster's lint blames a capacity overflow on what the change grew in that cluster
        baselines = {name: b[1] for name, b in old.items()}
        # the new side's budget, beside its lint likewise (only the report reads it)
        new_budget = forked.Beside(
            functools.partial(_budgets, new_tree, new_specs, new_views), fork=bool(new_views)
        )
        after = lint_findings(
            new_tree,
            new_dir,
            repo_roots[1],
            lint_flags,
            baselines=baselines,
            platforms=new_platforms,
            views=new_views,
            phase1=phase1,
            written=written[1],
            entries=new_entries,
            cached=cached,
            walk=new_walk,
        )
        new = new_budget.value()
        ending.hold(parsed, old_views, new_views)  # freed by a program's exit (see ending)
        if new_specs is not None:  # findings of the change name the spec key that set the value
            from gitops_gen.lint.specmap import attach

            after = attach(after, cwd=new_tree, specs=new_specs)
        report.lint = LintDelta.between(before, after)
        if len(old) == 1 and len(new) == 1:  # one cluster (or none): one budget, as before
            (name, b), (_name, a) = next(iter(old.items())), next(iter(new.items()))
            report.budget = BudgetDelta(_budget_side(b), _budget_side(a), name)
            return
        report.budgets = [
            BudgetDelta(
                _budget_side(old[n]) if n in old else None, _budget_side(new[n]) if n in new else None, n
            )
            for n in sorted(set(old) | set(new))
        ]
        where: dict[str, set[str]] = {}
        for side in (old_files, files_clusters(new_tree, new_views, written[1] is not None)):
            for rel, names in side.items():
                where.setdefault(rel, set()).update(names)
        report.clusters_of = {rel: sorted(names) for rel, names in where.items()}
    finally:
        for beside in (old_budget, new_budget):
            if beside is not None:
                beside.cancel()
