"""One lint run, start to end: which files, phase 1 (parse + per-file rules, in a process pool), the
whole-input schema checks, phase 2 (cross-object rules), and the on-disk cache of both phases.

:func:`lint_paths` is the library entry point (``gitops_gen.lint.api`` adds the CLI's flags, config file
and printing). With a cache, phase 1 is reused per file by content hash and phase 2 per *partition*:

* one partition per namespace ``N``: the namespaced objects of ``N`` that are not Flux objects, plus
  the ``Namespace`` object named ``N``;
* one ``global`` partition: everything else (cluster-scoped objects, objects without a namespace,
  Flux and Velero objects, whose references cross namespaces).

A partition's key is a digest of the files (path as shown and content hash) that hold its objects;
when the ``global`` partition is not empty, the digest of *every* file is mixed into every key (its
objects may look at anything). The cross-object rules of Kubernetes look within a namespace (an
Ingress at its Services, an HPA at its target, a PDB at the pods it selects) or at global objects, so
the findings on the objects of a partition depend only on that partition (and the global one). A
re-lint reuses the findings of every partition whose key is known, and runs the cross-object rules
only over the objects of the others (with the global objects in the context); with no changed file,
nothing runs at all. Only those partitions' files have their full records (object bodies) loaded;
the others contribute a slim record (findings, and per object only what the finishing step reads).

A run falls back to the whole-input phase 2 (still storing the per-partition results) when the
result could depend on more than a partition: a cluster rule with something to check (node sizes or
a platform spec), the kubeconform validator, ``--build`` output, or two files shown under one path.
"""

from __future__ import annotations

import gc
import marshal
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from gitops_gen.digest import blake2b
from gitops_gen.errors import UserError
from gitops_gen.lint import cache as cache_mod
from gitops_gen.lint import engine
from gitops_gen.lint.engine import IGNORE_ANNOTATION, Assembled, FileResult, LintResult, RawFinding, Task
from gitops_gen.lint.model import Finding, Hit, LintOptions, Severity
from gitops_gen.paths import Walk, WalkOnce, display_path

if TYPE_CHECKING:
    from gitops_gen.capacity.nodes import NodePlan
    from gitops_gen.cluster.kustomize import Files
    from gitops_gen.cluster.model import ClusterView
    from gitops_gen.cluster.view import Entry
    from gitops_gen.lint.cache import ResultCache
    from gitops_gen.spec.files import SpecDocs


class RunSettings(Struct):
    """Everything a lint run needs beyond the paths (flags merged with the config file)."""

    options: LintOptions = field(default_factory=LintOptions)
    jobs: int | None = None
    cache_dir: Path | None = None  # None: no cache
    build: bool = False
    exclude: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    disabled: set[str] = field(default_factory=set)
    fail_on: str = "error"
    clusters: list[Path] = field(default_factory=list)  # --cluster DIR: lint what these clusters apply
    all_files: bool = False  # --all-files: also lint files no cluster applies, as plain files
    plain: bool = False  # --no-clusters: plain file mode even where a Flux entry point exists
    nodes: NodePlan | None = None  # cluster mode: the nodes of each cluster (None: no size known)
    # diff: each cluster's capacity baseline (what the base requested), for options.capacity_baseline
    baselines: dict[str, Mapping[str, tuple[int, int, int]]] = field(default_factory=dict)
    # diff: the views of the paths' clusters, already built for the budget (not built again)
    views: list[ClusterView] | None = None
    # diff: the Flux entry points of the paths, found for those views (the paths are not walked again)
    entries: list[Entry] | None = None
    # diff: phase-1 results by task (see _memo_keys), shared by the runs on its two sides; a file
    # the change left as it was (same path, bytes, objects and options) is not analysed again
    phase1: dict[bytes, tuple[list[RawFinding], int]] | None = None
    # diff: the text of each file it wrote for this side, by absolute path (as the cluster view names
    # it): the phase-1 memo keys hash it instead of reading the file again
    written: Mapping[str, str] | None = None
    # diff: how this side's tree is walked (a KnownTree's walk: the tree is what it wrote, listed
    # without asking the disk); None: os.walk
    walk: Walk | None = None
    # specs directories (resolved) already read in full, for the spec locations of the findings
    spec_docs: dict[Path, SpecDocs | None] = field(default_factory=dict)

    def options_for(self, cluster: str) -> LintOptions:
        """The options of one cluster's lint: its nodes, platform spec and capacity baseline."""
        if self.nodes is None and cluster not in self.baselines:
            return self.options
        import msgspec.structs

        options = self.options
        if cluster in self.baselines:
            options = msgspec.structs.replace(options, capacity_baseline=self.baselines[cluster])
        if self.nodes is None:
            return options
        nodes, platform = self.nodes.for_cluster(cluster)
        return msgspec.structs.replace(options, cluster=nodes, platform=platform)


