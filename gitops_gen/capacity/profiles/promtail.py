"""promtail chart 6.17.1 (Promtail 3.5.1; the chart is deprecated upstream).

Facts from ``../shared/design/chart-defaults.md`` §3 (charts/promtail/values.yaml at tag
``promtail-6.17.1``, commit b68e016):

* DaemonSet: ``daemonset.enabled`` L15 true; ``resources`` L155 ``{}`` (one pod per node, no requests).
* Deployment alternative: ``deployment.enabled`` L50 false, ``deployment.replicaCount`` L51 1, same
  ``resources``.
* config-reloader sidecar: ``sidecar.configReloader.enabled`` L596 false, ``…resources`` L624 ``{}``.
"""

from __future__ import annotations

from gitops_gen.capacity.model import Container
from gitops_gen.capacity.profiles._base import Footprint, Release, Values, workload

CHART = "promtail"
VERSION = "6.17.1"
SOURCE = "grafana/helm-charts @ promtail-6.17.1 (b68e0168), charts/promtail/values.yaml"
SPEC_COMPONENT = "logging.promtail"

DEFAULTS: dict[str, object] = {
    "daemonset": {"enabled": True},  # L15
    "deployment": {"enabled": False, "replicaCount": 1},  # L50, L51
    "resources": {},  # L155
    "sidecar": {"configReloader": {"enabled": False, "resources": {}}},  # L596, L624
}


def footprint(v: Values, rel: Release) -> Footprint:
    fp = Footprint()
    full = rel.fullname(v)

    def containers() -> list[Container]:
        out = [v.container("promtail", "resources")]
        if v.enabled("sidecar.configReloader.enabled"):
            out.append(v.container("config-reloader", "sidecar.configReloader.resources"))
        return out

    if v.enabled("daemonset.enabled", True):
        fp.workloads.append(
            workload(
                rel,
                v,
                component="promtail",
                kind="DaemonSet",
                name=full,
                containers=containers(),
                replicas_path="daemonset.enabled",
            )
        )
    if v.enabled("deployment.enabled"):
        max_replicas = None
        if v.enabled("deployment.autoscaling.enabled"):
            max_replicas = v.integer("deployment.autoscaling.maxReplicas", 10)
        fp.workloads.append(
            workload(
                rel,
                v,
                component="promtail",
                kind="Deployment",
                name=full,
                containers=containers(),
                replicas=v.integer("deployment.replicaCount", 1),
                max_replicas=max_replicas,
                replicas_path="deployment.replicaCount",
            )
        )
    return fp
