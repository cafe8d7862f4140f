"""The lint engine: files -> objects -> rules -> findings, fast.

Two phases:

1. **Per file** (:func:`analyze_file`; in a process pool when the input is large, in-process when
   small; results cached on disk by content hash): read, split, parse (``yaml_rs``), the ``yaml``
   problems, and every *local* object rule (``LOCAL = True`` in the module: it reads only its object
   and the options — ``schema`` is one). Field positions of these findings are recovered here, while
   the text is at hand, by the line scanner of :mod:`gitops_gen.lint.positions`.
2. **Whole input** (main process, a :class:`Context` with indexes over every object): the other
   object rules (they may look at other objects through ``ctx``), then cluster rules once.

Results are identical whatever the number of workers and whether the cache is used: per-file results
are concatenated in file order, and findings are sorted at the end.
"""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from msgspec import Struct, field

from gitops_gen import forked
from gitops_gen.k8s.loader import (
    ROLE_AUX,
    ROLE_KUSTOMIZATION,
    ROLE_PARTIAL,
    ROLE_RESOURCE,
    decode,
    parse_text,
    read_file,
)
from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.lint.model import Context, Finding, Hit, LintOptions, Severity
from gitops_gen.lint.projection import shared_strings

if TYPE_CHECKING:
    from gitops_gen.forked import Forked
    from gitops_gen.lint.registry import Rule


class RawFinding(NamedTuple):
    """A finding as computed per file, before config and ignores: plain values, so that
    :func:`plain` turns it into a tuple cheap to marshal (process pool, cache)."""

    rule: str
    severity: int
    line: int
    column: int
    resource: int  # index of its object in the file (phase 1) or in the run (assembled); -1: none
    message: str
    remediation: str
    path: FieldPath


class RawObject(NamedTuple):
    """An object of a file as phase 1 found it."""

    body: dict[str, Any]
    line: int
    column: int
    doc_index: int
    partial: bool
    start: int  # first line of its YAML document
    end: int  # line after its YAML document
    item_path: FieldPath  # its path in the document: () or ("items", i) for an item of a List


class FileResult(NamedTuple):
    objects: list[RawObject]
    findings: list[RawFinding]
    counted: int  # 1 if the file counts in "N files"


PlainResult = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]


def plain(result: FileResult) -> PlainResult:
    """``result`` as plain tuples (what marshal stores: the pool's replies, the cache's records)."""
    return [tuple(o) for o in result.objects], [tuple(f) for f in result.findings], result.counted


def unplain(data: PlainResult) -> FileResult:
    objects, findings, counted = data
    return FileResult([RawObject._make(o) for o in objects], [RawFinding._make(f) for f in findings], counted)


def _yaml(severity: Severity, line: int, column: int, message: str, remediation: str) -> RawFinding:
    """A finding of the engine's own ``yaml`` rule (not about one object)."""
    return RawFinding("yaml", int(severity), line, column, -1, message, remediation, ())


IGNORE_ANNOTATION = "gitops-gen.io/ignore"


def _ignore_marks(annotations: object) -> object:
    """An object's annotations as :func:`finalize` reads them: the ignore annotation only."""
    if not isinstance(annotations, dict):
        return annotations
    kept = {k: v for k, v in annotations.items() if str(k) == IGNORE_ANNOTATION}
    return kept or None  # none: as no annotations (``Resource.annotations``)


#: what :func:`finalize` reads of every object (``gitops_gen.lint.projection``)
ENGINE_READS = {"*": (("metadata.annotations", _ignore_marks),)}
_TOP_LEVEL_KIND = re.compile(r"^(?:apiVersion|kind)\s*:", re.MULTILINE)
POOL_MIN_BYTES = 1_500_000  # below this much YAML to parse, one process is faster than two


class Task(Struct):
    """One file (or build output) to lint, as read and as shown."""

    path: str  # path to read
    display: str  # path as shown to the user
    role: str = ROLE_RESOURCE
    text: str | None = None  # given instead of reading the file (``--build`` output)
    pin_position: bool = False  # every finding at (1, 1) of ``display`` (``--build``)
    data: bytes | None = None  # the file's bytes, when already read (hashed for the cache): not read again
    # the objects of the file as a cluster applies them (built, patched, substituted), given instead
    # of parsing the file; the file's text still gives field positions. ``cluster`` names the cluster.
    objects: list[RawObject] | None = None
    cluster: str = ""


