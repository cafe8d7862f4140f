"""velero chart 12.1.0 (Velero 1.18.1, vmware-tanzu/helm-charts).

Facts from charts/velero at tag ``velero-12.1.0`` (commit 73466ca):

* server Deployment: replicas **hard-coded 1** (templates/deployment.yaml L23); ``resources``
  values.yaml L70 ``{}``; ``initContainers`` L131 (plugin images, each with its own
  ``resources``; none by default).
* node-agent DaemonSet: ``deployNodeAgent`` L669 false; ``nodeAgent.resources`` L682 ``{}``.
* CRD upgrade Job (a helm hook running kubectl): ``upgradeCRDs`` L380 true, ``kubectl.resources``
  L369 ``{}``.
* ``fullnameOverride``: the server is named ``velero`` for a release named velero (_helpers.tpl L14).
"""

from __future__ import annotations

from typing import Any

from gitops_gen.capacity.model import Container, parse_resources
from gitops_gen.capacity.profiles._base import Footprint, Release, Values, workload

CHART = "velero"
VERSION = "12.1.0"
SOURCE = "vmware-tanzu/helm-charts @ velero-12.1.0 (73466ca9), charts/velero/values.yaml"
SPEC_COMPONENT = "velero"

DEFAULTS: dict[str, object] = {
    "resources": {},  # L70
    "initContainers": None,  # L131
    "upgradeCRDs": True,  # L380
    "kubectl": {"resources": {}},  # L369
    "deployNodeAgent": False,  # L669
    "nodeAgent": {"resources": {}},  # L682
}


def _init_containers(v: Values) -> list[Container]:
    raw: Any = v.get("initContainers", None)
    out: list[Container] = []
    if not isinstance(raw, list):  # a string is a template: its resources are not known here
        return out
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        path = f"initContainers[{i}].resources"
        req, lim, problems = parse_resources(item.get("resources"))
        v.problems.extend(f"values.{path}: {p}; treated as unset" for p in problems)
        out.append(Container(str(item.get("name", f"init-{i}")), req, lim, path, init=True))
    return out


def footprint(v: Values, rel: Release) -> Footprint:
    fp = Footprint()
    full = rel.fullname(v)
    server = [*_init_containers(v), v.container("velero", "resources")]
    fp.workloads.append(
        workload(
            rel,
            v,
            component="server",
            kind="Deployment",
            name=full,
            containers=server,
            replicas=1,
            replicas_path="(hard-coded 1)",
        )
    )
    if v.enabled("deployNodeAgent"):
        fp.workloads.append(
            workload(
                rel,
                v,
                component="node-agent",
                kind="DaemonSet",
                name="node-agent",
                containers=[v.container("node-agent", "nodeAgent.resources")],
                replicas_path="deployNodeAgent",
            )
        )
    if v.enabled("upgradeCRDs", True):
        fp.workloads.append(
            workload(
                rel,
                v,
                component="upgrade-crds",
                kind="Job",
                name=f"{full}-upgrade-crds",
                containers=[v.container("velero", "kubectl.resources")],
                transient=True,
                replicas_path="upgradeCRDs",
            )
        )
    return fp
