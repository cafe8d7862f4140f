"""bjw-s app-template (3.x, 4.x, 5.x): the release's values are the workloads.

The chart ships no defaults that create pods (``../shared/design/app-template.md`` §1.1-§1.2), so the
footprint is read from the values alone, by :mod:`gitops_gen.k8s.app_template` (the one reading, shared
with lint). Per controller:

* Deployment / StatefulSet: ``replicas`` (absent -> 1; ``null`` -> an autoscaler decides: counted as 1
  and said so, §2.2-§2.5; a 5.x ``horizontalPodAutoscaler`` counts at its maxReplicas);
  a Deployment rolls out with ``Recreate`` unless ``strategy: RollingUpdate`` (then 25% surge, §2.6);
* DaemonSet: one pod per node (§2.4);
* CronJob / Job: transient pods, ``parallelism`` per run (§2.4);
* containers and init containers with the controller's ``defaultContainerOptions`` applied (§2.11);
  sidecars (init containers with ``restartPolicy: Always``) run beside the app (§2.13).
"""

from __future__ import annotations

from gitops_gen.capacity.model import Container, parse_resources
from gitops_gen.capacity.profiles._base import Footprint, Release, Values, workload
from gitops_gen.k8s import app_template
from gitops_gen.k8s.model import FieldPath

CHART = "app-template"
VERSION = "4.1.1"
VERSIONS = app_template.SUPPORTED
SOURCE = "bjw-s-labs/helm-charts @ app-template-4.1.1 / common-4.1.1 (and 3.7.3); see ../shared/design/app-template.md"
SPEC_COMPONENT = ""

DEFAULTS: dict[str, object] = {}  # app-template's values.yaml is empty; common's creates no controller (§1.2)


def supports(version: str) -> bool:
    """Majors 3, 4 and 5 (the profile reads all three; §5 lists their differences)."""
    return app_template.major_of(version) in (3, 4, 5) and any(ch.isdigit() for ch in version)


def _dotted(path: FieldPath) -> str:
    return ".".join(str(p) for p in path)


def footprint(v: Values, rel: Release) -> Footprint:
    fp = Footprint()
    ctrls = app_template.read(
        dict(v.data), release=rel.name, namespace=rel.namespace, major=app_template.major_of(rel.version)
    )
    if not ctrls:
        fp.notes.append("no enabled controllers in the values: the release runs no pods")
    for ctrl in ctrls:
        fp.notes.extend(ctrl.notes)
        containers: list[Container] = []
        for c in ctrl.containers:
            where = _dotted(c.origins.get("resources", (*c.path, "resources")))
            req, lim, problems = parse_resources(c.container.get("resources"))
            v.problems.extend(f"values.{where}: {p}; treated as unset" for p in problems)
            containers.append(Container(c.name, req, lim, where, init=c.init, sidecar=c.sidecar))
        notes: list[str] = []
        replicas, max_replicas = ctrl.replicas, None
        if ctrl.autoscaler is not None:
            lo, hi = ctrl.autoscaler
            replicas = lo if lo is not None else 1
            max_replicas = hi
        elif replicas is None:
            replicas = 1
            notes.append(
                f"controllers.{ctrl.ident}.replicas is null (an autoscaler decides): counted as 1 pod; "
                "the HorizontalPodAutoscaler's maxReplicas is not known here"
            )
        surge = 0
        if ctrl.kind == "Deployment" and ctrl.strategy == "RollingUpdate":
            top = max_replicas if max_replicas is not None else replicas
            surge = -(-25 * top // 100) if top else 0
        fp.workloads.append(
            workload(
                rel,
                v,
                component=ctrl.ident,
                kind=ctrl.kind,
                name=ctrl.name,
                containers=containers,
                replicas=ctrl.parallelism if ctrl.kind in ("Job", "CronJob") else replicas,
                replicas_path=_dotted(ctrl.replicas_path),
                max_replicas=max_replicas,
                transient=ctrl.kind in ("Job", "CronJob"),
                surge=surge,
                notes=notes,
            )
        )
    return fp