class LintResult(Struct):
    """What a lint run reports: findings, ignored findings, and what was read."""

    findings: list[Finding] = field(default_factory=list)
    ignored: list[Finding] = field(default_factory=list)
    resources: int = 0
    files: int = 0
    rule_docs: dict[str, str] = field(default_factory=dict)
    clusters: list[str] = field(default_factory=list)  # cluster mode: the clusters linted

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == Severity.WARNING)


# ------------------------------------------------------------------------------------ phase 1
_OPTIONS: LintOptions | None = None


def _set_options(options: LintOptions) -> None:
    global _OPTIONS
    _OPTIONS = options


def _is_object(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and isinstance(body.get("apiVersion"), str)
        and bool(body.get("apiVersion"))
        and isinstance(body.get("kind"), str)
        and bool(body.get("kind"))
    )


def _half_object(body: Any) -> str:
    """Why a document that is meant to be an object is not one (kubeconform: "missing 'kind' key").

    Meant to be: it has ``metadata`` or both keys. Helm's Chart.yaml (apiVersion only) and values
    files are not. Empty string when ``body`` is a full object or not meant to be one.
    """
    if not isinstance(body, dict) or _is_object(body) or ("apiVersion" not in body and "kind" not in body):
        return ""
    if not isinstance(body.get("metadata"), dict) and not ("apiVersion" in body and "kind" in body):
        return ""
    for key in ("apiVersion", "kind"):
        if not isinstance(body.get(key), str) or not body.get(key):
            return f"missing '{key}'" if body.get(key) is None else f"'{key}' is not a string"
    return ""


def analyze_file(task: Task, options: LintOptions) -> FileResult:
    """Phase 1 for one file. Never raises on bad input: problems become ``yaml`` findings."""
    from gitops_gen.lint.positions import LineIndex, locate

    if task.role == ROLE_AUX:
        return FileResult([], [], 0)
    findings: list[RawFinding] = []
    text = task.text
    if text is None:
        if task.data is not None:
            text, problem = decode(task.data, task.display)
            task.data = None
        else:
            text, problem = read_file(task.path, task.display)
        if problem is not None:
            hint = problem.hint or "fix or exclude the file"
            return FileResult(
                [], [_yaml(Severity.ERROR, problem.line, problem.column, problem.message, hint)], 1
            )
    assert text is not None
    if task.objects is not None:
        return FileResult(task.objects, _object_findings(task, text, task.objects, findings, options), 1)
    parsed = parse_text(text)
    if (
        parsed.problems
        and not task.text
        and "tag" in parsed.problems[0].message.lower()
        and not _TOP_LEVEL_KIND.search(text)
    ):
        # YAML tags that Kubernetes manifests never use (mkdocs' `!!python/name:`, ...) in a file
        # with no top-level apiVersion/kind: another tool's file, not a broken manifest
        p = parsed.problems[0]
        message = f"not a Kubernetes manifest (no apiVersion/kind; {p.message}); skipped"
        return FileResult(
            [],
            [
                _yaml(
                    Severity.INFO,
                    p.line,
                    p.column,
                    message,
                    "exclude the file if it is not meant to be a manifest",
                )
            ],
            1,
        )
    for p in parsed.problems:
        findings.append(_yaml(Severity.ERROR, p.line, p.column, p.message, p.hint or "fix the YAML syntax"))
    if task.role == ROLE_KUSTOMIZATION:
        return FileResult([], findings, 1)
    lines: list[str] | None = None
    idx: LineIndex | None = None
    objects: list[RawObject] = []
    non_objects = []
    partial = task.role == ROLE_PARTIAL
    for doc in parsed.documents:
        body = doc.body
        if (
            _is_object(body)
            and str(body.get("kind", "")).endswith("List")
            and isinstance(body.get("items"), list)
        ):
            if lines is None or idx is None:
                lines = text.split("\n")
                idx = LineIndex(lines)
            for i, item in enumerate(body["items"]):
                if _is_object(item):
                    line, col, _d = locate(idx, doc.start, doc.end, ("items", i))
                    objects.append(
                        RawObject(
                            item,
                            line or doc.line,
                            col or doc.column,
                            doc.index,
                            partial,
                            doc.start,
                            doc.end,
                            ("items", i),
                        )
                    )
            continue
        if _is_object(body):
            objects.append(RawObject(body, doc.line, doc.column, doc.index, partial, doc.start, doc.end, ()))
        else:
            non_objects.append(doc)
    if not partial:
        for doc in [d for d in non_objects if _half_object(d.body)]:
            non_objects.remove(doc)
            findings.append(
                _yaml(
                    Severity.ERROR,
                    doc.line,
                    doc.column,
                    f"document {doc.index + 1}: {_half_object(doc.body)}",
                    "give every Kubernetes object both apiVersion and kind",
                )
            )
    if not objects and not partial:
        if not parsed.problems and not findings:
            if not parsed.documents:
                findings.append(
                    _yaml(
                        Severity.INFO, 1, 1, "empty file: no YAML document", "remove the file, or exclude it"
                    )
                )
            else:
                d = parsed.documents[0]
                findings.append(
                    _yaml(
                        Severity.INFO,
                        d.line,
                        d.column,
                        "not a Kubernetes manifest (no document has apiVersion and kind); skipped",
                        "exclude the file if it is not meant to be a manifest",
                    )
                )
        return FileResult([], findings, 1)
    if not partial:
        for doc in non_objects:
            what = "is not a mapping" if not isinstance(doc.body, dict) else "has no apiVersion/kind"
            findings.append(
                _yaml(
                    Severity.WARNING,
                    doc.line,
                    doc.column,
                    f"document {doc.index + 1} {what}: not a Kubernetes object",
                    "add apiVersion and kind, or move it out of the manifests",
                )
            )
    if not partial and objects:
        findings = _object_findings(task, text, objects, findings, options)
    keep = projection(options)
    return FileResult([o._replace(body=keep(o.body)) for o in objects], findings, 1)


