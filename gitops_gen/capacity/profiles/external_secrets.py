"""external-secrets chart 2.9.0 (external-secrets/external-secrets).

Facts from deploy/charts/external-secrets/values.yaml at tag ``helm-chart-2.9.0`` (commit cc5bfbc):

* controller Deployment: ``createOperator`` L179 true; ``replicaCount`` L36 1; ``resources`` L287 ``{}``.
* webhook Deployment: ``webhook.create`` L495 true; ``webhook.replicaCount`` L500 1;
  ``webhook.resources`` L744 ``{}``.
* cert-controller Deployment: ``certController.create`` L765 true; ``certController.replicaCount``
  L767 1; ``certController.resources`` L956 ``{}``.
"""

from __future__ import annotations

from gitops_gen.capacity.profiles._base import Footprint, Release, Values, workload

CHART = "external-secrets"
VERSION = "2.9.0"
SOURCE = "external-secrets/external-secrets @ helm-chart-2.9.0 (cc5bfbc2), deploy/charts/external-secrets/values.yaml"
SPEC_COMPONENT = "externalSecrets"

DEFAULTS: dict[str, object] = {
    "createOperator": True,  # L179
    "replicaCount": 1,  # L36
    "resources": {},  # L287
    "webhook": {"create": True, "replicaCount": 1, "resources": {}},  # L495, L500, L744
    "certController": {"create": True, "replicaCount": 1, "resources": {}},  # L765, L767, L956
}


def footprint(v: Values, rel: Release) -> Footprint:
    fp = Footprint()
    full = rel.fullname(v)
    parts = (
        ("controller", "createOperator", full, "replicaCount", "resources"),
        ("webhook", "webhook.create", f"{full}-webhook", "webhook.replicaCount", "webhook.resources"),
        (
            "cert-controller",
            "certController.create",
            f"{full}-cert-controller",
            "certController.replicaCount",
            "certController.resources",
        ),
    )
    for component, switch, name, replicas, res in parts:
        if not v.enabled(switch, True):
            continue
        fp.workloads.append(
            workload(
                rel,
                v,
                component=component,
                kind="Deployment",
                name=name,
                containers=[v.container(component, res)],
                replicas=v.integer(replicas, 1),
                replicas_path=replicas,
            )
        )
    return fp
