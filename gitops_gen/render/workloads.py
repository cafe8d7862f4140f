"""Per-kind knowledge of apps: what each ``spec.workload`` renders, and the pod template they share.

============  ===========================================================================
web           Deployment, Service (port 80 -> http), Ingress, HPA, PDB
worker        Deployment without Service (a port only if given), HPA, PDB; probes from the
              spec (an exec ``command`` or HTTP on a port); readiness defaults to liveness's check
cronjob       CronJob (schedule, concurrency, history limits, deadlines); no probes
statefulset   StatefulSet with volumeClaimTemplates (``persistence``), headless Service, Ingress,
              PDB
helm          HelmRepository (https://) or OCIRepository + ``chartRef`` (oci://), HelmRelease
============  ===========================================================================

Every pod keeps the same security defaults (the ``restricted`` Pod Security Standard: non-root,
no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, no service account
token). ``configFiles`` become the ConfigMap ``<app>-config`` (mounted read-only; its checksum is a
pod annotation, so a changed file rolls the pods), ``persistence`` becomes PersistentVolumeClaims
(``<app>-<name>``; a Deployment with one then uses the Recreate strategy) or, for a statefulset,
volumeClaimTemplates. With several nodes, pods of an app with more than one replica are spread
over nodes (``topologySpreadConstraints``, ScheduleAnyway).

:func:`app_files` returns ``(file name, template, context)`` triples; the engine adds the
Namespace, hand-written extras and the kustomization.yaml.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from msgspec import Struct

from gitops_gen.spec.models import App, AppSpec, Probe

SERVICE_PORT = 80
DEFAULT_PORT = 8080
HELM_REPOSITORY_INTERVAL = "24h"
HELM_RELEASE_INTERVAL = "30m"
CHART_INTERVAL = "12h"
REMEDIATION_RETRIES = 3
# kubelet's default probe timing; liveness gives up twice as late as readiness, so a slow pod
# leaves rotation long before it is restarted (lint's `probes` rule warns on the opposite)
DEFAULT_PROBE = {"periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3}
DEFAULT_LIVENESS_FAILURES = 6


class AppContext(Struct, frozen=True):
    """What the cluster decides for its apps."""

    issuer: str | None  # the platform's ClusterIssuer (default for TLS ingresses)
    ingress_class: str  # the platform's ingress controller class
    k8s_minor: int
    nodes: int  # number of nodes: pods are spread when there are several


File = tuple[str, str, dict[str, Any]]  # (file name, template, context)


def app_port(spec: AppSpec) -> int | None:
    """The container port named ``http``: the spec's, else 8080 for kinds that serve traffic."""
    if spec.port is not None:
        return spec.port
    return DEFAULT_PORT if spec.workload in ("web", "statefulset") else None


def labels_of(app: App) -> dict[str, str]:
    return {"app.kubernetes.io/name": app.metadata.name}


def app_files(app: App, ctx: AppContext) -> list[File]:
    """Every object of ``app`` except its Namespace, in the order Flux should apply them."""
    kind = app.spec.workload
    if kind == "helm":
        return _helm(app)
    files: list[File] = []
    files.extend(_config_and_claims(app))
    if kind in ("web", "worker"):
        files.append(("deployment.yaml", "deployment", _deployment(app, ctx)))
    elif kind == "statefulset":
        files.append(("statefulset.yaml", "statefulset", _statefulset(app, ctx)))
    else:
        files.append(("cronjob.yaml", "cronjob", _cronjob(app)))
    if kind in ("web", "statefulset"):
        files.append(("service.yaml", "service", _service(app)))
        if app.spec.ingress is not None:
            files.append(("ingress.yaml", "ingress", _ingress(app, ctx)))
    if app.spec.autoscaling is not None:
        files.append(("hpa.yaml", "horizontalpodautoscaler", _hpa(app)))
    if app.spec.disruptionBudget is not None:
        files.append(("pdb.yaml", "poddisruptionbudget", _pdb(app, ctx)))
    return files


# ------------------------------------------------------------------------------------ objects


def _config_and_claims(app: App) -> list[File]:
    s, name, labels = app.spec, app.metadata.name, labels_of(app)
    files: list[File] = []
    if s.configFiles is not None:
        data = dict(sorted(s.configFiles.files.items()))
        files.append(
            (
                "configmap.yaml",
                "configmap",
                {"name": f"{name}-config", "namespace": app.namespace, "labels": labels, "data": data},
            )
        )
    if s.workload != "statefulset":
        for p in s.persistence:
            files.append(
                (
                    f"pvc-{p.name}.yaml",
                    "persistentvolumeclaim",
                    {
                        "name": f"{name}-{p.name}",
                        "namespace": app.namespace,
                        "labels": labels,
                        "spec": _claim_spec(p.size, p.accessMode, p.storageClass),
                    },
                )
            )
    return files


