"""cert-manager chart v1.21.1 (the chart version is the release tag).

Facts from ``../shared/design/chart-defaults.md`` §4 (deploy/charts/cert-manager/values.yaml at tag
``v1.21.1``, commit 24e3319):

* controller Deployment: ``replicaCount`` L129 1, ``resources`` L419 ``{}``.
* webhook Deployment: ``webhook.replicaCount`` L765 1, ``webhook.resources`` L938 ``{}``.
* cainjector Deployment: ``cainjector.enabled`` L1181 true, ``cainjector.replicaCount`` L1192 1,
  ``cainjector.resources`` L1351 ``{}``.
* startupapicheck Job (post-install hook): ``startupapicheck.enabled`` L1536,
  ``startupapicheck.resources`` L1609 ``{}``.
* ACME HTTP-01 solver pods, created per challenge at run time, with the controller's flag defaults
  (internal/apis/config/controller/v1alpha1/defaults.go L95-98): requests 10m / 64Mi, limits
  100m / 64Mi. If one does not fit, certificates are never issued.
"""

from __future__ import annotations

from gitops_gen.capacity.model import Container, Res
from gitops_gen.capacity.profiles._base import MI, Footprint, Release, Values, workload

CHART = "cert-manager"
VERSION = "v1.21.1"
SOURCE = "cert-manager/cert-manager @ v1.21.1 (24e33194), deploy/charts/cert-manager/values.yaml"
SPEC_COMPONENT = "certManager"

DEFAULTS: dict[str, object] = {
    "replicaCount": 1,  # L129
    "resources": {},  # L419
    "webhook": {"replicaCount": 1, "resources": {}},  # L765, L938
    "cainjector": {"enabled": True, "replicaCount": 1, "resources": {}},  # L1181, L1192, L1351
    "startupapicheck": {"enabled": True, "resources": {}},  # L1536, L1609
}

ACME_SOLVER = Container(
    "acmesolver",
    Res(10, 64 * MI),
    Res(100, 64 * MI),
    "controller flags --acme-http01-solver-resource-request-cpu/-memory",
)


def footprint(v: Values, rel: Release) -> Footprint:
    fp = Footprint()
    full = rel.fullname(v)
    fp.workloads.append(
        workload(
            rel,
            v,
            component="controller",
            kind="Deployment",
            name=full,
            containers=[v.container("cert-manager-controller", "resources")],
            replicas=v.integer("replicaCount", 1),
            replicas_path="replicaCount",
        )
    )
    fp.workloads.append(
        workload(
            rel,
            v,
            component="webhook",
            kind="Deployment",
            name=f"{full}-webhook",
            containers=[v.container("cert-manager-webhook", "webhook.resources")],
            replicas=v.integer("webhook.replicaCount", 1),
            replicas_path="webhook.replicaCount",
        )
    )
    if v.enabled("cainjector.enabled", True):
        fp.workloads.append(
            workload(
                rel,
                v,
                component="cainjector",
                kind="Deployment",
                name=f"{full}-cainjector",
                containers=[v.container("cert-manager-cainjector", "cainjector.resources")],
                replicas=v.integer("cainjector.replicaCount", 1),
                replicas_path="cainjector.replicaCount",
            )
        )
    if v.enabled("startupapicheck.enabled", True):
        fp.workloads.append(
            workload(
                rel,
                v,
                component="startupapicheck",
                kind="Job",
                name=f"{full}-startupapicheck",
                containers=[v.container("cert-manager-startupapicheck", "startupapicheck.resources")],
                transient=True,
                replicas_path="startupapicheck.enabled",
            )
        )
    fp.workloads.append(
        workload(
            rel,
            v,
            component="acme-solver",
            kind="Pod",
            name="cm-acme-http-solver",
            containers=[ACME_SOLVER],
            transient=True,
            notes=["one pod per pending ACME HTTP-01 challenge, in the namespace of the Certificate"],
        )
    )
    return fp