def lint_paths(paths: list[Path], settings: RunSettings | None = None) -> LintResult:
    """Lint ``paths`` (files/directories) and return every finding (config and ignores applied)."""
    gc_was = gc.isenabled()
    gc.disable()  # the loaded objects are acyclic trees: collecting them is pure overhead
    try:
        settings = settings or RunSettings()
        result = _lint(paths, settings)
        result.findings = _spec_locations(result.findings, settings.cache_dir, settings.spec_docs)
        return result
    finally:
        if gc_was:
            gc.enable()


def _spec_locations(
    findings: list[Finding], cache_dir: Path | None, known: dict[Path, SpecDocs | None]
) -> list[Finding]:
    """Findings on objects rendered by gitops-gen name the spec key that set the value (not cached:
    the specs' lines move without the output changing). ``known``: specs already read, by directory."""
    from gitops_gen.lint.specmap import attach

    return attach(findings, cache_dir=cache_dir, known=known) if findings else findings


def _lint(paths: list[Path], settings: RunSettings) -> LintResult:
    import time

    from gitops_gen.k8s.loader import ROLE_RESOURCE, discover_names, kustomize_roles, unreadable_directory
    from gitops_gen.lint import engine
    from gitops_gen.lint.registry import rules

    timing = bool(os.environ.get("GITOPS_GEN_TIMING"))
    t0 = time.perf_counter()

    def mark(what: str) -> None:
        if timing:
            sys.stderr.write(f"timing: {what}: {time.perf_counter() - t0:.3f} s\n")

    if settings.cache_dir:  # the copy of the Kubernetes definitions and each kind's record, in both modes
        from gitops_gen.lint.schema import versions

        versions.definitions_cache_dir = Path(settings.cache_dir) / "schemas"
    cwd = Path.cwd()
    # the files, then the Flux entry points: one walk of the linted directories serves both
    walk = settings.walk or WalkOnce(onerror=unreadable_directory).walk
    files = discover_names(paths, settings.exclude, walk)
    # explicit files (the pre-commit hook) are linted as plain files: the cluster modules are not loaded
    clustered = not settings.build and not settings.plain and all(p.is_dir() for p in paths)
    the_plan = None
    if clustered:
        from gitops_gen.lint import clusters

        the_plan = clusters.plan(paths, settings.clusters, settings.entries, walk)
    del walk  # the listing is not kept through the run (100,000 files: tens of MB)
    if the_plan is not None:  # cluster mode
        cache = _open_cache(settings)
        result = clusters.lint_clusters(
            the_plan,
            files,
            lambda tasks, name: _lint_tasks(tasks, settings, mark, cache, name),
            lambda names: plain_tasks(names, cwd),
            settings.all_files,
            _view_files(cache),
            _ViewMemo(cache, settings, cwd) if cache is not None else None,
            settings.views,
        )
        if settings.nodes is not None and not settings.clusters:  # --cluster DIR: some clusters only
            settings.nodes.check_names(result.clusters, paths)
        if cache is not None:
            cache.save()
            cache.close()
        result.rule_docs = {rid: r.summary for rid, r in rules().items()}
        return result
    roles = kustomize_roles(files)
    tasks: list[Task] = []
    build_dirs: list[Path] = []
    if settings.build:
        build_dirs = _root_kustomizations(roles)
    # every kustomization directory is linted through the build of the root that includes it
    covered = (
        [os.path.normpath(str(d.absolute())) + os.sep for d in roles.kustomization_dirs] if build_dirs else []
    )
    cwd_s = str(cwd)
    for f in files:
        fs = str(f)
        absf = os.path.normpath(fs if os.path.isabs(fs) else os.path.join(cwd_s, fs))
        if covered and any(absf.startswith(c) for c in covered):
            continue
        role = roles.roles.get(absf, ROLE_RESOURCE)
        tasks.append(Task(fs, display_path(fs, cwd), role))
    for d in build_dirs:
        tasks.append(_build_task(d, cwd))
    options = settings.options
    cache = _open_cache(settings)
    if cache is not None:
        asm, raw = run_cached(tasks, options, settings.jobs, cache, mark)  # sizes only what it parses
    else:
        results = engine.run_phase1(tasks, options, settings.jobs, task_sizes(tasks))
        mark(f"phase 1 ({len(tasks)} files parsed)")
        asm = engine.assemble(tasks, results)
        del results  # their objects are asm's resources now
        raw, phase2 = _phase2(tasks, asm, asm.raw, options, settings.jobs)
        raw = raw + phase2
        mark("phase 2")
    findings, ignored = engine.finalize(
        tasks, asm, raw, severity=settings.severity, disabled=settings.disabled
    )
    mark("finalized")
    return LintResult(
        findings=findings,
        ignored=ignored,
        resources=sum(1 for r in asm.resources if not r.partial),
        files=asm.files,
        rule_docs={rid: r.summary for rid, r in rules().items()},
    )


