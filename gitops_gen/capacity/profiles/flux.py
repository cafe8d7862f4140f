"""Flux's own controllers, installed by ``flux bootstrap`` rather than by the repository.

A Flux repository holds ``clusters/<cluster>/flux-system/gotk-sync.yaml`` (the ``flux-system``
GitRepository and Kustomization) from the start, but ``gotk-components.yaml`` (the controllers'
Deployments) only appears once ``flux bootstrap`` has run and committed it. Until then the
controllers still run on the cluster, so the budget counts them as the component
**"Flux (flux bootstrap)"** when the inputs have a ``flux-system`` GitRepository or Kustomization
but no Flux controller Deployment. When ``gotk-components.yaml`` is among the inputs, its
Deployments are counted as plain workloads (with whatever patches the repository applies) and
nothing is added here, so nothing is counted twice.

The default components of ``flux bootstrap`` (``--components``: source-, kustomize-, helm- and
notification-controller; the image automation controllers are opt-in ``--components-extra``).
Requests and limits as set in each controller's ``config/manager/deployment.yaml``, which the
fluxcd/flux2 ``manifests/bases`` take unchanged into ``gotk-components.yaml``:

* fluxcd/source-controller ``config/manager/deployment.yaml``: requests 50m / 64Mi, limits
  1000m / 1Gi, ``strategy: Recreate`` (no surge: it holds the artifact storage);
* fluxcd/kustomize-controller, fluxcd/helm-controller, fluxcd/notification-controller
  ``config/manager/deployment.yaml``: requests 100m / 64Mi, limits 1000m / 1Gi, RollingUpdate.

One replica each. Total: 4 pods, 350m CPU / 256Mi requested, 4 CPU / 4Gi limits.
"""

from __future__ import annotations

from collections.abc import Iterable

from gitops_gen.capacity.model import Container, Owner, Res, Workload
from gitops_gen.capacity.profiles._base import MI
from gitops_gen.k8s.model import Resource

SOURCE = (
    "fluxcd/{source,kustomize,helm,notification}-controller config/manager/deployment.yaml "
    "(as shipped in fluxcd/flux2 manifests/bases -> gotk-components.yaml)"
)
NAMESPACE = "flux-system"
COMPONENT = "Flux (flux bootstrap)"
# name -> (requests cpu millis, requests memory, limits cpu millis, limits memory, Recreate strategy)
CONTROLLERS: dict[str, tuple[int, int, int, int, bool]] = {
    "source-controller": (50, 64 * MI, 1000, 1024 * MI, True),
    "kustomize-controller": (100, 64 * MI, 1000, 1024 * MI, False),
    "helm-controller": (100, 64 * MI, 1000, 1024 * MI, False),
    "notification-controller": (100, 64 * MI, 1000, 1024 * MI, False),
}
# every controller flux installs (default and extra components): any of them means gotk-components is here
ALL_CONTROLLERS = frozenset(CONTROLLERS) | {
    "image-reflector-controller",
    "image-automation-controller",
    "source-watcher",
}
_SYNC_GROUPS = ("source.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io")


def bootstrap_workloads(resources: Iterable[Resource]) -> list[Workload]:
    """The Flux controllers ``flux bootstrap`` will run, when the inputs sync from ``flux-system``
    but do not hold the controllers' Deployments (see the module doc); else nothing."""
    anchor: Resource | None = None
    for r in resources:
        if r.kind == "Deployment" and r.name in ALL_CONTROLLERS and r.namespace in (NAMESPACE, ""):
            return []  # gotk-components.yaml is among the inputs: counted as plain workloads
        if (
            anchor is None
            and r.namespace == NAMESPACE
            and r.name == NAMESPACE
            and r.kind in ("GitRepository", "Kustomization", "OCIRepository")
            and r.group in _SYNC_GROUPS
        ):
            anchor = r
    if anchor is None:
        return []
    owner = Owner(label=COMPONENT, resource=anchor, group=COMPONENT)
    out: list[Workload] = []
    for name, (cpu, mem, cpu_lim, mem_lim, recreate) in CONTROLLERS.items():
        out.append(
            Workload(
                name=name,
                component=name,
                kind="Deployment",
                namespace=NAMESPACE,
                owner=owner,
                containers=[
                    Container("manager", Res(cpu, mem), Res(cpu_lim, mem_lim), "gotk-components.yaml")
                ],
                replicas=1,
                surge=0 if recreate else 1,
                fix="patch its resources in clusters/<cluster>/flux-system/kustomization.yaml after `flux bootstrap`",
                notes=[
                    f"installed by `flux bootstrap` (gotk-components.yaml is not among the inputs); {SOURCE}"
                ],
            )
        )
    return out