_PROJECTION: list[Callable[[dict[str, Any]], dict[str, Any]]] = []


def _whole(body: dict[str, Any]) -> dict[str, Any]:
    out = shared_strings(body)
    assert isinstance(out, dict)
    return out


def projection(options: LintOptions) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """What phase 1 keeps of an object body for phase 2: what phase 2 reads of its kind
    (:mod:`gitops_gen.lint.projection`; the whole body for the kubeconform validator, which reads
    any field its errors name), its keys and short strings shared (:func:`shared_strings`)."""
    if options.validator == "kubeconform":
        return _whole
    if not _PROJECTION:
        from gitops_gen.lint.projection import CORE_READS, Projection
        from gitops_gen.lint.registry import rules
        from gitops_gen.lint.schema import flux_operator

        reads = [CORE_READS, ENGINE_READS, flux_operator.READS]
        reads += [r.reads for r in rules().values() if r.reads is not None]
        _PROJECTION.append(Projection(reads).project)
    return _PROJECTION[0]


def _object_at(docs: dict[int, Any], doc_index: int, path: FieldPath) -> Any:
    from gitops_gen.k8s.workloads import dig

    return dig(docs.get(doc_index), *path)


def _documents(task: Task) -> dict[int, Any]:
    """The parsed documents of ``task``'s file by index (empty when it cannot be read any more)."""
    text = task.text
    if text is None:
        text, _problem = read_file(task.path, task.display)
    return {d.index: d.body for d in parse_text(text).documents} if text is not None else {}


class Reread:
    """``Resource.reread`` of the objects of one run whose bodies phase 1 cut to what phase 2 reads:
    the whole body, parsed again from the object's file (the last file's documents are kept, the
    bodies asked for too: a reader asks for few)."""

    def __init__(
        self, tasks: list[Task], resources: list[Resource], spans: list[tuple[int, int, int, FieldPath]]
    ):
        self.tasks, self.resources, self.spans = tasks, resources, spans
        self.index: dict[int, int] | None = None
        self.bodies: dict[int, dict[str, Any]] = {}
        self.last: tuple[int, dict[int, Any]] = (-1, {})

    def __call__(self, res: Resource) -> dict[str, Any]:
        if self.index is None:
            self.index = {id(r): i for i, r in enumerate(self.resources)}
        ri = self.index.get(id(res), -1)
        if ri < 0:
            return res.body
        if ri not in self.bodies:
            ti, _start, _end, item_path = self.spans[ri]
            if self.last[0] != ti:
                self.last = (ti, _documents(self.tasks[ti]))
            body = _object_at(self.last[1], res.doc_index, item_path)
            # the file changed since phase 1 (or a cluster's objects): what phase 1 kept is all there is
            self.bodies[ri] = body if isinstance(body, dict) and body.get("kind") == res.kind else res.body
        return self.bodies[ri]