def _open_cache(settings: RunSettings) -> ResultCache | None:
    """The result cache of this run (None without a cache directory, or when it cannot be opened)."""
    from gitops_gen.lint.cache import ResultCache

    if not settings.cache_dir:
        return None
    return ResultCache.open(settings.cache_dir, settings.options, settings.written, settings.walk)


def plain_tasks(files: list[str], cwd: Path) -> list[Task]:
    """Plain file mode tasks (each file's role from the kustomizations among ``files``)."""
    from gitops_gen.k8s.loader import ROLE_RESOURCE, kustomize_roles

    roles = kustomize_roles(files)
    out = []
    for f in files:
        absf = os.path.normpath(f if os.path.isabs(f) else os.path.join(str(cwd), f))
        out.append(Task(f, display_path(f, cwd), roles.roles.get(absf, ROLE_RESOURCE)))
    return out


def _view_files(cache: Any) -> Files:
    """The cluster view's file reader; with ``cache``, parsed documents are kept by content hash (a
    warm re-lint unmarshals them instead of parsing every file of the repository again)."""
    from gitops_gen.cluster.kustomize import BuildError, Files, parse_file
    from gitops_gen.k8s.loader import Document, FileProblem, ParsedFile, decode, parse_text

    if cache is None:
        return Files()

    def parse(path: str) -> ParsedFile:
        key, data = cache.key_and_bytes(path, "documents")
        if key is None:
            return parse_file(path)
        if cache.has(key):
            docs, problems = cache.get_slim(key)
            return ParsedFile([Document(*d) for d in docs], [FileProblem(*p) for p in problems])
        if data is None:
            parsed = parse_file(path)
        else:
            text, problem = decode(data, path)
            if text is None:
                assert problem is not None
                raise BuildError(problem.message, path, problem.line, problem.column, problem.hint)
            parsed = parse_text(text)
        record = (
            [(d.body, d.line, d.column, d.index, d.start, d.end) for d in parsed.documents],
            [(p.message, p.line, p.column, p.hint, p.severity) for p in parsed.problems],
        )
        cache.put(key, record, record)
        return parsed

    return Files(parse)


