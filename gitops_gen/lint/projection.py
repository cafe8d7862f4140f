"""What phase 2 reads of each object: the projection phase 1 sends back instead of whole bodies.

Phase 1 (per file, in the pool) runs the local rules on whole objects. Phase 2 (main process) runs the
cross-object rules over every object of the input, so every object it needs is held at once: whole
bodies made memory grow with the sum of all files (issue 13 item 12, issue 15 item 1). Each reader of
phase 2 (a non-local rule's ``READS``, :data:`CORE_READS`, ``engine.ENGINE_READS``, the Flux Operator
detection) declares, per kind, the fields it reads; a worker returns each object *projected* to the
union of what phase 2 reads of its kind. The values kept equal the parser's, so the findings cannot
change as long as the declarations are complete: ``tests/test_projection.py`` records every path each
rule reads (and names a rule that reads one it does not declare), and runs phase 2 on whole and on
projected bodies over the fixtures, the examples, the public corpus and a bench corpus. A reader that needs more than it can declare (a field found by
its value) reads the object whole again from its file (``Resource.whole``).

A read is a dotted path from the object's root: ``spec.template.spec.containers.*.ports.*.name`` (``*``:
every item of a list). The value at a path is kept whole, below it nothing else; a key holding a dot
(an annotation name) cannot be named: name its map. A read may carry a *reducer*: a function of the
value at the path returning the smaller stand-in its reader gives the same answers on (a dashboard
ConfigMap's JSON is reduced to its ``"panels"`` mark). Lists keep their length (findings name items by
index), and a mapping that loses every key keeps its first key (with ``None``), so that emptiness tests
answer as on the whole body. Keys and short strings are interned and equal kept mappings and lists are
one object (:func:`shared_strings`, :func:`_same`): phase 2 reads bodies, it never changes them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from gitops_gen.k8s.workloads import POD_TEMPLATE_KINDS

Reducer = Callable[[Any], Any]
Read = str | tuple[str, Reducer]
Reads = Mapping[str, tuple[Read, ...]]  # kind ("*": every kind) -> what is read of it

ANY_KIND = "*"

#: what every phase-2 reader reads: each object's identity (``ObjectIndex``, ``Kind/namespace/name``); and
#: the kind a CRD of the input defines (``lint.run._recheck_with_input_crds`` validates the objects of such
#: a kind again, against the whole CRD, both read again from their files: ``Resource.whole``)
CORE_READS: Reads = {
    ANY_KIND: ("apiVersion", "kind", "metadata.name", "metadata.namespace"),
    "CustomResourceDefinition": ("spec.group", "spec.names.kind"),
}


def check_reads(reads: object) -> str:
    """What is wrong with a rule's ``READS`` ("" when nothing): a mapping of kind names to tuples of
    dotted paths (or ``(path, reducer)`` pairs)."""
    if not isinstance(reads, Mapping):
        return "must be a mapping of kind names to the paths read of that kind"
    for kind, declared in reads.items():
        if not isinstance(kind, str) or not kind or not isinstance(declared, tuple):
            return f"entry {kind!r}: a kind name mapped to a tuple of paths"
        for read in declared:
            path = read if isinstance(read, str) else read[0] if isinstance(read, tuple) else None
            if not isinstance(path, str) or not all(path.split(".")):
                return f"entry {kind!r}: {read!r} is not a dotted path"
            if isinstance(read, tuple) and (len(read) != 2 or not callable(read[1])):
                return f"entry {kind!r}: {read!r} is not a (path, reducer) pair"
    return ""


def merge(*reads: Reads) -> dict[str, tuple[Read, ...]]:
    """The union of several readers' ``READS``."""
    out: dict[str, tuple[Read, ...]] = {}
    for r in reads:
        for kind, declared in r.items():
            out[kind] = out.get(kind, ()) + tuple(x for x in declared if x not in out.get(kind, ()))
    return out