def _object_findings(
    task: Task, text: str, objects: list[RawObject], findings: list[RawFinding], options: LintOptions
) -> list[RawFinding]:
    """``findings`` plus those of the local object rules on ``objects`` (positions from ``text``)."""
    from gitops_gen.lint.positions import Positions

    positions: Positions | None = None
    resources = [Resource(o.body, task.display, o.line, o.column, o.doc_index, o.partial) for o in objects]
    index = {id(r): i for i, r in enumerate(resources)}
    ctx = _local_context(options)
    located: list[tuple[RawFinding, int]] = []  # (finding at its object, ticket of its field or -1)
    for i, res in enumerate(resources):
        for rule in _local_rules_for(res.kind):
            for hit in _run_object_rule(rule, res, ctx):
                ri = index.get(id(hit.resource), i)
                sev = int(hit.severity if hit.severity is not None else rule.severity)
                o = objects[ri]
                ticket = -1
                if hit.path and not task.pin_position:
                    if positions is None:
                        positions = Positions(text.split("\n"))
                    ticket = positions.request(o.start, o.end, o.body, tuple(hit.path), o.item_path)
                raw = RawFinding(
                    rule.id, sev, o.line, o.column, ri, hit.message, hit.remediation, tuple(hit.path)
                )
                located.append((raw, ticket))
    answers = positions.resolve() if positions is not None else []
    for raw, ticket in located:
        fl, fc = answers[ticket] if ticket >= 0 else (0, 0)
        findings.append(raw._replace(line=fl, column=fc) if fl else raw)
    return findings


_LOCAL: tuple[LintOptions | None, Context | None] = (None, None)


_LOCAL_BY_KIND: dict[str, list[Rule]] = {}


def _local_rules_for(kind: str) -> list[Rule]:
    """The local object rules that look at ``kind``, in registry order (computed once per kind)."""
    found = _LOCAL_BY_KIND.get(kind)
    if found is None:
        from gitops_gen.lint.registry import rules

        found = [
            r
            for r in rules().values()
            if r.local and r.object_check is not None and (r.kinds is None or kind in r.kinds)
        ]
        _LOCAL_BY_KIND[kind] = found
    return found


def _local_context(options: LintOptions) -> Context:
    """The Context local rules see: options only (they promise not to look at other objects), shared."""
    global _LOCAL
    if _LOCAL[0] is not options or _LOCAL[1] is None:
        _LOCAL = (options, Context([], options))
    assert _LOCAL[1] is not None
    return _LOCAL[1]


def _run_object_rule(rule: Rule, res: Resource, ctx: Context) -> list[Hit]:
    """The hits of an object rule on ``res`` (none when the rule does not look at its kind)."""
    if rule.object_check is None or not rule.applies_to(res):
        return []
    try:
        return [h for h in rule.object_check(res, ctx) if isinstance(h, Hit)]
    except Exception as exc:  # a bug in one rule must not hide the others' findings
        return [
            Hit(
                res,
                f"internal error in rule {rule.id}: {type(exc).__name__}: {exc}",
                "this is a bug in gitops-gen; please report it (GITOPS_GEN_DEBUG=1 for details)",
            )
        ]


#: a pool worker's tasks: the run's whole list, handed to the worker's initializer as it is forked (a
#: forked process inherits its arguments, nothing is pickled); a chunk is then sent as two indexes
#: instead of pickled tasks (a cluster's carry all their objects)
_TASKS: list[Task] = []


def _init_worker(options: LintOptions, tasks: list[Task]) -> None:
    global _TASKS
    _set_options(options)
    _TASKS = tasks


