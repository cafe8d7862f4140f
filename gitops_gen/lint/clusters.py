"""Lint per cluster: what each cluster of a Flux repository applies (:mod:`gitops_gen.cluster`).

Cluster mode is used when the paths are directories holding a Flux entry point
(``*/flux-system/gotk-sync.yaml``) or when ``--cluster DIR`` names one. Each cluster's built objects
are linted as one input (cross-object rules and budgets see that cluster only), at the place in the
source file where each object was written; every finding names its cluster. Problems of the view
(an unbuildable Kustomization, a remote base) are findings too. A file of Kubernetes objects that no
cluster applies gets one ``not-applied`` warning; with ``--all-files`` it is also linted as a plain
file. Explicit file arguments and directories without an entry point keep plain file mode.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from msgspec import Struct

from gitops_gen.cluster.kustomize import Files
from gitops_gen.cluster.model import ClusterView, FieldSource, Problem
from gitops_gen.cluster.view import Entry
from gitops_gen.lint.engine import LintResult, RawObject, Task
from gitops_gen.lint.model import Finding, Severity
from gitops_gen.paths import Walk

NOT_APPLIED = "not-applied"


class Plan(Struct):
    entries: list[Entry]

    @property
    def roots(self) -> list[str]:
        return sorted({e.root for e in self.entries})


def plan(
    paths: list[Path], cluster_dirs: list[Path], found: list[Entry] | None = None, walk: Walk = os.walk
) -> Plan | None:
    """Cluster mode for these paths, or None for plain file mode; ``found``: the entry points of
    ``paths`` when the caller found them already (``find_entries``); ``walk``: how ``paths`` are
    walked to find them."""
    from gitops_gen.cluster.view import entry_for_dir, find_entries

    if any(not p.is_dir() for p in paths):
        return None  # explicit files (the pre-commit hook): plain file mode
    if found is not None and not cluster_dirs:
        return Plan(list(found)) if found else None
    if cluster_dirs:
        for d in cluster_dirs:
            if not d.is_dir():
                from gitops_gen.errors import UserError

                raise UserError.at(str(d), "not a directory", hint="give --cluster a cluster directory")
        from gitops_gen.paths import git_root

        top = git_root(cluster_dirs[0])
        root = str(paths[0]) if paths else str(top if top is not None else Path.cwd())
        return Plan([entry_for_dir(str(d), root) for d in cluster_dirs])
    entries: list[Entry] = []
    for p in paths:
        entries.extend(find_entries(str(p), walk))
    return Plan(entries) if entries else None


def tasks_of(view: ClusterView, cwd: Path) -> list[Task]:
    """One task per source file, carrying the objects of that file as the cluster applies them."""
    from gitops_gen.paths import display_path

    by_file: dict[str, list[RawObject]] = {}
    for o in view.objects:
        g = o.origin
        by_file.setdefault(g.file, []).append(
            RawObject(o.body, g.line, g.column, g.doc_index, False, g.start, g.end, g.prefix)
        )
    return [
        Task(f, display_path(f, cwd), objects=objs, cluster=view.name) for f, objs in sorted(by_file.items())
    ]


def problem_finding(p: Problem, cluster: str, cwd: Path) -> Finding:
    from gitops_gen.paths import display_path

    return Finding(
        p.rule,
        Severity.parse(p.severity),
        display_path(p.file, cwd),
        p.line,
        p.column,
        "",
        p.message,
        p.hint,
        (),
        cluster,
    )


def not_applied(
    files: list[str], views: list[ClusterView], root: str, cwd: Path
) -> tuple[list[Finding], list[str]]:
    """A warning per file of Kubernetes objects that no cluster reads; and those files."""
    from gitops_gen.cluster.view import not_applied_reason
    from gitops_gen.k8s.loader import KUSTOMIZATION_NAMES, parse_text, read_file
    from gitops_gen.paths import display_path

    read: set[str] = set().union(*(v.files for v in views)) if views else set()
    out: list[Finding] = []
    orphans: list[str] = []
    for f in files:
        absf = os.path.normpath(os.path.abspath(f))
        if absf in read or os.path.basename(f) in KUSTOMIZATION_NAMES:
            continue
        text, _problem = read_file(f, f)
        if text is None:
            continue
        docs = parse_text(text).documents
        first = next(
            (d for d in docs if isinstance(d.body, dict) and d.body.get("apiVersion") and d.body.get("kind")),
            None,
        )
        if first is None or str(first.body.get("apiVersion", "")).startswith("kustomize.config.k8s.io"):
            continue  # not Kubernetes objects (values, CI, tool configs): nothing is lost
        orphans.append(f)
        out.append(
            Finding(
                NOT_APPLIED,
                Severity.WARNING,
                display_path(f, cwd),
                first.line,
                first.column,
                "",
                f"no cluster applies this file: {not_applied_reason(absf, views, root)}",
                "list it in a kustomization a Flux Kustomization builds, or delete it "
                "(lint it anyway with --all-files)",
            )
        )
    return out, orphans


class ViewMemo(Protocol):
    """The findings of a cluster linted before, when nothing it read has changed since."""

    def recall(self, entry: Entry, name: str) -> tuple[list[Finding], list[Finding], int, list[str]] | None:
        """(findings, ignored, objects, files read) as stored, or None."""

    def remember(
        self, entry: Entry, name: str, read: set[str], found: list[Finding], ignored: list[Finding], n: int
    ) -> None: ...


def lint_clusters(
    the_plan: Plan,
    files: list[str],
    run: Callable[[list[Task], str | None], tuple[list[Finding], list[Finding], int, int]],
    plain_tasks: Callable[[list[str]], list[Task]],
    all_files: bool,
    files_reader: Files | None = None,
    memo: ViewMemo | None = None,
    built: list[ClusterView] | None = None,
) -> LintResult:
    """Build every cluster's view and lint each; ``run`` lints one list of tasks as one input
    (findings, ignored, objects, files) with the nodes of the cluster named (None: plain files). Files outside every cluster's repository are linted in plain
    file mode; files inside one that no cluster reads are reported as not applied. ``built``: the
    views of the plan's entries, already built (``diff`` builds them for the budget), used when they
    are those entries' views."""
    from gitops_gen.cluster.kustomize import Files
    from gitops_gen.cluster.view import ClusterBuilder, view_names

    cwd = Path.cwd()
    reader = files_reader or Files()
    names = view_names(the_plan.entries)
    if built is not None and [(v.name, v.entry) for v in built] != [
        (n, e.sync_file or e.directory) for e, n in zip(the_plan.entries, names, strict=True)
    ]:
        built = None
    views: list[ClusterView] = []
    findings: list[Finding] = []
    ignored: list[Finding] = []
    resources = 0
    counted = 0
    for i, (entry, name) in enumerate(zip(the_plan.entries, names, strict=True)):
        hit = memo.recall(entry, name) if memo is not None else None
        if hit is not None:  # unchanged since it was linted: what it read, and what was found
            f, ign, n, read = hit
            views.append(ClusterView(name, entry.sync_file or entry.directory, files=set(read)))
        else:
            view = built[i] if built is not None else ClusterBuilder(entry, reader).build()
            view.name = name
            views.append(view)
            f, ign, n, _files = run(tasks_of(view, cwd), view.name)
            f = at_patches(f, view, cwd) + [problem_finding(p, view.name, cwd) for p in view.problems]
            if memo is not None:
                memo.remember(entry, name, view.files, f, ign, n)
        findings.extend(f)
        ignored.extend(ign)
        resources += n
        counted += len(views[-1].files)
    plain: list[str] = []
    roots = [r + os.sep for r in the_plan.roots]
    absolute = [(f, os.path.abspath(f)) for f in files]
    for root in the_plan.roots:
        mine = [f for f, a in absolute if a.startswith(root + os.sep)]
        root_views = [v for v, e in zip(views, the_plan.entries, strict=True) if e.root == root]
        orphan_findings, orphans = not_applied(mine, root_views, root, cwd)
        findings.extend(orphan_findings)
        if all_files:
            plain.extend(orphans)
    plain.extend(f for f, a in absolute if not any(a.startswith(r) for r in roots))
    if plain:
        f, ign, n, nfiles = run(plain_tasks(sorted(plain)), None)
        findings.extend(f)
        ignored.extend(ign)
        resources += n
        counted += nfiles
    findings = _dedupe(findings)
    findings.sort(key=Finding.sort_key)
    ignored.sort(key=Finding.sort_key)
    return LintResult(
        findings=findings,
        ignored=ignored,
        resources=resources,
        files=counted,
        clusters=[v.name for v in views],
    )


