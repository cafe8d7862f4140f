"""The objects every lint rule works with.

* :class:`Finding` — what the linter reports (rule, severity, place, message, remediation).
* :class:`Context` — the whole input for cross-object rules: the :class:`~gitops_gen.k8s.model.ObjectIndex`
  of the run's objects (never all-pairs loops) and the run's options.

A rule module (``gitops_gen/lint/rules/<rule>.py``) has::

    ID = "probes"                 # stable rule id
    SEVERITY = "error"            # default severity: "error" | "warning" | "info"
    SCOPE = "object"              # "object": check(resource, ctx) per object; "cluster": check(ctx) once
    def check(...) -> Iterator[Hit]  # module docstring = the rule's documentation (`gitops-gen rules`)

and yields :class:`Hit`s; the engine turns them into Findings (adding the rule id, severity from
config, file/line/column — exact field positions recovered only for files that have findings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from gitops_gen.k8s.model import FieldPath, ObjectIndex, Resource

if TYPE_CHECKING:  # imported only when a run has nodes (keeps one-file lint start-up small)
    from gitops_gen.capacity.nodes import Cluster
    from gitops_gen.spec.facts import PlatformFacts


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


class Hit(Struct):
    """What a rule yields: the object, a message, a remediation, and optionally the field path."""

    resource: Resource
    message: str
    remediation: str
    path: FieldPath = ()
    severity: Severity | None = None  # override the rule's default (e.g. a warning-level variant)


class SpecLocation(Struct, frozen=True):
    """Where in a gitops-gen spec the value of a rendered object's field is set."""

    file: str
    line: int
    column: int
    key: str  # "spec.autoscaling.maxReplicas"
    exists: bool = True  # False: the spec leaves it to a default (line/column of its nearest ancestor)

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "path": self.key}


class Finding(Struct):
    """One problem found, at file, line and column, with its rule, severity and remediation."""

    rule: str
    severity: Severity
    file: str
    line: int
    column: int
    resource: str
    message: str
    remediation: str
    path: FieldPath = ()
    cluster: str = ""  # the cluster whose view the object came from ("" in plain file mode)
    spec: SpecLocation | None = None  # on a rendered object: the spec key that set the value

    def to_json(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"cluster": self.cluster} if self.cluster else {}
        if self.spec is not None:
            extra["spec"] = self.spec.to_json()
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "resource": self.resource,
            "message": self.message,
            "remediation": self.remediation,
            **extra,
        }

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        return (self.file, self.line, self.column, self.rule, self.message, self.cluster)


class LintOptions(Struct):
    """Settings that rules read (from flags, `.gitops-gen.yaml` and the platform spec)."""

    cluster: Cluster | None = None  # the nodes; None: the budget rules have nothing to check
    repo_root: Path | None = None  # git repository root, for flux-refs path checks
    kubernetes_version: str = "1.34"
    platform: PlatformFacts | None = None  # when a platform spec is known
    # schema validation (rule `schema`)
    schema_dirs: list[Path] = field(default_factory=list)  # kubeconform-layout JSON schemas
    crd_dirs: list[Path] = field(default_factory=list)  # CRD manifests
    validator: str = "embedded"  # "embedded" | "kubeconform" (then the engine runs kubeconform)
    chart_dirs: tuple[str, ...] = ()  # --chart-dir NAME=DIR or DIR (budget rules; capacity.helm parses)
    # ``diff``: per workload (capacity.budget.workload_key) the (CPU, memory, pods) its base requested,
    # so that an overflow is blamed on what the change grew
    capacity_baseline: Mapping[str, tuple[int, int, int]] | None = None


class Context(ObjectIndex):
    """All resources of one lint run, with indexes for cross-object rules, and the run's options."""

    def __init__(self, resources: Iterable[Resource], options: LintOptions | None = None) -> None:
        super().__init__(resources)
        self.options = options or LintOptions()