def _lint_tasks(
    tasks: list[Task],
    settings: RunSettings,
    mark: Callable[[str], None],
    cache: Any = None,
    cluster: str | None = None,
) -> tuple[list[Finding], list[Finding], int, int]:
    """Lint ``tasks`` as one input: (findings, ignored, objects, files). With ``cache``, phase 1 of a
    task is reused when its file *and* its objects as given are unchanged (a cluster's objects carry
    what the graph brought in: patches, substitutions, namespaces); phase 2 always runs. ``cluster``:
    the cluster whose objects these are (its nodes and platform spec), None for plain files."""
    options = settings.options if cluster is None else settings.options_for(cluster)
    results: list[FileResult | None] = [None] * len(tasks)
    keys: list[str | None] = [None] * len(tasks)
    if cache is not None:
        for i, t in enumerate(tasks):
            key, t.data = cache.key_and_bytes(t.path, t.role)
            if key is None:
                continue
            h = blake2b(f"{key}\0{t.display}\0{t.cluster}".encode(), digest_size=16)
            if t.objects is not None:
                h.update(marshal.dumps([tuple(o) for o in t.objects]))
            # led by the file's content digest, as a file's own records are: a compaction keeps the records
            # of contents a known file still holds (an "objects:" lead matched none: all were dropped)
            keys[i] = f"{key.split(':', 1)[0]}:objects:{h.hexdigest()}"
    config = repr((sorted((k, int(v)) for k, v in settings.severity.items()), sorted(settings.disabled)))
    whole = (
        _cluster_key(tasks, keys, options, cluster, config, dirs=cache.directories_digest)
        if cache is not None
        else None
    )
    if whole is not None:  # this cluster, exactly as linted before: its findings as they were
        got = cache.get_part(whole)
        if got is not None:
            found, ign, n, nfiles = got
            for t in tasks:
                t.data = None
            return [Finding(*_unrow(r)) for r in found], [Finding(*_unrow(r)) for r in ign], n, nfiles
    if cache is not None:
        for i, t in enumerate(tasks):
            k = keys[i]
            if k is not None and cache.has(k):
                _none, raw_findings, counted = engine.unplain(cache.get_slim(k))
                results[i] = FileResult(t.objects or [], raw_findings, counted)
                t.data = None
    memo = settings.phase1 if cache is None else None  # with the cache: both sides of a diff share it
    memo_keys = _memo_keys(tasks, options, settings.written) if memo is not None else []
    if memo is not None:
        for i, (t, mk) in enumerate(zip(tasks, memo_keys, strict=True)):
            got = memo.get(mk) if mk is not None else None
            if got is not None:
                results[i] = FileResult(t.objects or [], list(got[0]), got[1])
                t.data = None
    todo = [i for i, r in enumerate(results) if r is None]
    parse = [tasks[i] for i in todo]
    for i, r in zip(todo, engine.run_phase1(parse, options, settings.jobs, task_sizes(parse)), strict=True):
        results[i] = r
        mk = memo_keys[i] if memo is not None else None
        if memo is not None and mk is not None:
            memo[mk] = (list(r.findings), r.counted)
        k = keys[i]
        if k and cache is not None and tasks[i].objects is not None:
            record = engine.plain(r._replace(objects=[]))  # the objects are the task's own
            cache.put(k, record, record)
    mark(f"phase 1 ({len(todo)} of {len(tasks)} files)")
    asm = engine.assemble(tasks, [r for r in results if r is not None])
    raw, phase2 = _phase2(tasks, asm, asm.raw, options, settings.jobs)
    raw = raw + phase2
    mark(f"one input linted ({len(tasks)} files)")
    findings, ignored = engine.finalize(
        tasks, asm, raw, severity=settings.severity, disabled=settings.disabled
    )
    n = sum(1 for r in asm.resources if not r.partial)
    if whole is not None:
        cache.put_part(whole, ([_row(f) for f in findings], [_row(f) for f in ignored], n, asm.files))
    return findings, ignored, n, asm.files


def _memo_keys(
    tasks: list[Task], options: LintOptions, written: Mapping[str, str] | None = None
) -> list[bytes | None]:
    """Per task of a cluster (objects given), what its phase-1 result depends on: the file as shown
    and its bytes (kept in ``task.data``; read here unless ``written`` holds the text the caller
    wrote to that path), its role, cluster and objects, and the options but the capacity baseline
    (only the cross-object capacity rules read it). None: not memoised."""
    import msgspec.structs

    from gitops_gen.k8s.loader import file_bytes
    from gitops_gen.yamlio import DEFAULT_LIMITS

    settings = blake2b(
        repr(msgspec.structs.replace(options, capacity_baseline=None)).encode(), digest_size=16
    )
    out: list[bytes | None] = []
    for t in tasks:
        if t.objects is None or t.text is not None:
            out.append(None)
            continue
        text = written.get(t.path) if written is not None else None
        if text is None:
            data = file_bytes(t.path)  # None: not a regular file, too big or unreadable
        else:
            try:
                data = text.encode("utf-8")  # the bytes diff wrote (api._write_files: UTF-8)
            except UnicodeEncodeError:
                data = None
            if data is not None and len(data) > DEFAULT_LIMITS.max_file_bytes:
                data = None
        if data is None:
            out.append(None)  # phase 1 reports why it is not read
            continue
        try:
            # one serialisation of everything else it depends on (2: by value, no shared references)
            blob = marshal.dumps((t.display, t.role, t.cluster, data, [tuple(o) for o in t.objects]), 2)
        except ValueError:  # not plain data
            out.append(None)
            continue
        t.data = data
        h = settings.copy()
        h.update(blob)
        out.append(h.digest())
    return out


def _cluster_key(
    tasks: list[Task],
    keys: list[str | None],
    options: LintOptions,
    cluster: str | None,
    config: str,
    extra: list[tuple[str, str]] | None = None,
    *,
    dirs: Callable[[Path | None], str],
) -> str | None:
    """The key of a whole cluster's lint: every object as the graph built it (the task keys), the
    config's severities and disabled rules (the findings are stored finished), the cluster's nodes
    and platform spec, the directories (``spec.path`` checks) and, when the budget rules run, the
    chart cache they render. None (no reuse) for plain files or an unreadable file."""
    if cluster is None or any(k is None for k in keys):
        return None
    parts: list[tuple[str, str]] = [(t.display, k or "") for t, k in zip(tasks, keys, strict=True)]
    parts.append(("\0cluster", cluster))
    parts.append(("\0config", config))
    parts.extend(extra or ())
    if options.capacity_baseline:  # diff: what the base requested (the blame of an overflow)
        parts.append(("\0baseline", repr(sorted(options.capacity_baseline.items()))))
    parts.append(("\0dirs", dirs(options.repo_root)))
    if options.cluster is not None:
        import shutil

        from gitops_gen.charts.cache import default_dir

        c = options.cluster
        parts.append(("\0nodes", repr((c.nodes, c.distribution, sorted(c.k3s_disable), options.platform))))
        parts.append(("\0charts", repr(cache_mod.fingerprint_stat([default_dir()]))))
        parts.append(("\0helm", str(shutil.which("helm"))))
    return "cluster:" + _digest(parts)


