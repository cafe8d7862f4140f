"""A finding about a field that a patch sets points at the patch's line (issue 17, item 2): an
overlay's patch file, an inline patch of a kustomization.yaml (strategic merge or JSON 6902),
kustomize's ``replicas:`` field, or a Flux Kustomization's ``spec.patches``.

Two clusters share a base Deployment (2 replicas of 1Gi) scaled by an HPA; production's overlay sets
``replicas: 50``. Staging's findings stay at the base file; production's HPA finding ("sets
spec.replicas but the HPA scales it") and, without the HPA, its memory-budget finding (50 pods on one
8Gi node) point at the line that sets 50.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_helpers import flux_ks, sync, write

from gitops_gen.capacity.nodes import resolve_cluster
from gitops_gen.lint.model import Finding, LintOptions, Severity
from gitops_gen.lint.run import RunSettings, lint_paths

DEPLOY = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: 2
      selector:
        matchLabels: {app: web}
      template:
        metadata:
          labels: {app: web}
        spec:
          containers:
            - name: web
              image: nginx:1.27.0
              resources:
                requests: {cpu: 10m, memory: 1Gi}
                limits: {memory: 1Gi}
    """
HPA = """
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata:
      name: web
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
      minReplicas: 2
      maxReplicas: 4
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
    """
PATCH_FILE = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: 50
    """
INLINE = """
    namespace: web
    resources: [../base]
    patches:
      - target: {kind: Deployment, name: web}
        patch: |-
          apiVersion: apps/v1
          kind: Deployment
          metadata:
            name: web
          spec:
            replicas: 50
    """
JSON6902 = """
    namespace: web
    resources: [../base]
    patches:
      - target: {kind: Deployment, name: web}
        patch: |
          - op: replace
            path: /spec/replicas
            value: 50
    """
REPLICAS = """
    namespace: web
    resources: [../base]
    replicas:
      - name: web
        count: 50
    """
FLUX_PATCH = """
patches:
  - target: {kind: Deployment, name: web}
    patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        replicas: 50
"""

# overlay name -> (files of apps/production, Flux Kustomization extra, the file and text of the line)
CASES = {
    "patch file": (
        {
            "kustomization.yaml": "namespace: web\nresources: [../base]\npatches:\n  - path: replicas.yaml\n",
            "replicas.yaml": PATCH_FILE,
        },
        "",
        ("apps/production/replicas.yaml", "replicas: 50"),
    ),
    "inline strategic merge": (
        {"kustomization.yaml": INLINE},
        "",
        ("apps/production/kustomization.yaml", "replicas: 50"),
    ),
    "inline json 6902": (
        {"kustomization.yaml": JSON6902},
        "",
        ("apps/production/kustomization.yaml", "value: 50"),
    ),
    "kustomize replicas": (
        {"kustomization.yaml": REPLICAS},
        "",
        ("apps/production/kustomization.yaml", "count: 50"),
    ),
    "flux spec.patches": (
        {"kustomization.yaml": "namespace: web\nresources: [../base]\n"},
        FLUX_PATCH,
        ("clusters/production/apps.yaml", "replicas: 50"),
    ),
}


def repo(tmp_path: Path, overlay: dict[str, str], flux_extra: str, hpa: bool = True) -> Path:
    files = {
        "clusters/staging/flux-system/gotk-sync.yaml": sync("staging"),
        "clusters/staging/apps.yaml": flux_ks("apps", "./apps/staging"),
        "clusters/production/flux-system/gotk-sync.yaml": sync("production"),
        "clusters/production/apps.yaml": flux_ks("apps", "./apps/production", flux_extra),
        "apps/base/kustomization.yaml": f"resources: [deploy.yaml{', hpa.yaml' if hpa else ''}]\n",
        "apps/base/deploy.yaml": DEPLOY,
        "apps/base/hpa.yaml": HPA,
        "apps/staging/kustomization.yaml": "namespace: web\nresources: [../base]\n",
    }
    files.update({f"apps/production/{k}": v for k, v in overlay.items()})
    return write(tmp_path / "repo", files)


def line_of(path: Path, text: str) -> tuple[int, int]:
    for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if text in line:
            return i, line.index(text) + 1
    raise AssertionError(f"{text!r} not in {path}")


def findings(root: Path, rule: str) -> dict[str, Finding]:
    opts = LintOptions(kubernetes_version="1.34", cluster=resolve_cluster(None, "8Gi", "4", 1))
    result = lint_paths([root], RunSettings(options=opts, jobs=1))
    out: dict[str, Finding] = {}
    for f in result.findings:
        if f.rule == rule and f.resource == "Deployment/web/web" and f.severity == Severity.ERROR:
            assert f.cluster not in out, f"two {rule} findings in {f.cluster}: {f.message}"
            out[f.cluster] = f
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_finding_on_a_patched_field_points_at_the_patch(tmp_path: Path, case: str) -> None:
    overlay, flux_extra, (where, text) = CASES[case]
    root = repo(tmp_path, overlay, flux_extra)
    line, col = line_of(root / where, text)
    hpa = findings(root, "hpa")
    assert sorted(hpa) == ["production", "staging"]
    prod = hpa["production"]
    assert "sets spec.replicas (50)" in prod.message
    assert (prod.file, prod.line, prod.column) == (str(root / where), line, col)
    base_line, base_col = line_of(root / "apps/base/deploy.yaml", "replicas: 2")
    stag = hpa["staging"]
    assert (stag.file, stag.line, stag.column) == (str(root / "apps/base/deploy.yaml"), base_line, base_col)
    # without the HPA, the budget overflows production only, by the replica count the patch sets
    root = repo(tmp_path / "no-hpa", overlay, flux_extra, hpa=False)
    [budget] = findings(root, "memory-budget").values()
    assert budget.cluster == "production" and (budget.file, budget.line) == (str(root / where), line)


def test_a_patched_amount_inside_resources_is_where_the_budget_finding_points(tmp_path: Path) -> None:
    patch = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          template:
            spec:
              containers:
                - name: web
                  resources:
                    requests: {memory: 6Gi}
                    limits: {memory: 6Gi}
        """
    overlay = {
        "kustomization.yaml": "namespace: web\nresources: [../base]\npatches:\n  - path: big.yaml\n",
        "big.yaml": patch,
    }
    root = repo(tmp_path, overlay, "", hpa=False)
    [budget] = findings(root, "memory-budget").values()
    line, _col = line_of(root / "apps/production/big.yaml", "requests: {memory: 6Gi}")
    assert budget.cluster == "production" and (budget.file, budget.line) == (
        str(root / "apps/production/big.yaml"),
        line,
    )
    # a finding about the container that the patch does not decide stays in the base
    opts = LintOptions(kubernetes_version="1.34")
    result = lint_paths([root], RunSettings(options=opts, jobs=1))
    probes = [f for f in result.findings if f.rule == "probes" and f.cluster == "production"]
    assert probes and {f.file for f in probes} == {str(root / "apps/base/deploy.yaml")}
