#!/usr/bin/env python3
"""Deterministic synthetic Kubernetes corpus for benchmarking (and recall-checking) ``gitops-gen lint``.

The corpus is a set of *app bundles*, each made of a ConfigMap, a Deployment (probes, resources,
securityContext, env, volumes, sometimes a sidecar and an init container), a Service, an Ingress with
TLS, an ``autoscaling/v2`` HorizontalPodAutoscaler with ``behavior`` and a ``policy/v1``
PodDisruptionBudget. Bundles are grouped into namespaces (a Namespace object per group). Exactly
``--resources`` objects are written (the last bundle is cut short, always after the objects that others
refer to, so a cut never creates a dangling reference).

Files are laid out as in real GitOps repositories, with a mix of three styles, chosen per namespace:

* ``bundle``  - one multi-document file per app (``apps/<ns>/<app>.yaml``);
* ``split``   - one file per object (``apps/<ns>/<app>/<kind>.yaml``);
* ``combined`` - one multi-document file for the whole namespace (``apps/<ns>/all.yaml``).

With ``--defects SHARE`` that share of the apps gets exactly one injected defect, cycling over kinds the
lint rules catch (see ``DEFECT_KINDS``). ``defects.json`` (next to ``manifests/``, outside the linted
tree) lists every injected defect: its kind, the rule ids that may report it, the file and the objects a
finding may be attached to, so a run can be checked for recall (``bench/run.py`` does).

Output is byte-for-byte deterministic for a given ``--seed``/``--resources``/``--defects``: no clocks,
no dict-order surprises, files written in sorted order.

Usage::

    python bench/gen_corpus.py --resources 10000 --out bench/.corpus/r10000 [--defects 0.1] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Kinds of injected defects -> the rule ids that are expected to report them.
DEFECT_KINDS: dict[str, tuple[str, ...]] = {
    "missing-probes": ("probes",),
    "image-latest": ("image",),
    "missing-limits": ("resources",),
    "pdb-blocks-eviction": ("pdb", "hpa"),
    "hpa-with-replicas": ("hpa",),
    "schema-typo": ("schema",),
}

APPS_PER_NAMESPACE = (3, 8)  # inclusive range
WORDS = (
    "api",
    "web",
    "worker",
    "auth",
    "billing",
    "search",
    "media",
    "mail",
    "chat",
    "report",
    "ledger",
    "gateway",
    "notify",
    "profile",
    "catalog",
    "orders",
    "cart",
    "inventory",
    "metrics",
    "feed",
)
TEAMS = ("core", "growth", "payments", "platform", "data", "identity", "commerce", "content")


# ----------------------------------------------------------------------------------------- YAML emitter
# A small block-style emitter: deterministic, fast, and independent of the YAML libraries under test.
_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    s = str(value)
    if _PLAIN.match(s) and s.lower() not in _RESERVED:
        return s
    return json.dumps(s)


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            k = _scalar(key)
            if isinstance(item, dict) and item:
                out.append(f"{pad}{k}:")
                _emit(item, indent + 2, out)
            elif isinstance(item, list) and item:
                out.append(f"{pad}{k}:")
                _emit(item, indent, out)  # sequences of a mapping key are not indented (kubectl style)
            elif isinstance(item, str) and "\n" in item:
                out.append(f"{pad}{k}: |")
                out.extend(f"{pad}  {line}" if line else "" for line in item.rstrip("\n").split("\n"))
            else:
                out.append(f"{pad}{k}: {_empty(item) if isinstance(item, dict | list) else _scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                sub: list[str] = []
                _emit(item, indent + 2, sub)
                sub[0] = f"{pad}- {sub[0][indent + 2 :]}"
                out.extend(sub)
            elif isinstance(item, list) and item:
                raise ValueError("nested sequences are not used by the corpus")
            else:
                out.append(f"{pad}- {_empty(item) if isinstance(item, dict | list) else _scalar(item)}")
    else:
        out.append(f"{pad}{_scalar(value)}")


def _empty(value: dict[str, Any] | list[Any]) -> str:
    return "{}" if isinstance(value, dict) else "[]"


def to_yaml(doc: dict[str, Any]) -> str:
    out: list[str] = []
    _emit(doc, 0, out)
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------- objects
@dataclass
class App:
    name: str
    namespace: str
    team: str
    port: int
    min_replicas: int
    max_replicas: int
    sidecar: bool
    init: bool
    host: str
    defect: str | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)


def ref(obj: dict[str, Any]) -> str:
    md = obj["metadata"]
    ns = md.get("namespace")
    return f"{obj['kind']}/{ns}/{md['name']}" if ns else f"{obj['kind']}/{md['name']}"


def labels(app: App) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": app.name,
        "app.kubernetes.io/instance": app.name,
        "app.kubernetes.io/part-of": app.team,
        "app.kubernetes.io/managed-by": "flux",
    }


def namespace_obj(ns: str, team: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": ns,
            "labels": {
                "kubernetes.io/metadata.name": ns,
                "toolkit.fluxcd.io/tenant": team,
                "pod-security.kubernetes.io/enforce": "restricted",
            },
        },
    }


def configmap(app: App, rng: random.Random) -> dict[str, Any]:
    lines = [
        "# generated application settings",
        "server:",
        f"  port: {app.port}",
        f"  publicUrl: https://{app.host}",
        "  shutdownGraceSeconds: 20",
        "logging:",
        f"  level: {rng.choice(['info', 'warn', 'debug'])}",
        "  format: json",
        "features:",
    ]
    lines += [f"  {w}: {str(rng.random() < 0.5).lower()}" for w in rng.sample(WORDS, 6)]
    lines += ["upstreams:"]
    lines += [f"  - http://{w}.{app.namespace}.svc.cluster.local:8080" for w in rng.sample(WORDS, 3)]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{app.name}-config", "namespace": app.namespace, "labels": labels(app)},
        "data": {
            "config.yaml": "\n".join(lines) + "\n",
            "LOG_FORMAT": "json",
            "CACHE_TTL_SECONDS": str(rng.choice([30, 60, 300])),
        },
    }


def container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }


def _millis(rng: random.Random, choices: tuple[int, ...]) -> str:
    return f"{rng.choice(choices)}m"


def deployment(app: App, rng: random.Random) -> dict[str, Any]:
    cpu_req = rng.choice((50, 100, 150, 200, 250))
    mem_req = rng.choice((64, 96, 128, 192, 256))
    version = f"{rng.randint(1, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
    env = [
        {"name": "APP_NAME", "value": app.name},
        {"name": "APP_ENV", "value": "production"},
        {"name": "PORT", "value": str(app.port)},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {
            "name": "LOG_FORMAT",
            "valueFrom": {"configMapKeyRef": {"name": f"{app.name}-config", "key": "LOG_FORMAT"}},
        },
        {"name": "GOMEMLIMIT", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}},
        {"name": "OTEL_SERVICE_NAME", "value": app.name},
        {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability.svc:4317"},
        {"name": "HTTP_READ_TIMEOUT", "value": f"{rng.choice((5, 10, 30))}s"},
        {"name": "DATABASE_HOST", "value": f"postgres-rw.{app.namespace}.svc.cluster.local"},
    ]
    main: dict[str, Any] = {
        "name": app.name,
        "image": f"ghcr.io/acme-{app.team}/{app.name}:{version}",
        "imagePullPolicy": "IfNotPresent",
        "args": ["--config=/etc/app/config.yaml", f"--listen=:{app.port}"],
        "ports": [
            {"name": "http", "containerPort": app.port, "protocol": "TCP"},
            {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
        ],
        "env": env,
        "resources": {
            "requests": {"cpu": f"{cpu_req}m", "memory": f"{mem_req}Mi"},
            "limits": {"cpu": f"{cpu_req * 4}m", "memory": f"{mem_req * 2}Mi"},
        },
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": "http"},
            "initialDelaySeconds": 5,
            "periodSeconds": 10,
            "timeoutSeconds": 2,
            "failureThreshold": 3,
        },
        "livenessProbe": {
            "httpGet": {"path": "/healthz", "port": "http"},
            "initialDelaySeconds": 15,
            "periodSeconds": 20,
            "timeoutSeconds": 2,
            "failureThreshold": 5,
        },
        "startupProbe": {
            "httpGet": {"path": "/healthz", "port": "http"},
            "periodSeconds": 5,
            "failureThreshold": 30,
        },
        "securityContext": container_security(),
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/app", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    containers = [main]
    if app.sidecar:
        containers.append(
            {
                "name": "metrics-proxy",
                "image": f"ghcr.io/acme-platform/metrics-proxy:0.{rng.randint(10, 30)}.{rng.randint(0, 5)}",
                "args": ["--upstream=http://127.0.0.1:9090", "--listen=:9091"],
                "ports": [{"name": "proxy", "containerPort": 9091, "protocol": "TCP"}],
                "resources": {
                    "requests": {"cpu": "10m", "memory": "16Mi"},
                    "limits": {"cpu": "100m", "memory": "32Mi"},
                },
                "readinessProbe": {"tcpSocket": {"port": "proxy"}, "periodSeconds": 10},
                "livenessProbe": {"tcpSocket": {"port": 9091}, "periodSeconds": 20, "failureThreshold": 5},
                "securityContext": container_security(),
            }
        )
    pod_spec: dict[str, Any] = {
        "serviceAccountName": "default",
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "terminationGracePeriodSeconds": 30,
    }
    if app.init:
        pod_spec["initContainers"] = [
            {
                "name": "migrate",
                "image": f"ghcr.io/acme-{app.team}/{app.name}:{version}",
                "args": ["migrate", "--config=/etc/app/config.yaml"],
                "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                "securityContext": container_security(),
                "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": True}],
            }
        ]
    pod_spec["containers"] = containers
    pod_spec["volumes"] = [
        {"name": "config", "configMap": {"name": f"{app.name}-config"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
    ]
    pod_spec["affinity"] = {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": {"matchLabels": {"app.kubernetes.io/name": app.name}},
                    },
                }
            ]
        }
    }
    pod_spec["tolerations"] = [
        {
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 60,
        }
    ]
    pod_spec["topologySpreadConstraints"] = [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": app.name}},
        }
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": app.name,
            "namespace": app.namespace,
            "labels": labels(app),
            "annotations": {"reloader.stakater.com/auto": "true"},
        },
        "spec": {
            "revisionHistoryLimit": 3,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "selector": {
                "matchLabels": {"app.kubernetes.io/name": app.name, "app.kubernetes.io/instance": app.name}
            },
            "template": {
                "metadata": {
                    "labels": labels(app),
                    "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
                },
                "spec": pod_spec,
            },
        },
    }


def service(app: App) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": app.name, "namespace": app.namespace, "labels": labels(app)},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": app.name, "app.kubernetes.io/instance": app.name},
            "ports": [
                {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
                {"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"},
            ],
        },
    }


def ingress(app: App) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": app.name,
            "namespace": app.namespace,
            "labels": labels(app),
            "annotations": {"traefik.ingress.kubernetes.io/router.entrypoints": "websecure"},
        },
        "spec": {
            "ingressClassName": "traefik",
            "tls": [{"hosts": [app.host], "secretName": f"{app.name}-tls"}],
            "rules": [
                {
                    "host": app.host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": app.name, "port": {"name": "http"}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def hpa(app: App) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": app.name, "namespace": app.namespace, "labels": labels(app)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app.name},
            "minReplicas": app.min_replicas,
            "maxReplicas": app.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                },
                {
                    "type": "Resource",
                    "resource": {
                        "name": "memory",
                        "target": {"type": "Utilization", "averageUtilization": 80},
                    },
                },
            ],
            "behavior": {
                "scaleUp": {
                    "stabilizationWindowSeconds": 60,
                    "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}],
                },
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "policies": [{"type": "Percent", "value": 50, "periodSeconds": 120}],
                    "selectPolicy": "Min",
                },
            },
        },
    }


def pdb(app: App) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": app.name, "namespace": app.namespace, "labels": labels(app)},
        "spec": {
            "minAvailable": app.min_replicas - 1,
            "selector": {
                "matchLabels": {"app.kubernetes.io/name": app.name, "app.kubernetes.io/instance": app.name}
            },
        },
    }


def bundle(app: App, rng: random.Random) -> list[dict[str, Any]]:
    """The app's objects in dependency order (referenced objects first)."""
    return [configmap(app, rng), deployment(app, rng), service(app), ingress(app), hpa(app), pdb(app)]