class _ViewMemo:
    """A cluster's findings kept with the files its view read (and their content keys), keyed by its
    entry, every file and directory name of its repository (a file added where Flux generates the
    kustomization changes the build without changing a file read), the working directory (findings
    name files as shown) and the cluster's settings: a warm re-lint of an unchanged cluster builds
    nothing and runs no rule."""

    def __init__(self, cache: ResultCache, settings: RunSettings, cwd: Path) -> None:
        self.cache = cache
        self.settings = settings
        self.cwd = str(cwd)
        self.keys: dict[tuple[int, str], str | None] = {}  # recall's, for remember (one run: same tree)

    def _key(self, entry: Any, name: str) -> str | None:
        if (id(entry), name) in self.keys:
            return self.keys[(id(entry), name)]
        key = self.keys[(id(entry), name)] = self._new_key(entry, name)
        return key

    def _new_key(self, entry: Any, name: str) -> str | None:
        s = self.settings
        config = repr((sorted((k, int(v)) for k, v in s.severity.items()), sorted(s.disabled)))
        parts = [
            ("\0entry", repr((entry.name, entry.sync_file, entry.directory, entry.root))),
            ("\0tree", self.cache.tree_digest(Path(entry.root))),
            ("\0cwd", self.cwd),
            ("\0all-files", str(s.all_files)),
        ]
        return _cluster_key(
            [], [], s.options_for(name), name, config, parts, dirs=self.cache.directories_digest
        )

    def recall(self, entry: Any, name: str) -> tuple[list[Finding], list[Finding], int, list[str]] | None:
        key = self._key(entry, name)
        got = self.cache.get_part(key) if key is not None else None
        if got is None:
            return None
        read, found, ign, n = got
        for path, k in read:
            if self.cache.key_for(path, "view") != k:
                return None
        return (
            [Finding(*_unrow(r)) for r in found],
            [Finding(*_unrow(r)) for r in ign],
            n,
            [p for p, _k in read],
        )

    def remember(
        self, entry: Any, name: str, read: set[str], found: list[Finding], ignored: list[Finding], n: int
    ) -> None:
        key = self._key(entry, name)
        keys = [(p, self.cache.key_for(p, "view")) for p in sorted(read)]
        if key is not None and all(k is not None for _p, k in keys):
            self.cache.put_part(key, (keys, [_row(f) for f in found], [_row(f) for f in ignored], n))


def _row(f: Finding) -> tuple[Any, ...]:
    return (
        f.rule,
        int(f.severity),
        f.file,
        f.line,
        f.column,
        f.resource,
        f.message,
        f.remediation,
        f.path,
        f.cluster,
    )


def _unrow(r: Any) -> tuple[Any, ...]:
    rule, sev, *rest = r
    rest[6] = tuple(rest[6])  # the field path
    return (rule, Severity(sev), *rest)


def task_sizes(tasks: list[Task]) -> list[int]:
    """Bytes of each task's input (0 when it cannot be read: the read reports why)."""
    sizes = []
    for t in tasks:
        given = t.text if t.text is not None else t.data  # given, or read already
        if given is not None:
            sizes.append(len(given))
            continue
        try:
            sizes.append(os.stat(t.path).st_size)
        except OSError:
            sizes.append(0)
    return sizes


Located = list[tuple[int, RawFinding]]  # (task index, finding)
ExtraHits = list[tuple[str, Hit]]  # (rule id, hit) for phase 2 to place


def _phase2(
    tasks: list[Task], asm: Assembled, raw: Located, options: LintOptions, jobs: int | None, run: bool = True
) -> tuple[Located, Located]:
    """``raw`` with the whole input's schema checks applied, and phase 2's findings (none unless
    ``run``). The capacity process (if any) is started first; the schema checks run meanwhile."""
    started = engine.start_phase2(asm, options, jobs=jobs) if run else None
    try:
        raw, extra = whole_input_schema(tasks, asm, raw, options)
    except BaseException:
        if started is not None:
            started.cancel()
        raise
    if started is None:
        return raw, []
    return raw, engine.run_phase2(tasks, asm, options, extra, jobs=jobs, started=started)


