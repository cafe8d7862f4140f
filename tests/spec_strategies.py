"""Hypothesis strategies of valid App specs of every workload kind (shared by the render and fleet
property tests)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

TAGS = st.sampled_from(["1.0.0", "v2.3.4", "2024.05.1", "1.2.3-rc.1"])
QUANTITIES = [("10m", "16Mi"), ("50m", "64Mi"), ("250m", "256Mi"), ("1", "1Gi")]


@st.composite
def probe(draw: st.DrawFn, *, exec_only: bool, ports: list[int]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if exec_only or draw(st.booleans()):
        body["command"] = draw(st.sampled_from([["/bin/true"], ["test", "-f", "/tmp/ok"]]))
    else:
        body["path"] = draw(st.sampled_from(["/", "/healthz", "/ready"]))
        if ports and draw(st.booleans()):
            body["port"] = draw(st.sampled_from(ports))
    body["periodSeconds"] = draw(st.integers(1, 30))
    body["failureThreshold"] = draw(st.integers(2, 6))
    return body


@st.composite
def app_spec(draw: st.DrawFn, name: str, host: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["web", "worker", "cronjob", "statefulset", "helm"]))
    spec: dict[str, Any] = {"workload": kind}
    if kind == "helm":
        oci = draw(st.booleans())
        spec["chart"] = {
            "repository": "oci://ghcr.io/org/charts" if oci else "https://charts.example.com",
            "name": name,
            "version": draw(st.sampled_from(["1.2.3", ">=1.0.0 <2.0.0", "0.1.0"])),
            "values": {"replicaCount": draw(st.integers(1, 3))},
        }
        if draw(st.booleans()):
            spec["chart"]["valuesFrom"] = [{"kind": "ConfigMap", "name": f"{name}-values", "optional": True}]
        return {"apiVersion": "gitops-gen/v1", "kind": "App", "metadata": {"name": name}, "spec": spec}
    spec["image"] = f"ghcr.io/org/{name}:{draw(TAGS)}"
    req_i = draw(st.integers(0, len(QUANTITIES) - 1))
    lim_i = draw(st.integers(req_i, len(QUANTITIES) - 1))
    spec["resources"] = {
        "requests": {"cpu": QUANTITIES[req_i][0], "memory": QUANTITIES[req_i][1]},
        "limits": {"memory": QUANTITIES[lim_i][1]},
    }
    serving = kind in ("web", "statefulset")
    port = (
        draw(st.sampled_from([3000, 8080, 9000]))
        if serving or (kind == "worker" and draw(st.booleans()))
        else None
    )
    if port is not None:
        spec["port"] = port
    if draw(st.booleans()) and kind != "cronjob":
        spec["ports"] = [{"name": "metrics", "port": 9100}]
    ports = [p for p in (port, 9100 if "ports" in spec else None) if p is not None]
    if draw(st.booleans()):
        spec["command"] = ["/app/run"]
    if draw(st.booleans()):
        spec["args"] = draw(st.lists(st.sampled_from(["--verbose", "-v", "serve", "--port=1"]), max_size=3))
    if kind != "cronjob":
        spec["replicas"] = draw(st.integers(1, 4))
        probes: dict[str, Any] = {}
        if kind == "worker" and port is None:
            probes["liveness"] = draw(probe(exec_only=True, ports=[]))
        elif draw(st.booleans()):
            probes["liveness"] = draw(probe(exec_only=False, ports=ports))
        if draw(st.booleans()):
            probes["readiness"] = draw(probe(exec_only=kind == "worker" and port is None, ports=ports))
        if probes:
            spec["probes"] = probes
    if kind in ("web", "worker") and draw(st.booleans()):
        spec["autoscaling"] = {"minReplicas": 2, "maxReplicas": draw(st.integers(2, 6))}
    if kind != "cronjob" and draw(st.booleans()):
        spec["disruptionBudget"] = {"maxUnavailable": 1}
    if serving and draw(st.booleans()):
        spec["ingress"] = {"host": host, "tls": draw(st.booleans())}
    if kind == "cronjob":
        spec["cronjob"] = {
            "schedule": draw(st.sampled_from(["*/5 * * * *", "@daily", "0 3 * * 1-5"])),
            "concurrencyPolicy": draw(st.sampled_from(["Allow", "Forbid", "Replace"])),
        }
    env = []
    if draw(st.booleans()):
        env.append({"name": "MODE", "value": "x"})
    if draw(st.booleans()):
        env.append({"name": "FROM_SECRET", "secretKeyRef": {"name": "s", "key": "k"}})
    if draw(st.booleans()):
        env.append({"name": "FROM_MAP", "configMapKeyRef": {"name": "m", "key": "k", "optional": True}})
    if env:
        spec["env"] = env
    if draw(st.booleans()):
        spec["envFrom"] = [{"configMapRef": "settings", "prefix": "S_"}]
    if draw(st.booleans()):
        spec["configFiles"] = {"mountPath": "/etc/app", "files": {"app.yaml": "a: 1\n"}}
    if draw(st.booleans()):
        spec["volumes"] = [{"name": "scratch", "mountPath": "/scratch", "emptyDir": {"sizeLimit": "1Gi"}}]
    if kind == "statefulset" or (kind in ("web", "worker") and draw(st.booleans())):
        spec["persistence"] = [{"name": "data", "mountPath": "/data", "size": "1Gi"}]
    spec["securityContext"] = {
        "runAsUser": draw(st.integers(1, 65535)),
        "readOnlyRootFilesystem": draw(st.booleans()),
    }
    if draw(st.booleans()):
        spec["imagePullSecret"] = "ghcr-creds"
    return {"apiVersion": "gitops-gen/v1", "kind": "App", "metadata": {"name": name}, "spec": spec}
