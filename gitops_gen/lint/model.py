"""The objects every lint rule works with.

* :class:`Resource` — one Kubernetes object from a manifest file, known by ``Kind/namespace/name``
  and by where it starts (file, line, column). ``body`` is the plain parsed dict.
* :class:`Finding` — what the linter reports (rule, severity, place, message, remediation).
* :class:`Context` — the whole input for cross-object rules, with indexes (never all-pairs loops).

A rule module (``gitops_gen/lint/rules/<rule>.py``) has::

    ID = "probes"                 # stable rule id
    SEVERITY = "error"            # default severity: "error" | "warning" | "info"
    SCOPE = "object"              # "object": check(resource, ctx) per object; "cluster": check(ctx) once
    def check(...) -> Iterator[Hit]  # module docstring = the rule's documentation (`gitops-gen rules`)

and yields :class:`Hit`s; the engine turns them into Findings (adding the rule id, severity from
config, file/line/column — exact field positions recovered only for files that have findings).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any


class Severity(IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}; use error, warning or info") from None


FieldPath = tuple[str | int, ...]


@dataclass(slots=True)
class Resource:
    """One object of a manifest file."""

    body: dict[str, Any]
    file: str  # path as shown to the user (relative to the current directory when possible)
    line: int  # 1-based line where the object starts
    column: int = 1
    doc_index: int = 0  # index of the YAML document in the file
    partial: bool = False  # a kustomize patch: a partial object, not a resource

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


@dataclass(slots=True)
class Hit:
    """What a rule yields: the object, a message, a remediation, and optionally the field path."""

    resource: Resource
    message: str
    remediation: str
    path: FieldPath = ()
    severity: Severity | None = None  # override the rule's default (e.g. a warning-level variant)


@dataclass(slots=True)
class Finding:
    rule: str
    severity: Severity
    file: str
    line: int
    column: int
    resource: str
    message: str
    remediation: str
    path: FieldPath = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "resource": self.resource,
            "message": self.message,
            "remediation": self.remediation,
        }

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.column, self.rule, self.message)


@dataclass
class NodeSize:
    name: str
    cpu_millis: int
    memory_bytes: int


@dataclass
class LintOptions:
    """Settings that rules read (from flags, `.gitops-gen.yaml` and the platform spec)."""

    nodes: list[NodeSize] = field(default_factory=list)  # empty: budget rules have nothing to check
    repo_root: Path | None = None  # git repository root, for flux-refs path checks
    kubernetes_version: str = "1.34"
    platform: Any = None  # gitops_gen.spec.models.Platform when a platform spec is known
    # schema validation (rule `schema`)
    schema_dirs: list[Path] = field(default_factory=list)  # kubeconform-layout JSON schemas
    crd_dirs: list[Path] = field(default_factory=list)  # CRD manifests
    validator: str = "embedded"  # "embedded" | "kubeconform" (then the engine runs kubeconform)
    chart_dirs: tuple[str, ...] = ()  # --chart-dir NAME=DIR or DIR (budget rules; capacity.helm parses)


class Context:
    """All resources of one lint run, with indexes for cross-object rules."""

    def __init__(self, resources: list[Resource], options: LintOptions | None = None) -> None:
        self.resources = [r for r in resources if not r.partial]
        self.options = options or LintOptions()
        self.by_kind: dict[str, list[Resource]] = defaultdict(list)
        self.by_key: dict[tuple[str, str, str], Resource] = {}
        self.by_namespace_kind: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        for r in self.resources:
            self.by_kind[r.kind].append(r)
            self.by_key.setdefault((r.kind, r.namespace, r.name), r)
            self.by_namespace_kind[(r.namespace, r.kind)].append(r)
        self._cache: dict[str, Any] = {}

    def get(self, kind: str, namespace: str, name: str) -> Resource | None:
        return self.by_key.get((kind, namespace, name))

    def kinds(self, *kinds: str) -> list[Resource]:
        out: list[Resource] = []
        for k in kinds:
            out.extend(self.by_kind.get(k, ()))
        return out

    def in_namespace(self, namespace: str, *kinds: str) -> list[Resource]:
        out: list[Resource] = []
        for k in kinds:
            out.extend(self.by_namespace_kind.get((namespace, k), ()))
        return out

    def memo(self, key: str, factory: Any) -> Any:
        """Compute a derived index once per run (e.g. workloads by label selector)."""
        if key not in self._cache:
            self._cache[key] = factory()
        return self._cache[key]
