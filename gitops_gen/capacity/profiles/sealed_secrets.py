"""sealed-secrets chart 2.18.5 (controller 0.36.6, bitnami-labs/sealed-secrets).

Facts from ``../shared/design/chart-defaults.md`` §5 (helm/sealed-secrets/values.yaml at tag
``helm-v2.18.5``, commit e12ae82):

* controller Deployment: ``createController`` L61 true; replicas **hard-coded 1**
  (templates/deployment.yaml L16, no values key); ``resources`` L191-193 with empty ``limits`` and
  ``requests``.
* ``fullnameOverride`` L11 ``""``: the chart names the controller ``sealed-secrets`` (kubeseal looks for
  ``sealed-secrets-controller``).
"""

from __future__ import annotations

from gitops_gen.capacity.profiles._base import Footprint, Release, Values, workload

CHART = "sealed-secrets"
VERSION = "2.18.5"
SOURCE = "bitnami-labs/sealed-secrets @ helm-v2.18.5 (e12ae821), helm/sealed-secrets/values.yaml"
SPEC_COMPONENT = "sealedSecrets"

DEFAULTS: dict[str, object] = {
    "createController": True,  # L61
    "resources": {"limits": {}, "requests": {}},  # L191-193
    "fullnameOverride": "",  # L11
}


def footprint(v: Values, rel: Release) -> Footprint:
    fp = Footprint()
    if v.enabled("createController", True):
        fp.workloads.append(
            workload(
                rel,
                v,
                component="controller",
                kind="Deployment",
                name=rel.fullname(v),
                containers=[v.container("controller", "resources")],
                replicas=1,
                replicas_path="(hard-coded 1)",
            )
        )
    return fp
