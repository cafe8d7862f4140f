"""Shared helpers of the rule tests (tests/test_rules_*.py).

The rule tests build :class:`Resource` objects from the fixture files under
``tests/fixtures/rules/<rule>/`` and run one rule module through a :class:`Context`, as the
engine does, so each test exercises one rule in isolation.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from gitops_gen.k8s.loader import parse_text
from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.lint.model import Context, Hit, LintOptions, Severity
from gitops_gen.lint.registry import rules

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
RULE_IDS = (
    "resources",
    "probes",
    "pdb",
    "hpa",
    "image",
    "security",
    "secrets",
    "flux-refs",
    "ingress",
    "netpol",
    "monitoring",
    "alerting",
    "secret-refs",
    "cel",
)


def module(rule_id: str) -> ModuleType:
    return importlib.import_module("gitops_gen.lint.rules." + rule_id.replace("-", "_"))


def resources_of(text: str, file: str = "test.yaml") -> list[Resource]:
    parsed = parse_text(text)
    return [
        Resource(d.body, file, d.line, d.column, d.index)
        for d in parsed.documents
        if isinstance(d.body, dict) and isinstance(d.body.get("kind"), str)
    ]


def load(*paths: Path) -> list[Resource]:
    out: list[Resource] = []
    for p in paths:
        out.extend(resources_of(p.read_text(encoding="utf-8"), str(p)))
    return out


@dataclass(frozen=True)
class F:
    rule: str
    severity: Severity
    ref: str
    message: str
    path: FieldPath
    remediation: str


def run(rule_id: str, resources: list[Resource], options: LintOptions | None = None) -> list[F]:
    rule = rules()[rule_id]  # as the engine runs it: only on the kinds the rule declares
    ctx = Context(resources, options)
    out: list[F] = []
    hits: list[Hit] = []
    if rule.cluster_check is not None:
        hits.extend(rule.cluster_check(ctx))
    else:
        assert rule.object_check is not None
        for r in ctx.resources:
            if rule.applies_to(r):
                hits.extend(rule.object_check(r, ctx))
    for h in hits:
        assert isinstance(h, Hit)
        sev = h.severity if h.severity is not None else rule.severity
        out.append(F(rule.id, sev, h.resource.ref, h.message, tuple(h.path), h.remediation))
    return out


def fixture(rule_id: str, name: str, options: LintOptions | None = None) -> list[F]:
    return run(rule_id, load(FIXTURES / rule_id / name), options)


def only(findings: list[F], *, contains: str) -> F:
    """The one finding whose message contains ``contains``."""
    hits = [f for f in findings if contains in f.message]
    assert len(hits) == 1, f"expected one finding with {contains!r}, got {findings}"
    return hits[0]


def errors(findings: list[F]) -> list[F]:
    return [f for f in findings if f.severity == Severity.ERROR]
