"""Shared helpers for the rule tests, and the tests every rule module must pass.

The rule tests build :class:`Resource` objects from the fixture files under
``tests/fixtures/rules/<rule>/`` and run one rule module through a :class:`Context`, as the
engine does, so each test exercises one rule in isolation.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from gitops_gen.k8s.loader import parse_text
from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.lint.model import Context, Hit, LintOptions, Severity

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
    mod = module(rule_id)
    ctx = Context(resources, options)
    out: list[F] = []
    hits: list[Hit] = []
    if mod.SCOPE == "cluster":
        hits.extend(mod.check(ctx))
    else:
        for r in ctx.resources:
            hits.extend(mod.check(r, ctx))
    for h in hits:
        assert isinstance(h, Hit)
        sev = h.severity if h.severity is not None else Severity.parse(mod.SEVERITY)
        out.append(F(mod.ID, sev, h.resource.ref, h.message, tuple(h.path), h.remediation))
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


# ------------------------------------------------------------------------ every rule module


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_module_contract(rule_id: str) -> None:
    mod = module(rule_id)
    assert rule_id == mod.ID
    assert mod.__name__.rsplit(".", 1)[1] == rule_id.replace("-", "_")
    Severity.parse(mod.SEVERITY)
    assert mod.SCOPE in ("object", "cluster")
    doc = mod.__doc__ or ""
    assert "**What we chose.**" in doc and "**Why.**" in doc, "the docstring documents the decision"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_a_bad_and_a_good_fixture(rule_id: str) -> None:
    folder = FIXTURES / rule_id
    bad = sorted(folder.glob("bad*.yaml"))
    good = sorted(folder.glob("good*.yaml"))
    assert bad and good
    for path in bad:
        found = run(rule_id, load(path), LintOptions(repo_root=folder))
        assert found, f"{path.name} must trigger {rule_id}"
        assert all(f.remediation.strip() for f in found)
        assert all(f.rule == rule_id for f in found)
    for path in good:
        assert run(rule_id, load(path), LintOptions(repo_root=folder)) == [], path.name


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_good_fixtures_of_other_rules_give_no_errors_here(rule_id: str) -> None:
    """A correct object for one rule must not be an error for another (e.g. cross-object rules)."""
    for path in sorted(FIXTURES.glob("*/good*.yaml")):
        if rule_id in ("resources", "probes", "security") and path.parent.name != rule_id:
            continue  # other fixtures deliberately leave out unrelated fields
        found = errors(run(rule_id, load(path), LintOptions(repo_root=path.parent)))
        assert found == [], f"{rule_id} on {path}: {found}"


def test_docs_rules_md_matches_the_docstrings() -> None:
    """docs/rules.md carries each rule's docstring verbatim (regenerate it when a docstring changes)."""
    import inspect

    text = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule_id in RULE_IDS:
        doc = inspect.getdoc(module(rule_id)) or ""
        assert f"## {rule_id}\n" in text and doc.strip() in text, f"docs/rules.md is stale for {rule_id}"


ODD_BODIES: list[Any] = [
    {"apiVersion": "apps/v1", "kind": "Deployment"},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": None, "spec": None},
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": 3, "namespace": ["x"]},
        "spec": {"replicas": "three", "selector": "app=web", "template": {"spec": {"containers": None}}},
    },
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {
            "template": {
                "metadata": {"labels": [1]},
                "spec": {
                    "containers": [
                        "nginx",
                        None,
                        3,
                        {
                            "name": None,
                            "image": 5,
                            "resources": "big",
                            "ports": "80",
                            "env": {"A": "b"},
                            "livenessProbe": {"httpGet": {"port": None}},
                            "readinessProbe": {"tcpSocket": "80"},
                            "securityContext": {"runAsUser": "0"},
                        },
                    ],
                    "initContainers": {"a": 1},
                    "securityContext": "root",
                },
            }
        },
    },
    {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "a",
                            "resources": {"requests": {"cpu": [], "memory": {}}, "limits": {"memory": True}},
                            "livenessProbe": {"exec": {"command": "true"}, "failureThreshold": "x"},
                            "readinessProbe": {"exec": {"command": "true"}},
                            "ports": [{"containerPort": "http", "name": 8080}, None],
                        }
                    ]
                }
            }
        },
    },
    {"apiVersion": "batch/v1", "kind": "CronJob", "spec": {"jobTemplate": [1]}},
    {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "spec": {"selector": {"matchLabels": "x"}, "minAvailable": "fifty"},
    },
    {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "spec": {
            "selector": {"matchExpressions": [{"key": "a", "operator": "Bogus"}, "x"]},
            "maxUnavailable": [0],
        },
    },
    {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "spec": {"selector": {}, "minAvailable": 1}},
    {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": ["x"]},
            "minReplicas": "1",
            "metrics": "cpu",
        },
    },
    {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web"},
            "metrics": [
                None,
                {"type": "Resource"},
                {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": None}},
            ],
        },
    },
    {"apiVersion": "v1", "kind": "Secret", "data": ["a"], "stringData": {"k": None, "n": 1}},
    {"apiVersion": "v1", "kind": "ConfigMap", "data": {"password": 12, "x": None, 3: "token=abc"}},
    {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "spec": {
            "values": {"a": [{"name": 1, "value": 2}, [[["deep"]]]], 5: "password"},
            "chart": "x",
            "chartRef": {"kind": "OCIRepository"},
            "dependsOn": ["other", None, {"name": 5}],
        },
    },
    {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "k"},
        "spec": {"dependsOn": [{"name": "k"}], "sourceRef": "git", "path": 7},
    },
    {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "secretGenerator": [{"literals": ["password=x", 3, "novalue"]}, None],
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"annotations": {"cert-manager.io/cluster-issuer": None}},
        "spec": {
            "tls": [{"hosts": None}, "x"],
            "rules": [
                None,
                {"host": 5, "http": {"paths": [{"backend": {"service": {"name": "web", "port": "80"}}}]}},
            ],
        },
    },
    {
        "apiVersion": "extensions/v1beta1",
        "kind": "Ingress",
        "spec": {"backend": {"serviceName": "web", "servicePort": "http"}, "tls": []},
    },
]


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_odd_bodies_never_crash(rule_id: str) -> None:
    resources = [Resource(b, "odd.yaml", i + 1) for i, b in enumerate(ODD_BODIES)]
    service = Resource(
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": "80"}},
        "odd.yaml",
        99,
    )
    for f in run(rule_id, [*resources, service], LintOptions(repo_root=FIXTURES)):
        assert f.message and f.remediation