def _analyze_range(bounds: tuple[int, int]) -> bytes:
    return _analyze_chunk(_TASKS[bounds[0] : bounds[1]])


def _analyze_chunk(tasks: list[Task]) -> bytes:
    import marshal

    from gitops_gen.lint.projection import forget

    gc.disable()
    assert _OPTIONS is not None
    results = [plain(analyze_file(t, _OPTIONS)) for t in tasks]
    forget()
    return marshal.dumps(results)


# ------------------------------------------------------------------------------------ orchestration
def run_phase1(
    tasks: list[Task], options: LintOptions, jobs: int | None, sizes: list[int] | None = None
) -> list[FileResult]:
    """Phase 1 over ``tasks`` (in order), in a pool when worthwhile."""
    if not tasks:
        return []
    sizes = sizes or [0] * len(tasks)
    total = sum(sizes)
    workers = jobs if jobs is not None else (_cpu_count() if total >= POOL_MIN_BYTES else 1)
    workers = max(1, min(workers, len(tasks)))
    if workers == 1:
        from gitops_gen.lint.projection import forget

        done = [analyze_file(t, options) for t in tasks]
        forget()
        return done
    # the workers are forked with the tasks (nothing is sent): a task's bytes read already (callers keep
    # a bounded amount, see run.run_cached) are not read again; the others are read by the workers
    import marshal
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    bounds = _balanced_chunks(sizes, workers)
    _set_options(options)
    gc.freeze()
    ctx = multiprocessing.get_context("fork")
    results: list[FileResult] = []
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(options, tasks)
    ) as pool:
        for blob in pool.map(_analyze_range, bounds):
            results.extend(unplain(r) for r in marshal.loads(blob))
    return results


def _cpu_count() -> int:
    return forked.cpus()


def _balanced_chunks(sizes: list[int], workers: int) -> list[tuple[int, int]]:
    """Contiguous ranges ``(start, end)`` of the tasks of ``sizes`` (contiguous: results stay in file
    order), shrinking towards the end: each holds about what is left over ``2 * workers`` in bytes, at
    most a ``4 * workers``-th of the whole (a worker holds one chunk's results at a time) and at least a
    ``16 * workers``-th (guided self-scheduling). Bytes predict a chunk's time only roughly: with equal
    chunks the last one kept one worker busy while the other waited (0.25 s of 1.4 s at 10,000
    objects); small chunks at the end let the workers finish together."""
    total = sum(s or 1 for s in sizes)
    floor, ceiling = total / (16 * workers), total / (4 * workers)
    bounds: list[tuple[int, int]] = []
    start, acc, left = 0, 0, total
    target = min(max(left / (2 * workers), floor), ceiling)
    for i, s in enumerate(sizes):
        if i > start and acc >= target:
            bounds.append((start, i))
            left -= acc
            start, acc = i, 0
            target = min(max(left / (2 * workers), floor), ceiling)
        acc += s or 1
    bounds.append((start, len(sizes)))
    return bounds


# ------------------------------------------------------------------------------------ phase 2
class Assembled(Struct):
    """The objects of every file of one input, where each sits, and the findings phase 1 made."""

    resources: list[Resource]
    # per resource: (task index, chunk start, chunk end, path of the object in its document)
    spans: list[tuple[int, int, int, tuple[Any, ...]]]
    raw: list[tuple[int, RawFinding]]  # (task index, finding)
    files: int


def assemble(tasks: list[Task], results: list[FileResult]) -> Assembled:
    resources: list[Resource] = []
    spans: list[tuple[int, int, int, tuple[Any, ...]]] = []
    raw: list[tuple[int, RawFinding]] = []
    files = 0
    reread = Reread(tasks, resources, spans)
    for ti, (task, (objects, findings, counted)) in enumerate(zip(tasks, results, strict=True)):
        files += counted
        base = len(resources)
        again = reread if task.objects is None else None  # a cluster's objects are given whole
        for o in objects:
            line, col = (1, 1) if task.pin_position else (o.line, o.column)
            resources.append(Resource(o.body, task.display, line, col, o.doc_index, o.partial, again))
            spans.append((ti, o.start, o.end, o.item_path))
        for f in findings:
            ri = f.resource + base if f.resource >= 0 else -1
            line, col = (1, 1) if task.pin_position else (f.line, f.column)
            raw.append((ti, f._replace(line=line, column=col, resource=ri)))
    return Assembled(resources, spans, raw, files)