def pod_template(*paths: str, kinds: Iterable[str] = POD_TEMPLATE_KINDS) -> dict[str, tuple[Read, ...]]:
    """Reads of the pod template of each workload kind, ``paths`` relative to the template
    (``metadata.labels``, ``spec.containers.*.ports``): under ``spec.template`` of a Deployment,
    ``spec.jobTemplate.spec.template`` of a CronJob, the object itself for a Pod
    (``gitops_gen.k8s.workloads.template_path``)."""
    out: dict[str, tuple[Read, ...]] = {}
    for kind in sorted(kinds):
        base = (
            ""
            if kind == "Pod"
            else "spec.jobTemplate.spec.template."
            if kind == "CronJob"
            else "spec.template."
        )
        out[kind] = tuple(base + p for p in paths)
    return out


class _Node:
    """One step of the read paths: ``whole`` keeps the value as is; ``reduce`` maps it; else ``keys``.
    ``steps``: ``keys`` for :func:`_keep`, each key interned and each child's way of keeping (built by
    :meth:`Projection.__init__` once the paths are all added)."""

    __slots__ = ("keys", "reduce", "steps", "whole")

    def __init__(self) -> None:
        self.keys: dict[str, _Node] = {}
        self.whole = False
        self.reduce: Reducer | None = None
        self.steps: dict[str, tuple[str, _Node | None]] = {}

    def seal(self) -> None:
        """Fill ``steps`` below this node: a child kept whole (its values shared as they are) is ``None``."""
        self.steps = {k: (sys.intern(k), None if child.whole else child) for k, child in self.keys.items()}
        for child in self.keys.values():
            child.seal()


def _add(root: _Node, read: Read) -> None:
    path, reducer = (read, None) if isinstance(read, str) else read
    node = root
    for part in path.split("."):
        node = node.keys.setdefault(part, _Node())
    if reducer is None:
        node.whole = True
    elif node.reduce is None:
        node.reduce = reducer
    elif node.reduce is not reducer:  # two readers reduce it differently: keep it whole
        node.whole = True