def whole_input_schema(
    tasks: list[Task], asm: Assembled, raw: Located, options: LintOptions
) -> tuple[Located, ExtraHits]:
    """Schema checks that need the whole input, before phase 2: custom objects validated against the
    CRDs of the input, and the kubeconform validator. Returns ``raw`` without the findings they
    replace, and the extra ``(rule, hit)`` pairs for phase 2 to place."""
    raw, extra = _recheck_with_input_crds(asm, raw, options)
    if options.validator == "kubeconform":
        from gitops_gen.lint.schema.kubeconform import run_kubeconform

        extra.extend(run_kubeconform(tasks, asm, options))
    return raw, extra


def _recheck_with_input_crds(asm: Assembled, raw: Located, options: LintOptions) -> tuple[Located, ExtraHits]:
    """Custom objects whose CRD is among the input (gotk-components.yaml): validated against that CRD,
    which replaces the bundled schema of the kind (a repository that pins an older Flux brings its own).
    Where the Flux Operator manages Flux, its widened enums apply (:mod:`~gitops_gen.lint.schema.flux_operator`)."""
    from gitops_gen.lint.schema.flux_operator import drop_flux_operator_kinds

    raw = drop_flux_operator_kinds(asm.resources, raw)
    if options.validator == "kubeconform":
        return raw, []
    crds = [r for r in asm.resources if r.kind == "CustomResourceDefinition" and not r.partial]
    if not crds:
        return raw, []
    from gitops_gen.lint.rules import cel, schema
    from gitops_gen.lint.schema.embedded import EmbeddedValidator, split_api_version

    # phase 1 kept a CRD's group and kind (what phase 2 reads): the whole CRDs of the kinds the input has
    present = {(split_api_version(r.api_version)[0], r.kind.lower()) for r in asm.resources if not r.partial}
    v = EmbeddedValidator(
        options.kubernetes_version,
        options.schema_dirs,
        options.crd_dirs,
        crds=[r.whole for r in crds if _defines(r.body) in present],
    )
    redo = {
        i
        for i, r in enumerate(asm.resources)
        if not r.partial
        and "/" in r.api_version
        and v.user_defines(split_api_version(r.api_version)[0], r.kind)
    }
    if not redo:
        return raw, []
    kept = [(t, f) for t, f in raw if not (f.rule in (schema.ID, cel.ID) and f.resource in redo)]
    for i in redo:  # validated whole (their findings are placed on the whole body too)
        asm.resources[i].body = asm.resources[i].whole
    extra: ExtraHits = []
    for i in sorted(redo):
        res = asm.resources[i]
        extra.extend((schema.ID, h) for h in schema.check_with(res, v))
        extra.extend((cel.ID, h) for h in cel.hits_for(res, v))
    return drop_flux_operator_kinds(asm.resources, kept, extra), extra


def _defines(crd: dict[str, Any]) -> tuple[str, str]:
    """(group, kind in lower case) that a CRD defines, as the schema validator indexes it."""
    spec = crd.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    names = spec.get("names")
    kind = names.get("kind") if isinstance(names, dict) else None
    return str(spec.get("group") or ""), str(kind or "").lower()


def _root_kustomizations(roles: Any) -> list[Path]:
    """Kustomization directories that no other kustomization of the input includes."""
    out = []
    for d in roles.kustomization_dirs:
        if os.path.normpath(str(d.absolute())) not in roles.referenced_dirs:
            out.append(d)
    return sorted(set(out), key=lambda p: p.as_posix())