class Started:
    """Phase 2 under way: the process of the rules run beside the others (``pending``, None when none
    run there), started by :func:`start_phase2` as soon as the objects are assembled."""

    __slots__ = ("pending",)

    def __init__(self, pending: _Beside | None) -> None:
        self.pending = pending

    def cancel(self) -> None:
        """Stop the process beside (the run failed before phase 2 collected it)."""
        if self.pending is not None:
            self.pending.cancel()
            self.pending = None


def start_phase2(
    asm: Assembled, options: LintOptions, subset: list[int] | None = None, jobs: int | None = None
) -> Started:
    """Fork the process of the rules marked ``OWN_PROCESS`` (the capacity simulation) on a large input
    with node sizes, before this process goes on (with the schema checks of the whole input, then the
    other rules): the simulation is phase 2's longest part, so it starts first. It builds its own
    :class:`Context` (from ``asm``, as :func:`run_phase2` does here)."""
    from gitops_gen.lint.registry import rules

    count = len(asm.resources) if subset is None else len(subset)
    if not _beside_worthwhile(count, options, jobs):
        return Started(None)
    beside = [r for r in rules().values() if not r.local and r.own_process]
    return Started(_Beside.start(beside, asm, options, subset) if beside else None)


def run_phase2(
    tasks: list[Task],
    asm: Assembled,
    options: LintOptions,
    extra_hits: Iterable[tuple[str, Hit]] = (),
    subset: list[int] | None = None,
    jobs: int | None = None,
    started: Started | None = None,
) -> list[tuple[int, RawFinding]]:
    """Non-local object rules and cluster rules over the whole input (or over the resources of
    ``subset``, indexes into ``asm.resources``); positions of their hits.

    On a large input with node sizes, the rules marked ``OWN_PROCESS`` (the capacity simulation)
    run in a forked process while this one runs the others (``jobs=1``: all here); ``started``: that
    process as :func:`start_phase2` started it (same ``subset`` and ``jobs``), else it starts here.
    The hits are the same, in the same order, either way."""
    from gitops_gen.lint.registry import rules

    if started is None:
        started = start_phase2(asm, options, subset, jobs)
    ctx = _context(asm, options, subset)
    index = {id(r): i for i, r in enumerate(asm.resources)}
    all_rules = rules()
    active = [r for r in all_rules.values() if not r.local]
    pending = started.pending
    beside = pending.rules if pending is not None else []
    per_rule: dict[str, list[tuple[str, Severity, Hit]]] = {}
    for rule in active:
        if pending is None or rule not in beside:
            per_rule[rule.id] = _rule_hits(rule, ctx)
    if pending is not None:
        got = pending.collect(asm.resources)
        for rule in beside:
            per_rule[rule.id] = got[rule.id] if got is not None else _rule_hits(rule, ctx)
    hits = [h for rule in active for h in per_rule[rule.id]]
    for rid, hit in extra_hits:
        sev = (
            hit.severity
            if hit.severity is not None
            else all_rules[rid].severity
            if rid in all_rules
            else Severity.ERROR
        )
        hits.append((rid, sev, hit))
    return locate_hits(tasks, asm, index, hits)


def _context(asm: Assembled, options: LintOptions, subset: list[int] | None) -> Context:
    return Context(asm.resources if subset is None else [asm.resources[i] for i in subset], options)


def _rule_hits(rule: Rule, ctx: Context) -> list[tuple[str, Severity, Hit]]:
    """(rule id, severity, hit) of one non-local rule over ``ctx``; a rule's crash is one finding."""
    out: list[tuple[str, Severity, Hit]] = []
    if rule.object_check is not None:
        for res in ctx.of_kinds(rule.kinds):
            for hit in _run_object_rule(rule, res, ctx):
                out.append((rule.id, hit.severity if hit.severity is not None else rule.severity, hit))
    elif rule.cluster_check is not None:
        try:
            for hit in rule.cluster_check(ctx):
                if isinstance(hit, Hit):
                    out.append((rule.id, hit.severity if hit.severity is not None else rule.severity, hit))
        except Exception as exc:
            first = ctx.resources[0] if ctx.resources else None
            if first is not None:
                out.append(
                    (
                        rule.id,
                        Severity.ERROR,
                        Hit(
                            first,
                            f"internal error in rule {rule.id}: {type(exc).__name__}: {exc}",
                            "this is a bug in gitops-gen; please report it (GITOPS_GEN_DEBUG=1 for details)",
                        ),
                    )
                )
    return out