class Projection:
    """The union of ``reads`` per kind, applied to object bodies by :meth:`project`."""

    def __init__(self, reads: Iterable[Reads]) -> None:
        every = list(reads)
        anywhere = [read for r in every for read in r.get(ANY_KIND, ())]
        self.anywhere = _Node()
        self.kinds: dict[str, _Node] = {}
        for read in anywhere:
            _add(self.anywhere, read)
        for r in every:
            for kind, declared in r.items():
                if kind not in self.kinds and kind != ANY_KIND:
                    self.kinds[kind] = _Node()
                    for read in anywhere:
                        _add(self.kinds[kind], read)
                for read in declared if kind != ANY_KIND else ():
                    _add(self.kinds[kind], read)
        self.anywhere.seal()
        for node in self.kinds.values():
            node.seal()

    def covers(self, kind: str, path: tuple[str, ...], entire: bool = False) -> bool:
        """Whether a read of ``path`` (``*``: an item of a list) in a ``kind`` object sees in the projection
        what it sees in the whole body: the path is declared, or lies below a value kept whole (or
        reduced). ``entire``: the read takes in everything below the path (iterates a mapping, compares
        it), which only a value kept whole gives."""
        node = self.kinds.get(kind, self.anywhere)
        for part in path:
            if node.whole or node.reduce is not None:
                return True
            found = node.keys.get(part)
            if found is None:
                return False
            node = found
        return node.whole or node.reduce is not None or not entire

    def project(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` cut to what phase 2 reads of its kind, keys and short strings interned."""
        kind = body.get("kind")
        node = self.kinds.get(kind, self.anywhere) if isinstance(kind, str) else self.anywhere
        out = _keep(body, node, 0)
        assert isinstance(out, dict)
        return out


_MAX_DEPTH = 400  # the parser refuses deeper documents; below, the recursion is safe

#: strings up to this length are shared (interned) in the bodies phase 2 keeps: keys, names, labels,
#: image tags, quantities repeat across objects; longer strings rarely do
SHARED_MAX_CHARS = 64


def shared_strings(node: Any, depth: int = 0) -> Any:
    """``node`` with every key and short string value interned (equal values, one object each).

    The main process keeps something of every object for the cross-object rules (issue 13 item 12): a
    YAML parser makes a new string per occurrence, so ``name``, ``metadata``, ``app``, ``100m`` are
    stored once per object. Interned, they are stored once, and ``marshal`` (the pool's replies, the
    cache's records) writes them once per file and loads them shared. The values are equal: findings
    cannot change.
    """
    t = type(node)
    if t is str:
        return _intern(node) if len(node) <= SHARED_MAX_CHARS else node
    if t in _LEAVES or depth > _MAX_DEPTH:
        return node
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if type(k) is str:
                k = _intern(k)
            tv = type(v)
            if tv is str:
                out[k] = _intern(v) if len(v) <= SHARED_MAX_CHARS else v
            elif tv in _LEAVES:
                out[k] = v
            else:
                out[k] = shared_strings(v, depth + 1)
        return out
    if isinstance(node, list):
        return [shared_strings(v, depth + 1) for v in node]
    return node


_intern = sys.intern
#: values kept as they are (no strings inside); ``type(v) in _LEAVES``: ``True`` is a ``bool``, not an ``int``
_LEAVES = frozenset((int, float, bool, type(None)))


_SCALAR_TYPES = _LEAVES | {str}
#: kept mappings and lists by content (phase 2 never changes a body): equal ones, one object
_SAME: dict[tuple[Any, ...], Any] = {}
_SAME_MAX = 10_000  # entries before the memo starts again (its keys cost memory too)


def _same(value: dict[str, Any] | list[Any]) -> Any:
    """``value``, or an equal mapping/list kept before (``strategy``, ``resources``, ports and metrics
    recur across objects). Values are told apart by type (``True`` is not ``1``); kept containers are
    unique by content, so their identity stands for their content."""
    if type(value) is dict:
        key = (
            dict,
            *[(k, v.__class__, v if v.__class__ in _SCALAR_TYPES else id(v)) for k, v in value.items()],
        )
    else:
        key = (list, *[(v.__class__, v if v.__class__ in _SCALAR_TYPES else id(v)) for v in value])
    found = _SAME.get(key)
    if found is not None:
        return found
    if len(_SAME) >= _SAME_MAX:
        _SAME.clear()
    _SAME[key] = value
    return value


def forget() -> None:
    """Drop the memo of kept mappings (end of a batch of files: what was kept stays shared)."""
    _SAME.clear()


def _keep(value: Any, node: _Node, depth: int) -> Any:
    if node.whole or depth > _MAX_DEPTH:
        return shared_strings(value, depth)
    if node.reduce is not None:  # kept whole when another reader reads below it
        return shared_strings(node.reduce(value) if not node.keys else value, depth)
    if isinstance(value, dict):
        steps = node.steps
        out = {}
        for k, v in value.items():
            step = steps.get(k) if type(k) is str else None
            if step is None:
                continue
            key, child = step
            if child is not None:
                out[key] = _keep(v, child, depth + 1)
            elif type(v) is str:
                out[key] = _intern(v) if len(v) <= SHARED_MAX_CHARS else v
            elif type(v) in _LEAVES:
                out[key] = v
            else:
                out[key] = shared_strings(v, depth + 1)
        if not out and value:  # empty only where the object's own value is (one shared stand-in per key)
            first = next(iter(value))
            if type(first) is not str:
                return {first: None}
            stand_in = _STAND_INS.get(first)
            if stand_in is None:
                stand_in = _STAND_INS[first] = {sys.intern(first): None}
            return stand_in
        return _same(out) if depth > 1 else out  # an object and its metadata are its own
    if isinstance(value, list):
        item = node.keys.get("*", _EMPTY)
        return _same([_keep(v, item, depth + 1) for v in value])
    return _intern(value) if type(value) is str and len(value) <= SHARED_MAX_CHARS else value


_EMPTY = _Node()
#: ``{key: None}`` per key: the stand-in of a mapping none of whose keys is read (read-only, shared)
_STAND_INS: dict[str, dict[str, None]] = {}
