"""Kubernetes objects as every part of gitops-gen reads them.

* :class:`Resource` — one object of a manifest file, known by ``Kind/namespace/name`` and by where it
  starts (file, line, column). ``body`` is the plain parsed dict (in lint's phase 2, what the rules
  read of it; :attr:`Resource.whole` is all of it).
* :class:`ObjectIndex` — a set of objects with indexes by kind, by key and by namespace (the only
  place where lookups tolerate a missing namespace).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from msgspec import Struct

T = TypeVar("T")

FieldPath = tuple[str | int, ...]


class Resource(Struct):
    """One object of a manifest file."""

    body: dict[str, Any]
    file: str  # path as shown to the user (relative to the current directory when possible)
    line: int  # 1-based line where the object starts
    column: int = 1
    doc_index: int = 0  # index of the YAML document in the file
    partial: bool = False  # a kustomize patch: a partial object, not a resource
    #: set when ``body`` holds only what the cross-object lint rules read of it (lint's phase 1 cuts each
    #: object to that): reads the whole body again from the file (see :attr:`whole`)
    reread: Callable[[Resource], dict[str, Any]] | None = None

    @property
    def whole(self) -> dict[str, Any]:
        """The whole body, for the rare reader that needs more than ``body`` may hold (a field found
        by its value, the values a HelmRelease takes from a ConfigMap)."""
        return self.body if self.reread is None else self.reread(self)

    @property
    def api_version(self) -> str:
        v = self.body.get("apiVersion")
        return v if isinstance(v, str) else ""

    @property
    def kind(self) -> str:
        v = self.body.get("kind")
        return v if isinstance(v, str) else ""

    @property
    def metadata(self) -> dict[str, Any]:
        m = self.body.get("metadata")
        return m if isinstance(m, dict) else {}

    @property
    def name(self) -> str:
        v = self.metadata.get("name")
        return v if isinstance(v, str) else ""

    @property
    def namespace(self) -> str:
        v = self.metadata.get("namespace")
        return v if isinstance(v, str) else ""

    @property
    def group(self) -> str:
        return self.api_version.rsplit("/", 1)[0] if "/" in self.api_version else ""

    @property
    def ref(self) -> str:
        """``Kind/namespace/name`` (``Kind/name`` for cluster-scoped or namespace-less objects)."""
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"

    @property
    def labels(self) -> dict[str, str]:
        v = self.metadata.get("labels")
        return {str(k): str(x) for k, x in v.items()} if isinstance(v, dict) else {}

    @property
    def annotations(self) -> dict[str, str]:
        v = self.metadata.get("annotations")
        return {str(k): str(x) for k, x in v.items()} if isinstance(v, dict) else {}


class ObjectIndex:
    """Objects of one input (kustomize patches left out), indexed by kind, key and namespace."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources = [r for r in resources if not r.partial]
        self.by_kind: dict[str, list[Resource]] = defaultdict(list)
        self.by_key: dict[tuple[str, str, str], Resource] = {}
        self.by_namespace_kind: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        for r in self.resources:
            kind, namespace = r.kind, r.namespace
            self.by_kind[kind].append(r)
            self.by_key.setdefault((kind, namespace, r.name), r)
            self.by_namespace_kind[(namespace, kind)].append(r)
        self._memo: dict[str, object] = {}

    def get(self, kind: str, namespace: str, name: str) -> Resource | None:
        return self.by_key.get((kind, namespace, name))

    def kinds(self, *kinds: str) -> list[Resource]:
        out: list[Resource] = []
        for k in kinds:
            out.extend(self.by_kind.get(k, ()))
        return out

    def of_kinds(self, kinds: Iterable[str] | None) -> list[Resource]:
        """The objects of ``kinds`` (None: all), in input order whatever the order of ``kinds``."""
        if kinds is None:
            return self.resources
        lists = [got for k in kinds if (got := self.by_kind.get(k))]
        if len(lists) == 1:
            return lists[0]
        position = self.memo("k8s.position", lambda: {id(r): i for i, r in enumerate(self.resources)})
        return sorted((r for got in lists for r in got), key=lambda r: position[id(r)])

    def in_namespace(self, namespace: str, *kinds: str) -> list[Resource]:
        out: list[Resource] = []
        for k in kinds:
            out.extend(self.by_namespace_kind.get((namespace, k), ()))
        return out

    def memo(self, key: str, factory: Callable[[], T]) -> T:
        """Compute a derived index once per index (e.g. workloads by label selector)."""
        if key not in self._memo:
            self._memo[key] = factory()
        return self._memo[key]  # type: ignore[return-value]  # one factory type per key

    def find(
        self, kinds: str | Iterable[str], namespace: str, name: str, group: str | None = None
    ) -> Resource | None:
        """Look an object up by kind(s), namespace and name, leniently about unknown namespaces.

        Manifests often leave ``metadata.namespace`` to a kustomization (``namespace: apps``) or to
        ``kubectl -n``. So an object without a namespace matches any namespace, and a reference
        from an object without a namespace (``namespace == ""``) matches the name in any namespace.
        ``group`` (e.g. ``"toolkit.fluxcd.io"``) keeps same-named kinds of other API groups apart.
        """
        kind_list = [kinds] if isinstance(kinds, str) else list(kinds)
        for kind in kind_list:
            hit = self.get(kind, namespace, name)
            if hit is not None and (group is None or hit.group.endswith(group)):
                return hit
        by_name = self.memo("k8s.by_name", self._by_name)
        for kind in kind_list:
            for r in by_name.get((kind, name), ()):
                if group is not None and not r.group.endswith(group):
                    continue
                if r.namespace == namespace or not namespace or not r.namespace:
                    return r
        return None

    def _by_name(self) -> dict[tuple[str, str], list[Resource]]:
        out: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        for r in self.resources:
            out[(r.kind, r.name)].append(r)
        return out