BESIDE_MIN_OBJECTS = 2000  # below this, a forked process costs more than the rules it takes over
# Above this, no fork: a forked child's page tables map every resident page of its parent, so each
# page counts twice in the processes' summed RSS (100,000 objects: ~310 MB each, 620 MB in all,
# against ~410 MB with the rules run here after the others, for ~10% more time).
BESIDE_MAX_OBJECTS = 50_000


def _beside_worthwhile(count: int, options: LintOptions, jobs: int | None) -> bool:
    cluster = options.cluster
    return (
        jobs != 1
        and cluster is not None
        and bool(cluster.nodes)
        and BESIDE_MIN_OBJECTS <= count <= BESIDE_MAX_OBJECTS
        and forked.worthwhile()  # Linux (a fork of a process that holds the input: copy-on-write), 2+ CPUs
    )


class _Beside:
    """Rules run in a forked process (:mod:`gitops_gen.forked`); their hits come back as plain tuples
    (resource by index)."""

    def __init__(self, child: Forked[dict[str, list[tuple[Any, ...]]]], rules: list[Rule]) -> None:
        self.child, self.rules = child, rules

    @classmethod
    def start(
        cls, rules: list[Rule], asm: Assembled, options: LintOptions, subset: list[int] | None
    ) -> _Beside | None:
        child = forked.start(lambda: _beside_main(rules, asm, options, subset))
        return cls(child, rules) if child is not None else None

    def cancel(self) -> None:
        self.child.cancel()

    def collect(self, resources: list[Resource]) -> dict[str, list[tuple[str, Severity, Hit]]] | None:
        """The hits by rule id; None when the process failed (the caller runs the rules itself)."""
        data = self.child.result()
        if not isinstance(data, dict):
            return None
        return {
            rid: [
                (
                    rid,
                    Severity(sev),
                    Hit(
                        resources[ri],
                        message,
                        remediation,
                        tuple(path),
                        None if own is None else Severity(own),
                    ),
                )
                for sev, ri, message, remediation, path, own in rows
            ]
            for rid, rows in data.items()
        }


def _beside_main(
    rules: list[Rule], asm: Assembled, options: LintOptions, subset: list[int] | None
) -> dict[str, list[tuple[Any, ...]]]:
    """In the child: each rule's hits as marshal-able rows."""
    gc.disable()
    ctx = _context(asm, options, subset)
    index = {id(r): i for i, r in enumerate(asm.resources)}
    out: dict[str, list[tuple[Any, ...]]] = {}
    for rule in rules:
        rows = out[rule.id] = []
        for _rid, sev, hit in _rule_hits(rule, ctx):
            ri = index.get(id(hit.resource), -1)
            if ri >= 0:  # a hit on an object the engine does not know is dropped (as locate_hits does)
                own = None if hit.severity is None else int(hit.severity)
                rows.append((int(sev), ri, hit.message, hit.remediation, tuple(hit.path), own))
    return out


