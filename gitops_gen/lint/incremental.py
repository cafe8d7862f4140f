"""A lint run with the on-disk cache: phase 1 per file *and* phase 2 per partition, reused.

Phase 1 (parse + local rules) is cached per file by content hash (:mod:`gitops_gen.lint.cache`).
Phase 2 (the cross-object rules) is cached per *partition*:

* one partition per namespace ``N``: the namespaced objects of ``N`` that are not Flux objects, plus
  the ``Namespace`` object named ``N``;
* one ``global`` partition: everything else (cluster-scoped objects, objects without a namespace,
  Flux objects, whose references cross namespaces).

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

import hashlib
from typing import Any

from gitops_gen.lint import engine
from gitops_gen.lint.engine import IGNORE_ANNOTATION, Assembled, FileResult, RawFinding, Task
from gitops_gen.lint.model import LintOptions

GLOBAL = "\0global"
_FLUX = "fluxcd.io"
# cluster rules that yield nothing without node sizes or a platform spec (they return at once)
_INERT_WITHOUT_NODES = frozenset({"cpu-budget", "memory-budget"})


def slim(result: FileResult) -> FileResult:
    """``result`` with each object body cut to apiVersion, kind, name, namespace, ignore annotation."""
    objects, findings, counted = result
    out = []
    for o in objects:
        body = o[0]
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
        out.append((stub, *o[1:]))
    return out, findings, counted


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
    if group.endswith(_FLUX):
        return GLOBAL
    return ns


def partitionable(tasks: list[Task], options: LintOptions) -> bool:
    from gitops_gen.lint.registry import rules

    if options.validator == "kubeconform" or any(t.text is not None for t in tasks):
        return False
    if len({t.display for t in tasks}) != len(tasks):
        return False
    for rule in rules().values():
        if (
            rule.check is not None
            and rule.scope == "cluster"
            and (rule.id not in _INERT_WITHOUT_NODES or options.cluster is not None)
        ):
            return False
    return True


def run_cached(
    tasks: list[Task], options: LintOptions, jobs: int | None, cache: Any, mark: Any
) -> tuple[Assembled, list[tuple[int, RawFinding]]]:
    """Phases 1 and 2 with ``cache``: the assembled input and every raw finding (before finalize)."""
    n = len(tasks)
    results: list[Any] = [None] * n
    full = [False] * n  # results[i] holds bodies (fresh, or loaded in full)
    keys: list[str | None] = [None] * n
    todo: list[int] = []
    kept = 0  # bytes kept for phase 1 (beyond a pool's worth, workers read the files themselves)
    for i, t in enumerate(tasks):
        if t.text is None:
            key, t.data = cache.key_and_bytes(t.path, t.role)
            keys[i] = key
            if key is not None and cache.has(key):
                results[i] = cache.get_slim(key)
                t.data = None
                continue
            if t.data is not None:
                kept += len(t.data)
                if kept > engine.POOL_MIN_BYTES:
                    t.data = None
        todo.append(i)
    from gitops_gen.lint.api import task_sizes

    parse = [tasks[i] for i in todo]
    fresh = engine.run_phase1(parse, options, jobs, task_sizes(parse))
    for i, r in zip(todo, fresh, strict=True):
        results[i] = r
        full[i] = True
        k = keys[i]
        if k:
            cache.put(k, slim(r), r)
    mark(f"phase 1 ({len(todo)} of {n} files parsed)")

    # partitions and their keys
    members: dict[str, list[int]] = {}  # partition -> task indices holding its objects
    obj_part: list[str | None] = []  # per object, in input order (slim and full records agree on it)
    for i, (objects, _f, _c) in enumerate(results):
        seen: set[str] = set()
        for o in objects:
            p = partition_of(o[0], o[4])
            obj_part.append(p)
            if p is not None and p not in seen:
                seen.add(p)
                members.setdefault(p, []).append(i)
    part_key: dict[str, str] = {}
    everything = _digest([(t.display, keys[i] or "") for i, t in enumerate(tasks)])
    mix = everything if GLOBAL in members else ""
    for p, idx in members.items():
        part_key[p] = "p" + _digest([(p, mix), *((tasks[i].display, keys[i] or "") for i in idx)])
    cached: dict[str, Any] = {}
    incremental = (
        partitionable(tasks, options)
        and all(k is not None for k in keys)
        and not any(o[0].get("kind") == "CustomResourceDefinition" for r in results for o in r[0])
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
            got = cache.get(k)
            if got is None:  # its stored copy is gone (compacted away by a concurrent run): parse again
                got = engine.run_phase1([tasks[i]], options, 1, [0])[0]
            results[i] = got
            full[i] = True
    mark(f"cache: {len(cached)} of {len(part_key)} partitions reused, {len(dirty)} to check")

    asm = engine.assemble(tasks, results)
    raw = asm.raw
    extra: list[tuple[str, Any]] = []
    if whole:
        from gitops_gen.lint.api import whole_input_schema

        raw, extra = whole_input_schema(tasks, asm, raw, options)
    obj_pos: list[tuple[int, int]] = []  # per resource: (task index, index within the file)
    for ti, (objects, _f, _c) in enumerate(results):
        obj_pos.extend((ti, j) for j in range(len(objects)))
    assert len(obj_pos) == len(obj_part)
    if dirty:
        subset = None if whole else [ri for ri, p in enumerate(obj_part) if p in dirty]
        phase2 = engine.run_phase2(tasks, asm, options, extra, subset=subset)
    else:
        phase2 = []
    mark("phase 2")
    if all(k is not None for k in keys):
        by_part: dict[str, list[Any]] = {p: [] for p in dirty}
        for ti, f in phase2:
            p = obj_part[f[4]]
            if p in by_part:
                oti, j = obj_pos[f[4]]
                by_part[p].append((tasks[oti].display, j, ti, *f[:4], *f[5:]))
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
                restored.append((by_display[display], (rid, sev, line, col, ri, msg, rem, tuple(path))))
    cache.save()
    cache.close()
    mark("cache saved")
    return asm, raw + restored + phase2


def _digest(items: list[tuple[str, str]]) -> str:
    return hashlib.blake2b(repr(sorted(items)).encode(), digest_size=16).hexdigest()