def _claim_spec(size: str, access: str, storage_class: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": [access]}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    spec["resources"] = {"requests": {"storage": size}}
    return spec


def _workload_base(app: App) -> dict[str, Any]:
    labels = labels_of(app)
    return {
        "name": app.metadata.name,
        "namespace": app.namespace,
        "labels": labels,
        "selector": labels,
        "pod_annotations": _pod_annotations(app),
    }


def _deployment(app: App, ctx: AppContext) -> dict[str, Any]:
    s, a = app.spec, app.spec.autoscaling
    return {
        **_workload_base(app),
        "replicas": None if a is not None else s.replicas,
        "min_replicas": a.minReplicas if a is not None else None,
        "max_replicas": a.maxReplicas if a is not None else None,
        "recreate": any(p.accessMode in ("ReadWriteOnce", "ReadWriteOncePod") for p in s.persistence),
        "pod": pod_spec(app, ctx),
    }


def _statefulset(app: App, ctx: AppContext) -> dict[str, Any]:
    s = app.spec
    claims = [
        {"metadata": {"name": p.name}, "spec": _claim_spec(p.size, p.accessMode, p.storageClass)}
        for p in s.persistence
    ]
    return {
        **_workload_base(app),
        "service": app.metadata.name,
        "replicas": s.replicas,
        "pod": pod_spec(app, ctx),
        "claims": claims,
    }


def _cronjob(app: App) -> dict[str, Any]:
    cj = app.spec.cronjob
    assert cj is not None  # required for this kind by the spec loader
    return {
        **_workload_base(app),
        "schedule": cj.schedule,
        "time_zone": cj.timeZone,
        "concurrency_policy": cj.concurrencyPolicy,
        "suspend": cj.suspend,
        "successful_history": cj.successfulJobsHistoryLimit,
        "failed_history": cj.failedJobsHistoryLimit,
        "starting_deadline": cj.startingDeadlineSeconds,
        "backoff_limit": cj.backoffLimit,
        "active_deadline": cj.activeDeadlineSeconds,
        "pod": pod_spec(app, None, restart_policy=cj.restartPolicy),
    }


def _service(app: App) -> dict[str, Any]:
    s, labels = app.spec, labels_of(app)
    headless = s.workload == "statefulset"
    ports: list[dict[str, Any]] = [
        {"name": "http", "port": SERVICE_PORT, "targetPort": "http", "protocol": "TCP"}
    ]
    ports += [
        {"name": p.name, "port": p.port, "targetPort": p.name, "protocol": p.protocol}
        for p in s.ports
        if p.expose
    ]
    return {
        "name": app.metadata.name,
        "namespace": app.namespace,
        "labels": labels,
        "selector": labels,
        "ports": ports,
        "headless": headless,
    }


def _ingress(app: App, ctx: AppContext) -> dict[str, Any]:
    ing = app.spec.ingress
    assert ing is not None
    issuer = ing.issuer or ctx.issuer
    return {
        "name": app.metadata.name,
        "namespace": app.namespace,
        "labels": labels_of(app),
        "issuer": issuer if ing.tls else None,
        "class_name": ing.className or ctx.ingress_class,
        "tls": ing.tls,
        "host": ing.host,
        "tls_secret": f"{app.metadata.name}-tls",
        "path": ing.path,
        "service": app.metadata.name,
    }


def _hpa(app: App) -> dict[str, Any]:
    a = app.spec.autoscaling
    assert a is not None
    metrics = [
        (r, t)
        for r, t in (("cpu", a.targetCPUUtilization), ("memory", a.targetMemoryUtilization))
        if t is not None
    ]
    return {
        "name": app.metadata.name,
        "namespace": app.namespace,
        "labels": labels_of(app),
        "min_replicas": a.minReplicas,
        "max_replicas": a.maxReplicas,
        "metrics": metrics,
        "scale_up_window": a.scaleUpStabilizationSeconds,
        "scale_down_window": a.scaleDownStabilizationSeconds,
    }


def _pdb(app: App, ctx: AppContext) -> dict[str, Any]:
    pdb = app.spec.disruptionBudget
    assert pdb is not None
    labels = labels_of(app)
    return {
        "name": app.metadata.name,
        "namespace": app.namespace,
        "labels": labels,
        "selector": labels,
        "min_available": pdb.minAvailable,
        "max_unavailable": pdb.maxUnavailable,
        "unhealthy_pod_eviction_policy": "AlwaysAllow" if ctx.k8s_minor >= 31 else None,
    }


def _helm(app: App) -> list[File]:
    from gitops_gen.render.components import release_policy, values_reference
    from gitops_gen.render.engine import oci_ref

    chart = app.spec.chart
    assert chart is not None
    name, ns = app.metadata.name, app.namespace
    oci = chart.repository.startswith("oci://")
    if oci:
        source: File = (
            "repository.yaml",
            "ocirepository",
            {
                "name": name,
                "namespace": ns,
                "interval": CHART_INTERVAL,
                "url": f"{chart.repository.rstrip('/')}/{chart.name}",
                "ref": oci_ref(chart.version),
            },
        )
    else:
        source = (
            "repository.yaml",
            "helmrepository",
            {"name": name, "namespace": ns, "interval": HELM_REPOSITORY_INTERVAL, "url": chart.repository},
        )
    values_from = [values_reference(ref) for ref in chart.valuesFrom]
    release = {
        "name": name,
        "namespace": ns,
        "interval": HELM_RELEASE_INTERVAL,
        "timeout": "5m",
        "chart": chart.name,
        "version": chart.version,
        "repo_name": name,
        "repo_namespace": ns,
        "chart_interval": CHART_INTERVAL,
        "chart_ref": name if oci else None,
        "depends_on": [],
        "crds": None,
        "retries": REMEDIATION_RETRIES,
        "values": chart.values,
        "values_from": values_from,
        "notes": [f"The chart {chart.name} {chart.version} from {chart.repository}."],
        **dict(release_policy(chart)),
    }
    return [source, ("release.yaml", "helmrelease", release)]


# -------------------------------------------------------------------------------- pod template


def _pod_annotations(app: App) -> dict[str, str]:
    cf = app.spec.configFiles
    if cf is None:
        return {}
    digest = hashlib.sha256(json.dumps(cf.files, sort_keys=True).encode("utf-8")).hexdigest()
    return {"checksum/config": digest[:16]}


def _probe(probe: Probe, ports: list[dict[str, Any]], http_port: int | None) -> dict[str, Any]:
    handler: dict[str, Any]
    if probe.command is not None:
        handler = {"exec": {"command": list(probe.command)}}
    else:
        port: int | str = "http"
        if probe.port is not None and probe.port != http_port:
            port = next((p["name"] for p in ports if p["containerPort"] == probe.port), f"probe-{probe.port}")
            if not any(p["name"] == port for p in ports):
                ports.append({"name": port, "containerPort": probe.port, "protocol": "TCP"})
        handler = {"httpGet": {"path": probe.path or "/", "port": port}}
    return {
        **handler,
        "initialDelaySeconds": probe.initialDelaySeconds,
        "periodSeconds": probe.periodSeconds,
        "timeoutSeconds": probe.timeoutSeconds,
        "failureThreshold": probe.failureThreshold,
        "successThreshold": probe.successThreshold,
    }


def _probes(app: App, ports: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    s = app.spec
    http_port = app_port(s)
    out: list[tuple[str, dict[str, Any]]] = []
    given = {k: getattr(s.probes, k) for k in ("startup", "liveness", "readiness")}
    for kind, probe in given.items():
        if probe is not None:
            out.append((f"{kind}Probe", _probe(probe, ports, http_port)))
        elif kind == "startup":
            continue
        elif s.workload == "worker" and s.probes.liveness is not None:
            if kind == "readiness":
                # gate rollouts on the liveness check, without its tolerance
                body = _probe(s.probes.liveness, ports, http_port)
                body.update(initialDelaySeconds=0, failureThreshold=1, successThreshold=1)
                out.append(("readinessProbe", body))
        elif http_port is not None:
            # no probe in the spec: check that the app port accepts connections
            failures = DEFAULT_LIVENESS_FAILURES if kind == "liveness" else DEFAULT_PROBE["failureThreshold"]
            out.append(
                (
                    f"{kind}Probe",
                    {"tcpSocket": {"port": "http"}, **DEFAULT_PROBE, "failureThreshold": failures},
                )
            )
    return out


def pod_spec(app: App, ctx: AppContext | None, *, restart_policy: str | None = None) -> dict[str, Any]:
    """The pod template's ``spec`` (security defaults, container, volumes, spreading)."""
    s = app.spec
    sc = s.securityContext
    pod: dict[str, Any] = {"automountServiceAccountToken": False}
    if restart_policy is not None:
        pod["restartPolicy"] = restart_policy
    if s.imagePullSecret:
        pod["imagePullSecrets"] = [{"name": s.imagePullSecret}]
    pod_security: dict[str, Any] = {"runAsNonRoot": True, "runAsUser": sc.runAsUser}
    if sc.runAsGroup is not None:
        pod_security["runAsGroup"] = sc.runAsGroup
    if sc.fsGroup is not None:
        pod_security["fsGroup"] = sc.fsGroup
    pod_security["seccompProfile"] = {"type": "RuntimeDefault"}
    pod["securityContext"] = pod_security

    ports: list[dict[str, Any]] = []
    http_port = app_port(s)
    if http_port is not None:
        ports.append({"name": "http", "containerPort": http_port, "protocol": "TCP"})
    ports += [{"name": p.name, "containerPort": p.port, "protocol": p.protocol} for p in s.ports]
    probes = _probes(app, ports) if s.workload != "cronjob" else []

    container: dict[str, Any] = {"name": app.metadata.name, "image": s.image}
    if s.command is not None:
        container["command"] = list(s.command)
    if s.args is not None:
        container["args"] = list(s.args)
    if ports:
        container["ports"] = ports
    env = [_env(e) for e in s.env]
    if env:
        container["env"] = env
    if s.envFrom:
        container["envFrom"] = [
            {
                **({"prefix": e.prefix} if e.prefix else {}),
                **(
                    {"secretRef": {"name": e.secretRef}}
                    if e.secretRef
                    else {"configMapRef": {"name": e.configMapRef}}
                ),
            }
            for e in s.envFrom
        ]
    container["resources"] = _resources(s)
    for probe_name, body in probes:
        container[probe_name] = body
    container["securityContext"] = {
        "runAsNonRoot": True,
        "runAsUser": sc.runAsUser,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": sc.readOnlyRootFilesystem,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    mounts, volumes = _volumes(app)
    if mounts:
        container["volumeMounts"] = mounts
    pod["containers"] = [container]
    if volumes:
        pod["volumes"] = volumes
    if ctx is not None and ctx.nodes > 1 and _may_run_several(s):
        pod["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": labels_of(app)},
            }
        ]
    return pod


def _may_run_several(s: AppSpec) -> bool:
    return s.replicas > 1 or (s.autoscaling is not None and s.autoscaling.maxReplicas > 1)


def _env(e: Any) -> dict[str, Any]:
    if e.secretKeyRef is not None:
        ref = e.secretKeyRef
        key = "secretKeyRef"
    elif e.configMapKeyRef is not None:
        ref = e.configMapKeyRef
        key = "configMapKeyRef"
    else:
        return {"name": e.name, "value": e.value}
    body: dict[str, Any] = {"name": ref.name, "key": ref.key}
    if ref.optional is not None:
        body["optional"] = ref.optional
    return {"name": e.name, "valueFrom": {key: body}}


def _resources(s: AppSpec) -> dict[str, Any]:
    res: dict[str, Any] = {"requests": {}, "limits": {}}
    if s.resources is not None:
        for section in ("requests", "limits"):
            rl = getattr(s.resources, section)
            for key in ("cpu", "memory"):
                value = getattr(rl, key)
                if value is not None:
                    res[section][key] = value
    if not res["limits"]:
        del res["limits"]
    return res


def _volumes(app: App) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    s = app.spec
    mounts: list[dict[str, Any]] = []
    volumes: list[dict[str, Any]] = []
    if s.securityContext.readOnlyRootFilesystem:
        # a read-only root file system still needs a writable /tmp for most runtimes
        mounts.append({"name": "tmp", "mountPath": "/tmp"})
        volumes.append({"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}})
    if s.configFiles is not None:
        mounts.append({"name": "config", "mountPath": s.configFiles.mountPath, "readOnly": True})
        volumes.append({"name": "config", "configMap": {"name": f"{app.metadata.name}-config"}})
    for v in s.volumes:
        mount: dict[str, Any] = {"name": v.name, "mountPath": v.mountPath}
        if v.readOnly:
            mount["readOnly"] = True
        mounts.append(mount)
        if v.emptyDir is not None:
            empty: dict[str, Any] = {}
            if v.emptyDir.medium:
                empty["medium"] = v.emptyDir.medium
            if v.emptyDir.sizeLimit is not None:
                empty["sizeLimit"] = v.emptyDir.sizeLimit
            volumes.append({"name": v.name, "emptyDir": empty})
        elif v.secret is not None:
            volumes.append({"name": v.name, "secret": {"secretName": v.secret}})
        elif v.configMap is not None:
            volumes.append({"name": v.name, "configMap": {"name": v.configMap}})
        else:
            volumes.append({"name": v.name, "persistentVolumeClaim": {"claimName": v.persistentVolumeClaim}})
    for p in s.persistence:
        mounts.append({"name": p.name, "mountPath": p.mountPath})
        if s.workload != "statefulset":  # a StatefulSet's claims come from volumeClaimTemplates
            volumes.append(
                {"name": p.name, "persistentVolumeClaim": {"claimName": f"{app.metadata.name}-{p.name}"}}
            )
    return mounts, volumes