def locate_hits(
    tasks: list[Task], asm: Assembled, index: dict[int, int], hits: list[tuple[str, Severity, Hit]]
) -> list[tuple[int, RawFinding]]:
    from gitops_gen.lint.positions import Positions, path_exists

    out: list[tuple[int, RawFinding] | None] = [None] * len(hits)
    by_task: dict[int, list[tuple[int, int, RawFinding]]] = {}  # task -> (hit number, resource, finding)
    for n, (rid, sev, hit) in enumerate(hits):
        ri = index.get(id(hit.resource), -1)
        if ri < 0:
            continue  # a hit on an object the engine does not know: ignore
        res = asm.resources[ri]
        ti = asm.spans[ri][0]
        raw = RawFinding(
            rid, int(sev), res.line, res.column, ri, hit.message, hit.remediation, tuple(hit.path)
        )
        if hit.path and not tasks[ti].pin_position:
            by_task.setdefault(ti, []).append((n, ri, raw))
        else:
            out[n] = (ti, raw)
    for ti, found in by_task.items():  # one file's text at a time, all its fields in one pass
        lines = _lines_of(tasks[ti])
        if lines is None:
            for n, _ri, raw in found:
                out[n] = (ti, raw)
            continue
        positions = Positions(lines)
        tickets = []
        docs: dict[int, Any] | None = None
        for _n, ri, raw in found:
            _ti, start, end, prefix = asm.spans[ri]
            res = asm.resources[ri]
            body: Any = res.body
            if res.reread is not None and not path_exists(body, raw.path):
                # a field phase 1 did not keep (or that is not there at all): asked of the whole body
                docs = _documents(tasks[ti]) if docs is None else docs
                body = _object_at(docs, res.doc_index, prefix)
            tickets.append(positions.request(start, end, body, raw.path, prefix))
        answers = positions.resolve()
        for (n, _ri, raw), ticket in zip(found, tickets, strict=True):
            fl, fc = answers[ticket]
            out[n] = (ti, raw._replace(line=fl, column=fc) if fl else raw)
        del positions, lines
    return [x for x in out if x is not None]


def _lines_of(task: Task) -> list[str] | None:
    if task.text is not None:
        return task.text.split("\n")
    text, _problem = read_file(task.path, task.display)
    return None if text is None else text.split("\n")


# ------------------------------------------------------------------------------------ finish
def finalize(
    tasks: list[Task],
    asm: Assembled,
    raw: list[tuple[int, RawFinding]],
    *,
    severity: dict[str, Severity],
    disabled: set[str],
) -> tuple[list[Finding], list[Finding]]:
    """Apply config (disabled rules, severities) and ignore annotations; sort; drop duplicates."""
    findings: list[Finding] = []
    ignored: list[Finding] = []
    seen: set[tuple[Any, ...]] = set()
    ignores: dict[int, set[str]] = {}
    for ti, (rid, sev, line, col, ri, message, remediation, path) in raw:
        if rid in disabled:
            continue
        sev_v = severity.get(rid, Severity(sev))
        res = asm.resources[ri] if ri >= 0 else None
        f = Finding(
            rid,
            sev_v,
            tasks[ti].display,
            line,
            col,
            res.ref if res is not None else "",
            message,
            remediation,
            tuple(path),
            tasks[ti].cluster,
        )
        key = (f.file, f.line, f.column, f.rule, f.message, f.resource)
        if key in seen:
            continue
        seen.add(key)
        if res is not None:
            if ri not in ignores:
                ignores[ri] = _ignored_rules(res)
            if rid in ignores[ri] or "all" in ignores[ri] or "*" in ignores[ri]:
                ignored.append(f)
                continue
        findings.append(f)
    findings.sort(key=Finding.sort_key)
    ignored.sort(key=Finding.sort_key)
    return collapse_missing_schemas(findings), ignored


def collapse_missing_schemas(findings: list[Finding]) -> list[Finding]:
    """One "no schema" warning per kind, not one per object.

    The warning is about the kind (its CRD is not known), so it is reported once, at the kind's
    first object in file order, with the number of objects left unvalidated: a repository with 80
    ExternalSecrets gets one line, not 80.
    """
    from gitops_gen.lint.rules.schema import NO_SCHEMA

    counts: dict[str, int] = defaultdict(int)
    for f in findings:
        if f.rule == "schema" and f.message.startswith(NO_SCHEMA):
            counts[f.message] += 1
    if not counts:
        return findings
    out: list[Finding] = []
    shown: set[str] = set()
    for f in findings:
        n = counts.get(f.message, 0) if f.rule == "schema" else 0
        if n and f.message in shown:
            continue
        if n:
            shown.add(f.message)
            if n > 1:
                f.message = f"{f.message} ({n} objects of this kind; the first is shown)"
        out.append(f)
    return out


def _ignored_rules(res: Resource) -> set[str]:
    value = res.annotations.get(IGNORE_ANNOTATION, "")
    return {p.strip() for p in value.replace(";", ",").split(",") if p.strip()}