# what else decides a finding of these rules than its field: a budget overflows by the replica count too
DECIDED_BY = {
    "memory-budget": (("spec", "replicas"),),
    "cpu-budget": (("spec", "replicas"),),
}


def at_patches(findings: list[Finding], view: ClusterView, cwd: Path) -> list[Finding]:
    """Findings about a field that a patch sets (an overlay's, a Flux Kustomization's ``spec.patches``,
    kustomize ``replicas``) moved to the patch's line: that is where the value is written."""
    from gitops_gen.paths import display_path

    patched: dict[tuple[str, str], dict[tuple[object, ...], FieldSource]] = {}
    for o in view.objects:
        if o.fields:
            ref = f"{o.kind}/{o.namespace}/{o.name}" if o.namespace else f"{o.kind}/{o.name}"
            patched[(display_path(o.origin.file, cwd), ref)] = o.fields
    if not patched:
        return findings
    texts: dict[str, tuple[list[str], object] | None] = {}
    for f in findings:
        fields = patched.get((f.file, f.resource))
        src = _source_of(fields, f.path, f.rule) if fields else None
        pos = _position(src, texts) if src is not None else None
        if src is not None and pos is not None:
            f.file, f.line, f.column = display_path(src.file, cwd), pos[0], pos[1]
    return findings