# ----------------------------------------------------------------------------------------- defects
def _find(objs: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    return next((o for o in objs if o["kind"] == kind), None)


def _rename_key(d: dict[str, Any], old: str, new: str) -> None:
    """Rename a key in place, keeping its position (so the typo sits where the field was)."""
    items = [(new if k == old else k, v) for k, v in d.items()]
    d.clear()
    d.update(items)


def applicable(kind: str, objs: list[dict[str, Any]]) -> bool:
    have = {o["kind"] for o in objs}
    if kind in ("missing-probes", "image-latest", "missing-limits"):
        return "Deployment" in have
    if kind == "pdb-blocks-eviction":
        return "PodDisruptionBudget" in have
    if kind == "hpa-with-replicas":
        return "HorizontalPodAutoscaler" in have
    return bool(objs)


def inject(kind: str, app: App, objs: list[dict[str, Any]], serial: int) -> list[str]:
    """Apply one defect; return the refs of the objects a finding may be attached to."""
    dep = _find(objs, "Deployment")
    if kind in ("missing-probes", "image-latest", "missing-limits"):
        assert dep is not None
        main = dep["spec"]["template"]["spec"]["containers"][0]
        if kind == "missing-probes":
            main.pop("readinessProbe")
            main.pop("livenessProbe")
            main.pop("startupProbe")
        elif kind == "image-latest":
            main["image"] = main["image"].rsplit(":", 1)[0] + (":latest" if serial % 2 == 0 else "")
        else:
            main["resources"].pop("limits")
        return [ref(dep)]
    if kind == "pdb-blocks-eviction":
        p = _find(objs, "PodDisruptionBudget")
        h = _find(objs, "HorizontalPodAutoscaler")
        assert p is not None and h is not None and dep is not None
        if serial % 2 == 0:
            p["spec"] = {"maxUnavailable": 0, "selector": p["spec"]["selector"]}
        else:
            p["spec"]["minAvailable"] = app.min_replicas
        return [ref(p), ref(h), ref(dep)]
    if kind == "hpa-with-replicas":
        h = _find(objs, "HorizontalPodAutoscaler")
        assert h is not None and dep is not None
        spec = dep["spec"]
        items = list(spec.items())
        spec.clear()
        spec.update([("replicas", app.min_replicas), *items])
        return [ref(dep), ref(h)]
    # schema-typo: one misspelt field, at a place that depends on the serial and what is present
    choices: list[tuple[str, Any]] = []
    if dep is not None:
        c = dep["spec"]["template"]["spec"]["containers"][0]
        choices += [
            ("Deployment", (c, "imagePullPolicy", "imagePulPolicy")),
            ("Deployment", (c["ports"][1], "containerPort", "containerport")),
            ("Deployment", (dep["spec"], "revisionHistoryLimit", "revisionHistorylimit")),
        ]
    svc = _find(objs, "Service")
    if svc is not None:
        choices.append(("Service", (svc["spec"]["ports"][1], "protocol", "protocoll")))
    ing = _find(objs, "Ingress")
    if ing is not None:
        choices.append(("Ingress", (ing["spec"], "ingressClassName", "ingressClass")))
    cm = _find(objs, "ConfigMap")
    if cm is not None:
        choices.append(("ConfigMap", (cm, "data", "dataa")))
    target_kind, (where, old, new) = choices[serial % len(choices)]
    _rename_key(where, old, new)
    target = _find(objs, target_kind)
    assert target is not None
    return [ref(target)]


# ----------------------------------------------------------------------------------------- layout
def generate(resources: int, seed: int, defects: float) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Return ({relative path: text}, [injected defect records])."""
    if resources < 1:
        raise ValueError("--resources must be at least 1")
    if not 0.0 <= defects <= 1.0:
        raise ValueError("--defects must be between 0 and 1")
    rng = random.Random(seed)
    files: dict[str, list[tuple[dict[str, Any], App | None]]] = {}
    apps: list[App] = []
    remaining = resources
    ns_index = 0
    while remaining > 0:
        ns_index += 1
        team = rng.choice(TEAMS)
        ns = f"{team}-{ns_index:05d}"
        style = rng.choices(("bundle", "split", "combined"), weights=(6, 2, 2))[0]
        base = f"apps/{ns}"
        ns_file = f"{base}/namespace.yaml"
        files.setdefault(ns_file, []).append((namespace_obj(ns, team), None))
        remaining -= 1
        for i in range(rng.randint(*APPS_PER_NAMESPACE)):
            if remaining <= 0:
                break
            word = rng.choice(WORDS)
            min_r = rng.choice((2, 2, 3))
            app = App(
                name=f"{word}-{i}",
                namespace=ns,
                team=team,
                port=rng.choice((3000, 8000, 8080)),
                min_replicas=min_r,
                max_replicas=min_r + rng.randint(1, 6),
                sidecar=rng.random() < 0.3,
                init=rng.random() < 0.25,
                host=f"{word}-{i}.{ns}.example.com",
            )
            objs = bundle(app, rng)[:remaining]
            remaining -= len(objs)
            app.objects = objs
            apps.append(app)
            for obj in objs:
                if style == "bundle":
                    path = f"{base}/{app.name}.yaml"
                elif style == "split":
                    path = f"{base}/{app.name}/{obj['kind'].lower()}.yaml"
                else:
                    path = f"{base}/all.yaml"
                files.setdefault(path, []).append((obj, app))

    # Choose the defective apps deterministically, then cycle over the defect kinds.
    records: list[dict[str, Any]] = []
    n_defects = round(defects * len(apps))
    chosen = sorted(rng.sample(range(len(apps)), n_defects)) if n_defects else []
    kinds = list(DEFECT_KINDS)
    serial = 0
    for idx in chosen:
        app = apps[idx]
        for attempt in range(len(kinds)):
            kind = kinds[(serial + attempt) % len(kinds)]
            if applicable(kind, app.objects):
                break
        else:
            continue
        refs = inject(kind, app, app.objects, serial // len(kinds))
        app.defect = kind
        records.append(
            {
                "kind": kind,
                "rules": list(DEFECT_KINDS[kind]),
                "resources": refs,
                "app": f"{app.namespace}/{app.name}",
            }
        )
        serial += 1

    # Serialise; record where each object starts so defect records can name file and line.
    texts: dict[str, str] = {}
    where: dict[str, tuple[str, int]] = {}
    for path in sorted(files):
        parts: list[str] = []
        line = 1
        for n, (obj, _app) in enumerate(files[path]):
            if n:
                parts.append("---\n")
                line += 1
            text = to_yaml(obj)
            where[ref(obj)] = (path, line)
            parts.append(text)
            line += text.count("\n")
        texts[path] = "".join(parts)
    for rec in records:
        first = rec["resources"][0]
        rec["file"], rec["line"] = where[first]
        rec["files"] = sorted({where[r][0] for r in rec["resources"]})
    records.sort(key=lambda r: (r["file"], r["line"]))
    return texts, records


def write_clusters(manifests: Path, clusters: int) -> None:
    """Make ``manifests`` a Flux repository of ``clusters`` clusters: ``clusters/c<i>/flux-system/``
    (the bootstrap's GitRepository and Kustomization) and one Flux Kustomization per namespace
    directory (``apps/<ns>``, no kustomization.yaml: Flux generates it), namespaces dealt round-robin."""
    namespaces = sorted(p.name for p in (manifests / "apps").iterdir() if p.is_dir())
    for i in range(clusters):
        name = f"c{i + 1}"
        d = manifests / "clusters" / name
        (d / "flux-system").mkdir(parents=True, exist_ok=True)
        sync = [
            {
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "GitRepository",
                "metadata": {"name": "flux-system", "namespace": "flux-system"},
                "spec": {"interval": "1m", "ref": {"branch": "main"}, "url": "ssh://git@example.com/fleet"},
            },
            _flux_kustomization("flux-system", f"./clusters/{name}"),
        ]
        (d / "flux-system" / "gotk-sync.yaml").write_text("---\n".join(map(to_yaml, sync)), encoding="utf-8")
        mine = [_flux_kustomization(ns, f"./apps/{ns}") for ns in namespaces[i::clusters]]
        (d / "apps.yaml").write_text("---\n".join(map(to_yaml, mine)), encoding="utf-8")


def _flux_kustomization(name: str, path: str) -> dict[str, Any]:
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": "flux-system"},
        "spec": {
            "interval": "10m",
            "path": path,
            "prune": True,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        },
    }


def write_corpus(
    out: Path, resources: int, seed: int = 1, defects: float = 0.0, clusters: int = 0
) -> dict[str, Any]:
    """Write ``out/manifests/**`` and ``out/defects.json``; return the summary written to ``out/corpus.json``."""
    texts, records = generate(resources, seed, defects)
    if out.exists():
        shutil.rmtree(out)
    manifests = out / "manifests"
    for rel, text in texts.items():
        p = manifests / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    summary = {
        "resources": resources,
        "seed": seed,
        "defect_share": defects,
        "files": len(texts),
        "bytes": sum(len(t.encode()) for t in texts.values()),
        "defects": len(records),
    }
    if clusters:
        write_clusters(manifests, clusters)
        summary["clusters"] = clusters
    (out / "defects.json").write_text(json.dumps(records, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (out / "corpus.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--resources", "-n", type=int, default=1000, help="number of objects (default 1000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument(
        "--defects",
        type=float,
        default=0.0,
        help="share of apps that get one injected defect, 0..1 (default 0)",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default bench/.corpus/r<N>[-d<share>]); replaced if present",
    )
    ap.add_argument(
        "--clusters",
        type=int,
        default=0,
        help="also lay the corpus out as a Flux repository of N clusters (clusters/c<i>/, default 0: none)",
    )
    args = ap.parse_args(argv)
    out = args.out or default_dir(args.resources, args.defects, args.seed)
    try:
        summary = write_corpus(out, args.resources, args.seed, args.defects, args.clusters)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{out}: {summary['resources']} resources in {summary['files']} files "
        f"({summary['bytes'] / 1e6:.1f} MB), {summary['defects']} injected defects"
    )
    return 0


def default_dir(resources: int, defects: float, seed: int = 1) -> Path:
    name = f"r{resources}" + (f"-d{defects:g}" if defects else "") + (f"-s{seed}" if seed != 1 else "")
    return Path(__file__).resolve().parent / ".corpus" / name


if __name__ == "__main__":
    sys.exit(main())
