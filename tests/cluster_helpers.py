"""Small Flux repositories for the cluster-mode tests: files, the bootstrap's sync file, Flux
Kustomizations, a Deployment, two clusters sharing a base."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def sync(cluster: str) -> str:
    return f"""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: flux-system
          namespace: flux-system
        spec:
          interval: 1m
          ref:
            branch: main
          url: ssh://git@example.com/org/fleet
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: flux-system
          namespace: flux-system
        spec:
          interval: 10m
          path: ./clusters/{cluster}
          prune: true
          sourceRef:
            kind: GitRepository
            name: flux-system
        """


def flux_ks(name: str, path: str, extra: str = "") -> str:
    base = textwrap.dedent(
        f"""
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: {name}
          namespace: flux-system
        spec:
          interval: 10m
          path: {path}
          prune: true
          sourceRef:
            kind: GitRepository
            name: flux-system
        """
    )
    return base + textwrap.indent(textwrap.dedent(extra).lstrip("\n"), "  ")


DEPLOY = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: ${REPLICAS}
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
                requests: {cpu: 100m, memory: 1Gi}
                limits: {memory: 1Gi}
    """


def two_clusters(tmp_path: Path) -> Path:
    """staging (1 replica) and production (6 replicas) share apps/base through overlays."""
    return write(
        tmp_path / "fleet",
        {
            "clusters/staging/flux-system/gotk-sync.yaml": sync("staging"),
            "clusters/staging/apps.yaml": flux_ks(
                "apps", "./apps/staging", "postBuild:\n  substitute:\n    REPLICAS: '1'\n"
            ),
            "clusters/production/flux-system/gotk-sync.yaml": sync("production"),
            "clusters/production/apps.yaml": flux_ks(
                "apps", "./apps/production", "postBuild:\n  substitute:\n    REPLICAS: '6'\n"
            ),
            "apps/base/kustomization.yaml": "resources: [deploy.yaml]\n",
            "apps/base/deploy.yaml": DEPLOY,
            "apps/staging/kustomization.yaml": "namespace: web-staging\nresources: [../base]\n",
            "apps/production/kustomization.yaml": "namespace: web\nresources: [../base]\n",
        },
    )