def _source_of(
    fields: dict[tuple[object, ...], FieldSource], path: tuple[object, ...], rule: str
) -> FieldSource | None:
    """The patch that sets ``path`` or the nearest field above it; for a path ending in ``resources``
    (amounts), the first amount a patch sets inside it; then what else decides the rule's finding."""
    for n in range(len(path), 0, -1):
        hit = fields.get(path[:n])
        if hit is not None:
            return hit
    if path and path[-1] == "resources":
        inside = sorted(
            (k for k in fields if k[: len(path)] == path), key=lambda k: ("requests" not in k, repr(k))
        )
        if inside:
            return fields[inside[0]]
    for other in DECIDED_BY.get(rule, ()):
        if other in fields:
            return fields[other]
    return None


def _position(src: FieldSource, texts: dict[str, tuple[list[str], object] | None]) -> tuple[int, int] | None:
    """1-based (line, column) of a patched field, or None when it cannot be found exactly."""
    from gitops_gen.k8s.loader import read_file
    from gitops_gen.lint.positions import LineIndex, locate, ruamel_locate

    if src.file not in texts:
        text, _problem = read_file(src.file, src.file)
        texts[src.file] = None if text is None else (lines := text.split("\n"), LineIndex(lines))
    got = texts[src.file]
    if got is None:
        return None
    lines, idx = got
    assert isinstance(idx, LineIndex)
    line, col, depth = locate(idx, src.start, src.end, src.path)
    if src.inner is None and line and depth < len(src.path):  # flow style: {memory: 6Gi}
        pos = ruamel_locate("\n".join(lines[src.start : src.end]), src.path)
        return (pos[0] + src.start, pos[1]) if pos is not None else None
    if not line or depth < len(src.path):
        return None
    if src.inner is None:
        return line, col
    # an inline patch: a literal block (`patch: |`) whose lines are the patch's text, indented
    head = lines[line - 1][col - 1 :]
    head = head.split(":", 1)[1] if not head.lstrip().startswith(("|", "-")) and ":" in head else head
    if not head.strip().startswith("|"):
        return None  # folded or quoted: the patch's lines are not the file's
    block: list[str] = []
    indent = -1
    base = len(lines[line - 1]) - len(lines[line - 1].lstrip(" "))  # the key's (or the item dash's)
    for text_line in lines[line : src.end]:
        if not text_line.strip():
            block.append("")
            continue
        ind = len(text_line) - len(text_line.lstrip(" "))
        if indent < 0:
            if ind <= base:
                break
            indent = ind
        if ind < indent:
            break
        block.append(text_line[indent:])
    if indent < 0:
        return None
    il, ic, idepth = locate(LineIndex(block), src.inner_start, min(src.inner_end, len(block)), src.inner)
    if not il or idepth < len(src.inner):
        return None
    return line + il, ic + indent


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for f in findings:
        key = (f.file, f.line, f.column, f.rule, f.message, f.cluster)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