def _build_task(d: Path, cwd: Path) -> Task:
    import shutil
    import subprocess

    from gitops_gen.k8s.loader import KUSTOMIZATION_NAMES

    kfile = next((d / n for n in KUSTOMIZATION_NAMES if (d / n).is_file()), d / "kustomization.yaml")
    display = display_path(kfile, cwd)
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise UserError(
            "--build needs kubectl on PATH (it runs `kubectl kustomize`)",
            hint="install kubectl, or lint without --build",
        )
    try:
        proc = subprocess.run(
            [kubectl, "kustomize", str(d)], capture_output=True, text=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired:
        raise UserError.at(display, "kubectl kustomize timed out after 120 s") from None
    if proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip().splitlines()
        raise UserError.at(
            display,
            f"kubectl kustomize failed: {msg[-1] if msg else proc.returncode}",
            line=1,
            column=1,
            hint="fix the kustomization (run `kubectl kustomize` to see it)",
        )
    return Task(str(kfile), display, "resource", text=proc.stdout, pin_position=True)


# ------------------------------------------------------------------------------- the cache
GLOBAL = "\0global"
_FLUX = "fluxcd.io"
_VELERO = "velero.io"
# cluster rules that yield nothing without node sizes or a platform spec (they return at once)
_INERT_WITHOUT_NODES = frozenset({"cpu-budget", "memory-budget"})


def slim(result: FileResult) -> FileResult:
    """``result`` with each object body cut to apiVersion, kind, name, namespace, ignore annotation."""
    out = []
    for o in result.objects:
        body = o.body
        stub: dict[str, Any] = {"apiVersion": body.get("apiVersion"), "kind": body.get("kind")}
        meta = body.get("metadata")
        if isinstance(meta, dict):
            m: dict[str, Any] = {}
            for k in ("name", "namespace"):
                if k in meta:
                    m[k] = meta[k] if isinstance(meta[k], str) else None
            ann = meta.get("annotations")
            if isinstance(ann, dict):
                m["annotations"] = {k: v for k, v in ann.items() if str(k) == IGNORE_ANNOTATION}
            stub["metadata"] = m
        spec = _operator_marks(body)
        if spec:
            stub["spec"] = spec
        out.append(o._replace(body=stub))
    return result._replace(objects=out)


def _operator_marks(body: dict[str, Any]) -> dict[str, Any]:
    """What says that the Flux Operator manages Flux (``schema.flux_operator.operator_present``): a
    HelmRelease's chart name, a chart source URL's last part (never the rest of it: it may hold a
    credential)."""
    spec = body.get("spec")
    if not isinstance(spec, dict):
        return {}
    kind = body.get("kind")
    chart = spec.get("chart")
    if kind == "HelmRelease" and isinstance(chart, dict) and isinstance(chart.get("spec"), dict):
        name = chart["spec"].get("chart")
        return {"chart": {"spec": {"chart": name}}} if isinstance(name, str) else {}
    url = spec.get("url")
    if kind in ("OCIRepository", "HelmRepository") and isinstance(url, str):
        return {"url": url.rstrip("/").rsplit("/", 1)[-1]}
    return {}


def partition_of(body: Any, partial: bool) -> str | None:
    """The partition of an object (None: a partial object, which phase 2 does not see)."""
    if partial:
        return None
    meta = body.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    kind = body.get("kind")
    api = body.get("apiVersion")
    if kind == "Namespace" and api == "v1":
        name = meta.get("name")
        return name if isinstance(name, str) and name else GLOBAL
    ns = meta.get("namespace")
    if not isinstance(ns, str) or not ns:
        return GLOBAL
    group = api.rsplit("/", 1)[0] if isinstance(api, str) and "/" in api else ""
    if group.endswith(_FLUX) or group == _VELERO:  # Velero Schedules cover other namespaces
        return GLOBAL
    return ns


def partitionable(tasks: list[Task], options: LintOptions) -> bool:
    from gitops_gen.lint.registry import rules

    if options.validator == "kubeconform" or any(t.text is not None for t in tasks):
        return False
    if len({t.display for t in tasks}) != len(tasks):
        return False
    for rule in rules().values():
        if rule.cluster_check is not None and (
            rule.id not in _INERT_WITHOUT_NODES or options.cluster is not None
        ):
            return False
    return True


def run_cached(
    tasks: list[Task], options: LintOptions, jobs: int | None, cache: ResultCache, mark: Callable[[str], None]
) -> tuple[Assembled, Located]:
    """Phases 1 and 2 with ``cache``: the assembled input and every raw finding (before finalize)."""
    n = len(tasks)
    results: list[FileResult] = [FileResult([], [], 0)] * n  # each filled below (cached or parsed)
    full = [False] * n  # results[i] holds bodies (fresh, or loaded in full)
    keys: list[str | None] = [None] * n
    todo: list[int] = []
    kept = 0  # bytes kept for phase 1 (beyond a pool's worth, workers read the files themselves)
    for i, t in enumerate(tasks):
        if t.text is None:
            key, t.data = cache.key_and_bytes(t.path, t.role)
            keys[i] = key
            if key is not None and cache.has(key):
                results[i] = engine.unplain(cache.get_slim(key))
                t.data = None
                continue
            if t.data is not None:
                kept += len(t.data)
                if kept > engine.POOL_MIN_BYTES:
                    t.data = None
        todo.append(i)
    parse = [tasks[i] for i in todo]
    fresh = engine.run_phase1(parse, options, jobs, task_sizes(parse))
    for i, r in zip(todo, fresh, strict=True):
        results[i] = r
        full[i] = True
        k = keys[i]
        if k:
            cache.put(k, engine.plain(slim(r)), engine.plain(r))
    mark(f"phase 1 ({len(todo)} of {n} files parsed)")

    # partitions and their keys
    members: dict[str, list[int]] = {}  # partition -> task indices holding its objects
    obj_part: list[str | None] = []  # per object, in input order (slim and full records agree on it)
    for i, (objects, _f, _c) in enumerate(results):
        seen: set[str] = set()
        for o in objects:
            p = partition_of(o.body, o.partial)
            obj_part.append(p)
            if p is not None and p not in seen:
                seen.add(p)
                members.setdefault(p, []).append(i)
    part_key: dict[str, str] = {}
    everything = _digest([(t.display, keys[i] or "") for i, t in enumerate(tasks)])
    # the global partition (Flux objects) also depends on which directories exist (spec.path)
    mix = everything + cache_mod.directories_digest(options.repo_root) if GLOBAL in members else ""
    for p, idx in members.items():
        part_key[p] = "p" + _digest([(p, mix), *((tasks[i].display, keys[i] or "") for i in idx)])
    cached: dict[str, Any] = {}
    incremental = (
        partitionable(tasks, options)
        and all(k is not None for k in keys)
        and not any(o.body.get("kind") == "CustomResourceDefinition" for r in results for o in r.objects)
    )
    if incremental:
        for p, pk in part_key.items():
            got = cache.get_part(pk)
            if got is not None:
                cached[p] = got
    dirty = set(part_key) - set(cached)
    whole = not incremental or (GLOBAL in dirty)
    if whole:  # the whole input is checked again: nothing is reused
        cached, dirty = {}, set(part_key)
    need = range(n) if whole else sorted({i for p in dirty for i in members[p]})
    for i in need:
        if not full[i]:
            k = keys[i]
            assert k is not None
            stored = cache.get(k)
            got = engine.unplain(stored) if stored is not None else None
            if got is None:  # its stored copy is gone (compacted away by a concurrent run): parse again
                got = engine.run_phase1([tasks[i]], options, 1, [0])[0]
            results[i] = got
            full[i] = True
    mark(f"cache: {len(cached)} of {len(part_key)} partitions reused, {len(dirty)} to check")

    asm = engine.assemble(tasks, results)
    if whole:
        raw, phase2 = _phase2(tasks, asm, asm.raw, options, jobs, run=bool(dirty))
    else:  # the per-file schema findings are restored as stored: the operator's widened enums still apply
        from gitops_gen.lint.schema.flux_operator import drop_flux_operator_kinds

        raw = drop_flux_operator_kinds(asm.resources, asm.raw)
        phase2 = []
        if dirty:
            subset = [ri for ri, p in enumerate(obj_part) if p in dirty]
            phase2 = engine.run_phase2(tasks, asm, options, subset=subset, jobs=jobs)
    obj_pos: list[tuple[int, int]] = []  # per resource: (task index, index within the file)
    for ti, (objects, _f, _c) in enumerate(results):
        obj_pos.extend((ti, j) for j in range(len(objects)))
    assert len(obj_pos) == len(obj_part)
    mark("phase 2")
    if all(k is not None for k in keys):
        by_part: dict[str, list[Any]] = {p: [] for p in dirty}
        for ti, f in phase2:
            p = obj_part[f.resource]
            if p in by_part:
                oti, j = obj_pos[f.resource]
                by_part[p].append(
                    (
                        tasks[oti].display,
                        j,
                        ti,
                        f.rule,
                        f.severity,
                        f.line,
                        f.column,
                        f.message,
                        f.remediation,
                        f.path,
                    )
                )
        for p, found in by_part.items():
            cache.put_part(part_key[p], found)
        for p in cached:
            cache.used_parts.add(part_key[p])
    restored: list[tuple[int, RawFinding]] = []
    if cached:
        first_obj: dict[str, int] = {}  # display -> resource index of its first object
        base = 0
        for ti, (objects, _f, _c) in enumerate(results):
            first_obj[tasks[ti].display] = base
            base += len(objects)
        by_display = {t.display: ti for ti, t in enumerate(tasks)}
        for found in cached.values():
            for display, j, _ti, rid, sev, line, col, msg, rem, path in found:
                ri = first_obj[display] + j
                restored.append(
                    (by_display[display], RawFinding(rid, sev, line, col, ri, msg, rem, tuple(path)))
                )
    cache.save()
    cache.close()
    mark("cache saved")
    return asm, raw + restored + phase2


def _digest(items: list[tuple[str, str]]) -> str:
    return blake2b(repr(sorted(items)).encode(), digest_size=16).hexdigest()
