"""What the cluster view is made of: built objects that remember their source, and problems."""

from __future__ import annotations

from typing import Any

from msgspec import Struct, field

from gitops_gen.k8s.model import Resource


class Origin(Struct):
    """Where a built object was written: its file (absolute, normalized) and its document."""

    file: str
    line: int
    column: int
    doc_index: int = 0
    start: int = 0  # 0-based line index where its YAML document starts
    end: int = 0  # ... and ends (exclusive)
    prefix: tuple[Any, ...] = ()  # ("items", i) for an item of a List


class FieldSource(Struct, frozen=True):
    """Where a patch sets a field: at ``path`` of the YAML document ``file[start:end]``; for a patch
    written inline (``patch: |``), ``path`` is the block holding its text and ``inner`` the field's path
    in the patch's document ``[inner_start, inner_end)`` of that text."""

    file: str
    start: int
    end: int
    path: tuple[Any, ...]
    inner: tuple[Any, ...] | None = None
    inner_start: int = 0
    inner_end: int = 0


class Obj(Struct):
    """One object of a build: the body as transformed so far, its origin and its first id."""

    body: dict[str, Any]
    origin: Origin
    orig_name: str = ""
    orig_namespace: str = ""
    needs_hash: bool = False  # a generated ConfigMap/Secret whose name gets the content hash
    fields: dict[tuple[Any, ...], FieldSource] = field(default_factory=dict)  # set by a patch: where

    def resource(self, file: str | None = None) -> Resource:
        o = self.origin
        return Resource(self.body, file if file is not None else o.file, o.line, o.column, o.doc_index)

    @property
    def kind(self) -> str:
        v = self.body.get("kind")
        return v if isinstance(v, str) else ""

    @property
    def api_version(self) -> str:
        v = self.body.get("apiVersion")
        return v if isinstance(v, str) else ""

    @property
    def meta(self) -> dict[str, Any]:
        m = self.body.get("metadata")
        if not isinstance(m, dict):
            m = {}
            self.body["metadata"] = m
        return m

    @property
    def name(self) -> str:
        v = self.meta.get("name")
        return v if isinstance(v, str) else ""

    @property
    def namespace(self) -> str:
        v = self.meta.get("namespace")
        return v if isinstance(v, str) else ""


class Problem(Struct):
    """Something the view could not follow, at a place the user can edit."""

    severity: str  # "error" | "warning" | "info"
    file: str
    line: int
    column: int
    message: str
    hint: str = ""
    rule: str = "flux-build"


class KustomizationInfo(Struct):
    """One Flux Kustomization the view followed (or not), for reports."""

    namespace: str
    name: str
    path: str  # spec.path as written
    origin: Origin | None
    objects: int = 0
    followed: bool = True
    reason: str = ""  # why not followed / why it failed


class ClusterView(Struct):
    """What one cluster applies, as far as this repository decides it."""

    name: str
    entry: str  # the file or directory the view started from
    objects: list[Obj] = field(default_factory=list)
    kustomizations: list[KustomizationInfo] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: set[str] = field(default_factory=set)  # every file the builds read (absolute, normalized)
