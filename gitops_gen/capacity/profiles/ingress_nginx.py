"""ingress-nginx chart 4.15.1 (controller 1.15.1; upstream retired the project in March 2026).

Facts from ``../shared/design/chart-defaults.md`` §6 (values.yaml at tag ``helm-chart-4.15.1``,
commit 0a5901f):

* controller: ``controller.kind`` L226 Deployment (DaemonSet and Both also exist),
  ``controller.replicaCount`` L384 1, ``controller.resources`` L397-403 requests cpu 100m /
  memory 90Mi and no limits; ``controller.autoscaling.enabled`` L413 false;
  ``controller.hostNetwork`` L107 false.
* ``controller.service.type`` L506 LoadBalancer, on ports 80/443: on K3s its svclb pods need host
  ports 80 and 443, which Traefik's svclb already holds unless Traefik or ServiceLB is disabled.
* admission-webhook Jobs (pre-install/pre-upgrade hooks): ``controller.admissionWebhooks.enabled``
  L761, ``….patch.enabled`` L849, ``….createSecretJob.resources`` L804 and
  ``….patchWebhookJob.resources`` L837 ``{}``.
* default backend off: ``defaultBackend.enabled`` L1027 false, ``replicaCount`` L1169 1,
  ``resources`` L1178 ``{}``.

Not in chart-defaults.md, taken from the same values.yaml: ``controller.autoscaling.maxReplicas`` 11,
``controller.service.ports`` http 80 / https 443, ``controller.hostPort.ports`` 80/443.
"""

from __future__ import annotations

from gitops_gen.capacity.profiles._base import Footprint, LoadBalancer, Release, Values, workload

CHART = "ingress-nginx"
VERSION = "4.15.1"
SOURCE = "kubernetes/ingress-nginx @ helm-chart-4.15.1 (0a5901f3), charts/ingress-nginx/values.yaml"
SPEC_COMPONENT = "ingressNginx"

DEFAULTS: dict[str, object] = {
    "controller": {
        "kind": "Deployment",  # L226
        "replicaCount": 1,  # L384
        "resources": {"requests": {"cpu": "100m", "memory": "90Mi"}},  # L397-403
        "autoscaling": {"enabled": False, "minReplicas": 1, "maxReplicas": 11},  # L413
        "hostNetwork": False,  # L107
        "hostPort": {"enabled": False, "ports": {"http": 80, "https": 443}},
        "service": {
            "enabled": True,
            "type": "LoadBalancer",  # L506
            "enableHttp": True,
            "enableHttps": True,
            "ports": {"http": 80, "https": 443},
        },
        "containerPort": {"http": 80, "https": 443},
        "admissionWebhooks": {
            "enabled": True,  # L761
            "createSecretJob": {"resources": {}},  # L804
            "patchWebhookJob": {"resources": {}},  # L837
            "patch": {"enabled": True},  # L849
        },
    },
    "defaultBackend": {"enabled": False, "replicaCount": 1, "resources": {}},  # L1027, L1169, L1178
}


def footprint(v: Values, rel: Release) -> Footprint:
    fp = Footprint()
    full = rel.fullname(v)
    kind = v.text("controller.kind", "Deployment")
    kinds = (
        ["Deployment", "DaemonSet"]
        if kind == "Both"
        else ["DaemonSet" if kind == "DaemonSet" else "Deployment"]
    )
    ports: list[tuple[int, str]] = []
    if v.enabled("controller.hostNetwork"):
        ports += [
            (v.integer("controller.containerPort.http", 80), "TCP"),
            (v.integer("controller.containerPort.https", 443), "TCP"),
        ]
    elif v.enabled("controller.hostPort.enabled"):
        ports += [
            (v.integer("controller.hostPort.ports.http", 80), "TCP"),
            (v.integer("controller.hostPort.ports.https", 443), "TCP"),
        ]
    for k in kinds:
        max_replicas = None
        replicas = v.integer("controller.replicaCount", 1)
        if k == "Deployment" and v.enabled("controller.autoscaling.enabled"):
            replicas = v.integer("controller.autoscaling.minReplicas", 1)
            max_replicas = v.integer("controller.autoscaling.maxReplicas", 11)
        fp.workloads.append(
            workload(
                rel,
                v,
                component="controller",
                kind=k,
                name=f"{full}-controller",
                containers=[v.container("controller", "controller.resources")],
                replicas=replicas,
                max_replicas=max_replicas,
                host_ports=tuple(ports),
                replicas_path=(
                    "controller.autoscaling.maxReplicas"
                    if max_replicas is not None
                    else "controller.replicaCount"
                ),
            )
        )
    hooks = "controller.admissionWebhooks"
    if v.enabled(f"{hooks}.enabled", True) and v.enabled(f"{hooks}.patch.enabled", True):
        for comp, key in (("admission-create", "createSecretJob"), ("admission-patch", "patchWebhookJob")):
            fp.workloads.append(
                workload(
                    rel,
                    v,
                    component=comp,
                    kind="Job",
                    name=f"{full}-{comp}",
                    containers=[v.container(comp.split("-")[1], f"{hooks}.{key}.resources")],
                    transient=True,
                    replicas_path=f"{hooks}.patch.enabled",
                )
            )
    if v.enabled("defaultBackend.enabled"):
        fp.workloads.append(
            workload(
                rel,
                v,
                component="default-backend",
                kind="Deployment",
                name=f"{full}-defaultbackend",
                containers=[v.container("default-backend", "defaultBackend.resources")],
                replicas=v.integer("defaultBackend.replicaCount", 1),
                replicas_path="defaultBackend.replicaCount",
            )
        )
    if v.enabled("controller.service.enabled", True) and v.text("controller.service.type") == "LoadBalancer":
        lb_ports: list[tuple[int, str]] = []
        if v.enabled("controller.service.enableHttp", True):
            lb_ports.append((v.integer("controller.service.ports.http", 80), "TCP"))
        if v.enabled("controller.service.enableHttps", True):
            lb_ports.append((v.integer("controller.service.ports.https", 443), "TCP"))
        if lb_ports:
            fp.load_balancers.append(
                LoadBalancer(
                    f"{full}-controller", rel.namespace, tuple(lb_ports), rel.owner, "controller.service.type"
                )
            )
    return fp
