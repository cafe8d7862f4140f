"""The rule registry: an explicit table of rule modules, each checked against the rule protocol when
the registry is built (a malformed rule fails loudly, not silently at run time); id, default severity,
scope, kinds and documentation (`gitops-gen rules`).

Besides the rule modules, two engine-level rule ids exist: ``yaml`` (files that cannot be read as
YAML, or hold no Kubernetes object) and ``schema`` (a module like any other rule).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from typing import Protocol

from msgspec import Struct

from gitops_gen.k8s.model import Resource
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.lint.projection import Reads, check_reads

YAML_RULE_DOC = """Files must be readable YAML holding Kubernetes objects.

**What.** A file that cannot be decoded (binary, not UTF-8), is larger than the size limit, has a
YAML syntax error, a duplicate key, nesting deeper than the depth limit or an alias/anchor bomb:
error, at the line and column of the problem (the other documents of the file are still linted).
A document that is not a mapping, or has no ``apiVersion``/``kind``, in a file that otherwise holds
objects: warning. A YAML file with no Kubernetes object at all (CI configs, Helm values, ...): info,
and the file is skipped; an empty file: info.

**Why.** Flux's kustomize-controller fails the whole Kustomization on one unreadable document.

**What we chose.** Non-Kubernetes YAML is reported as *info*, not an error: real GitOps repositories
hold Helm values, Renovate and CI files next to manifests. Files that a ``kustomization.yaml`` lists
as generator inputs, replacement or configuration files are skipped silently, patches are read as
partial objects (not linted as resources).
"""


class ObjectRule(Protocol):
    """A rule module checked once per object (``SCOPE = "object"``)."""

    ID: str
    SEVERITY: str
    SCOPE: str

    def check(self, resource: Resource, ctx: Context, /) -> Iterator[Hit]: ...


class ClusterRule(Protocol):
    """A rule module checked once per run over the whole input (``SCOPE = "cluster"``)."""

    ID: str
    SEVERITY: str
    SCOPE: str

    def check(self, ctx: Context, /) -> Iterator[Hit]: ...


ObjectCheck = Callable[[Resource, Context], Iterator[Hit]]
ClusterCheck = Callable[[Context], Iterator[Hit]]


class Rule(Struct, frozen=True):
    """One lint rule as its module declares it."""

    id: str
    severity: Severity
    scope: str  # "object" | "cluster" | "file" (the engine's own ``yaml``)
    doc: str
    module: str
    local: bool = False  # object rule that reads only its object (results cacheable per file)
    kinds: frozenset[str] | None = None  # object rules: the kinds the engine gives it (None: all)
    # phase-2 rules: what they read of each kind's objects (``gitops_gen.lint.projection``)
    reads: Reads | None = None
    object_check: ObjectCheck | None = None
    cluster_check: ClusterCheck | None = None
    own_process: bool = False  # cluster rules: may run in a process beside the others (large inputs)

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""

    def applies_to(self, resource: Resource) -> bool:
        return self.kinds is None or resource.kind in self.kinds


def _table() -> tuple[list[ObjectRule], list[ClusterRule]]:
    """The registry table: every rule module, by scope. A new rule is a module plus a line here."""
    from gitops_gen.lint.rules import (
        alerting,
        backups,
        cel,
        cpu_budget,
        flux_refs,
        hpa,
        image,
        image_automation,
        ingress,
        memory_budget,
        monitoring,
        netpol,
        pdb,
        probes,
        resources,
        schema,
        secret_refs,
        secrets,
        security,
    )

    object_rules: list[ObjectRule] = [
        alerting,
        flux_refs,
        hpa,
        image,
        ingress,
        monitoring,
        netpol,
        pdb,
        probes,
        resources,
        schema,
        secrets,
        security,
        backups,  # day-2 (issue 16)
        image_automation,
        secret_refs,  # issue 11
        cel,
    ]
    cluster_rules: list[ClusterRule] = [cpu_budget, memory_budget]
    return object_rules, cluster_rules


class RuleDefinitionError(RuntimeError):
    """A rule module that does not follow the rule contract (docs/ARCHITECTURE.md): a bug, raised at import."""


def _make(module: ObjectRule | ClusterRule, scope: str) -> Rule:
    name = getattr(module, "__name__", repr(module))

    def bad(what: str) -> RuleDefinitionError:
        return RuleDefinitionError(f"lint rule module {name}: {what}")

    rid = getattr(module, "ID", None)
    if not isinstance(rid, str) or not rid or rid != rid.strip().lower():
        raise bad(f"ID must be a lower-case rule id, not {rid!r}")
    try:
        severity = Severity.parse(str(getattr(module, "SEVERITY", "")))
    except ValueError as exc:
        raise bad(str(exc)) from None
    if getattr(module, "SCOPE", None) != scope:
        raise bad(f"SCOPE is {getattr(module, 'SCOPE', None)!r} but the table lists it as a {scope} rule")
    check = getattr(module, "check", None)
    if not callable(check):
        raise bad("has no check() function")
    want = 2 if scope == "object" else 1
    if len(inspect.signature(check).parameters) != want:
        raise bad(f"check() of a{'n' if scope == 'object' else ''} {scope} rule takes {want} argument(s)")
    doc = inspect.getdoc(module) or ""
    if not doc.strip():
        raise bad("has no docstring (it is the rule's documentation)")
    kinds = getattr(module, "KINDS", None)
    if kinds is not None and (
        not isinstance(kinds, frozenset) or not kinds or not all(isinstance(k, str) for k in kinds)
    ):
        raise bad("KINDS must be a non-empty frozenset of kind names")
    local = getattr(module, "LOCAL", False)
    if not isinstance(local, bool) or (local and scope != "object"):
        raise bad("LOCAL must be a bool, and only object rules can be local")
    reads = getattr(module, "READS", None)
    if local and reads is not None:
        raise bad("READS is for the rules of phase 2: a local rule reads its whole object in phase 1")
    if not local:
        problem = check_reads(reads)
        if problem:
            raise bad(f"READS {problem} (what phase 2 keeps of each object: gitops_gen.lint.projection)")
    if scope == "object":
        return Rule(rid, severity, scope, doc, name, local, kinds, reads, object_check=check)
    if kinds is not None:
        raise bad("a cluster rule sees the whole input: KINDS does not apply")
    own = getattr(module, "OWN_PROCESS", False)
    if not isinstance(own, bool):
        raise bad("OWN_PROCESS must be a bool")
    return Rule(rid, severity, scope, doc, name, reads=reads, cluster_check=check, own_process=own)


def build(object_rules: list[ObjectRule], cluster_rules: list[ClusterRule]) -> dict[str, Rule]:
    """The registry of these rule modules (+ the engine's ``yaml``) by id, in id order; raises
    :class:`RuleDefinitionError` for a module that breaks the contract or an id defined twice."""
    found = [Rule("yaml", Severity.ERROR, "file", YAML_RULE_DOC, "gitops_gen.k8s.loader")]
    found += [_make(m, "object") for m in object_rules]
    found += [_make(m, "cluster") for m in cluster_rules]
    by_id: dict[str, Rule] = {}
    for r in found:
        if r.id in by_id:
            raise RuleDefinitionError(
                f"lint rule id {r.id!r} is defined twice ({by_id[r.id].module}, {r.module})"
            )
        by_id[r.id] = r
    return dict(sorted(by_id.items()))


_RULES = build(*_table())  # at import: a malformed rule module fails here, loudly


def rules() -> dict[str, Rule]:
    """All rules by id (the table's modules + the engine's ``yaml``), in id order."""
    return _RULES


def describe_rules(fmt: str = "text") -> str:
    """Documentation of every rule: id, default severity, scope and docstring."""
    all_rules = rules()
    if fmt == "json":
        return (
            json.dumps(
                [
                    {
                        "id": r.id,
                        "severity": str(r.severity),
                        "scope": r.scope,
                        "summary": r.summary,
                        "doc": r.doc,
                    }
                    for r in all_rules.values()
                ],
                indent=2,
            )
            + "\n"
        )
    out: list[str] = []
    if fmt == "markdown":
        out.append("# gitops-gen lint rules\n")
        out.append("| Rule | Severity | Scope | Summary |\n|---|---|---|---|")
        out.extend(
            f"| [`{r.id}`](#{r.id}) | {r.severity} | {r.scope} | {r.summary} |" for r in all_rules.values()
        )
        out.append("")
        for r in all_rules.values():
            out.append(
                f"## {r.id}\n\nDefault severity: **{r.severity}**; scope: {r.scope}.\n\n{r.doc.strip()}\n"
            )
        return "\n".join(out)
    for r in all_rules.values():
        out.append(f"{r.id}  [{r.severity}, {r.scope}]")
        out.extend("    " + line if line else "" for line in r.doc.strip().splitlines())
        out.append("")
    return "\n".join(out)