def _corpus_files(repo: Path) -> list[Path]:
    return sorted([*repo.rglob("*.yaml"), *repo.rglob("*.yml")])


@pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="../shared/corpus not available")
def test_corpus_no_crash_and_no_false_errors() -> None:
    """Every real repository of the corpus goes through every rule; the only error is a real one."""
    all_errors: list[str] = []
    for repo in sorted(p for p in (SHARED / "corpus").iterdir() if p.is_dir()):
        resources: list[Resource] = []
        for path in _corpus_files(repo):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            resources.extend(resources_of(text, str(path.relative_to(SHARED / "corpus"))))
        assert resources
        for rule_id in RULE_IDS:
            for f in run(rule_id, resources, LintOptions(repo_root=repo)):
                if f.severity == Severity.ERROR:
                    all_errors.append(f"{rule_id} {f.ref}: {f.message}")
    # the one literal credential of the corpus: kube-prometheus-stack's grafana.adminPassword
    assert all_errors == [
        "secrets HelmRelease/kube-prometheus-stack: spec.values grafana.adminPassword is a "
        "literal credential committed to git"
    ], all_errors


# ------------------------------------------------------------------------- property-based
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True),
    st.sampled_from(
        [
            "",
            "0",
            "50%",
            "100m",
            "1Gi",
            "latest",
            "${X}",
            "http",
            "a=b",
            "Always",
            "Utilization",
            "cpu",
            "memory",
            "web",
            "flux-system",
        ]
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "port",
                    "spec",
                    "containers",
                    "resources",
                    "requests",
                    "limits",
                    "cpu",
                    "memory",
                    "selector",
                    "matchLabels",
                    "app",
                    "metadata",
                    "labels",
                    "template",
                    "minAvailable",
                    "value",
                    "password",
                    "kind",
                    "dependsOn",
                    "sourceRef",
                    "tls",
                    "hosts",
                    "rules",
                    "backend",
                    "service",
                    "number",
                    "securityContext",
                    "runAsUser",
                    "livenessProbe",
                    "httpGet",
                    "metrics",
                    "target",
                ]
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=20,
)
_KINDS = st.sampled_from(
    [
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "Pod",
        "CronJob",
        "Job",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "Secret",
        "ConfigMap",
        "HelmRelease",
        "Kustomization",
        "Ingress",
        "Service",
    ]
)
_API = {"HelmRelease": "helm.toolkit.fluxcd.io/v2", "Kustomization": "kustomize.toolkit.fluxcd.io/v1"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_KINDS, _VALUES, _VALUES), min_size=1, max_size=4))
def test_random_bodies_never_crash(objs: list[tuple[str, Any, Any]]) -> None:
    resources = [
        Resource(
            {
                "apiVersion": _API.get(k, "v1"),
                "kind": k,
                "metadata": {"name": "web", "namespace": "shop", "labels": meta}
                if not isinstance(meta, dict)
                else meta,
                "spec": spec,
            },
            "r.yaml",
            i + 1,
        )
        for i, (k, spec, meta) in enumerate(objs)
    ]
    for rule_id in RULE_IDS:
        for f in run(rule_id, resources, LintOptions(repo_root=FIXTURES)):
            assert f.message and f.remediation
