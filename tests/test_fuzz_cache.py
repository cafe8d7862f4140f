"""Property: the lint cache can make a run faster, never different.

A small repository (Deployments with Services, Ingresses, HPAs and PDBs in a few namespaces, a Flux
Kustomization whose ``spec.path`` may or may not exist, a GitRepository, a Secret, a CRD and a custom
object) is mutated step by step — files edited, edited back to the same size and mtime (``cp -p``),
deleted, added, moved between namespaces, directories deleted and created, the CRD edited, cache
records corrupted — and after every step the cached lint must give exactly the findings of
``--no-cache``.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from hardening_helpers import FUZZ
from hypothesis import given, settings
from hypothesis import strategies as st
from lint_helpers import as_tuples

from gitops_gen.lint.api import RunSettings, lint_paths
from gitops_gen.lint.model import LintOptions

CACHE_FUZZ = settings(FUZZ, max_examples=max(FUZZ.max_examples // 10, 5))  # each: up to 18 lint runs

APP = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: {name}
          image: {image}
          ports: [{{containerPort: 8080, name: http}}]
          resources: {{requests: {{cpu: 10m, memory: {memory}}}, limits: {{memory: 64Mi}}}}
          readinessProbe: {{httpGet: {{path: /, port: http}}}}
          env: [{{name: DB_URL, value: "{url}"}}]
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{app: {selector}}}
  ports: [{{port: 80, targetPort: http, name: http}}]
"""
EXTRA = {
    "ingress": """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, namespace: {ns}}}
spec:
  rules:
    - host: {name}.example.com
      http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: {name}, port: {{name: http}}}}}}}}]}}
""",
    "hpa": """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: {name}, namespace: {ns}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}
  minReplicas: {replicas}
  maxReplicas: 4
""",
    "pdb": """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: {name}, namespace: {ns}}}
spec:
  minAvailable: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
""",
}
FLUX = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./deploy/apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec: {interval: 1m, url: "https://git.example.org/fleet.git", ref: {branch: main}}
"""
SECRET = """apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: {ns}}}
stringData: {{password: {value}}}
"""
CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: TYPE}
"""
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: a}\nspec: {size: 3}\n"

NAMESPACES = ["a", "b", "c"]
STEPS = [
    "edit_app",
    "edit_same_size_mtime",
    "delete_file",
    "add_extra",
    "move_namespace",
    "flux_dir",
    "crd",
    "secret",
    "corrupt_cache",
    "nothing",
]


def _app(rng: random.Random, name: str) -> str:
    return APP.format(
        name=name,
        ns=rng.choice(NAMESPACES),
        replicas=rng.choice([1, 2, 3]),
        image=rng.choice(["nginx:1.27", "nginx:latest", "nginx"]),
        memory=rng.choice(["16Mi", "32Mi", "128Mi"]),
        url=rng.choice(["postgres://db/app", "postgres://app:pw@db/app", "${DB_URL}"]),
        selector=rng.choice([name, "other"]),
    )


def _build(root: Path, rng: random.Random) -> None:
    (root / ".git").mkdir(parents=True)
    m = root / "m"
    m.mkdir()
    for i in range(5):
        (m / f"app{i}.yaml").write_text(_app(rng, f"app{i}"))
    for i, (kind, text) in enumerate(EXTRA.items()):
        (m / f"{kind}{i}.yaml").write_text(text.format(name=f"app{i}", ns=rng.choice(NAMESPACES), replicas=2))
    (m / "flux.yaml").write_text(FLUX)
    (m / "secret.yaml").write_text(SECRET.format(ns="a", value="hunter2"))
    (m / "widget.yaml").write_text(WIDGET)
    (root / "crds").mkdir()
    (root / "crds" / "widget.yaml").write_text(CRD.replace("TYPE", "string"))
    (root / "deploy" / "apps").mkdir(parents=True)


def _lint(root: Path, cache: Path | None) -> list[tuple[Any, ...]]:
    from gitops_gen.lint.schema import embedded

    embedded._SHARED.clear()  # per-process validator memo: each CLI run is a new process
    options = LintOptions(repo_root=root, crd_dirs=[root / "crds"])
    return as_tuples(lint_paths([root / "m"], RunSettings(options=options, jobs=1, cache_dir=cache)))


def _step(root: Path, cache: Path, step: str, rng: random.Random) -> None:
    m = root / "m"
    files = sorted(m.glob("*.yaml"))
    if step == "edit_app":
        target = m / f"app{rng.randrange(5)}.yaml"
        target.write_text(_app(rng, target.stem))
    elif step == "edit_same_size_mtime" and files:
        f = rng.choice(files)
        st = f.stat()
        data = bytearray(f.read_bytes())
        swaps = [(b"nginx:1.27", b"nginx:1.28"), (b"minAvailable: 2", b"minAvailable: 3"), (b"16Mi", b"32Mi")]
        for a, b in rng.sample(swaps, len(swaps)):
            if a in data:
                data = bytearray(bytes(data).replace(a, b, 1))
                break
        f.write_bytes(bytes(data))
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    elif step == "delete_file" and files:
        rng.choice(files).unlink()
    elif step == "add_extra":
        kind, text = rng.choice(sorted(EXTRA.items()))
        name = f"app{rng.randrange(6)}"
        (m / f"{kind}-{name}.yaml").write_text(
            text.format(name=name, ns=rng.choice(NAMESPACES), replicas=rng.choice([1, 2, 3]))
        )
    elif step == "move_namespace" and files:
        f = rng.choice(files)
        text = f.read_text()
        for ns in NAMESPACES:
            text = text.replace(f"namespace: {ns}}}", f"namespace: {rng.choice(NAMESPACES)}}}")
        f.write_text(text)
    elif step == "flux_dir":
        d = root / "deploy" / "apps"
        if d.exists():
            shutil.rmtree(d)
        else:
            d.mkdir(parents=True)
    elif step == "crd":
        crd = root / "crds" / "widget.yaml"
        st = crd.stat()
        text = crd.read_text()
        crd.write_text(
            text.replace("string", "number") if "string" in text else text.replace("number", "string")
        )
        os.utime(crd, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    elif step == "secret":
        (m / "secret.yaml").write_text(
            SECRET.format(ns=rng.choice(NAMESPACES), value=rng.choice(["x1", "${PW}"]))
        )
    elif step == "corrupt_cache":
        stored = sorted(p for p in cache.rglob("*") if p.is_file() and "schemas" not in p.parts)
        if stored:
            victim = rng.choice(stored)
            data = bytearray(victim.read_bytes())
            if data and rng.random() < 0.5:
                data[rng.randrange(len(data))] ^= 0xFF
            else:
                del data[rng.randrange(len(data) + 1) :]
            victim.write_bytes(bytes(data))


@pytest.mark.slow
@CACHE_FUZZ
@given(seed=st.integers(0, 2**32 - 1), steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=8))
def test_cached_lint_equals_uncached_after_mutations(
    tmp_path_factory: Any, seed: int, steps: list[str]
) -> None:
    rng = random.Random(seed)
    root = tmp_path_factory.mktemp("cachefuzz")
    cache = root.parent / f"{root.name}-cache"
    _build(root, rng)
    assert _lint(root, cache) == _lint(root, None)
    for step in steps:
        _step(root, cache, step, rng)
        assert _lint(root, cache) == _lint(root, None), step
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
