"""velero (chart ``velero`` 12.1.x, vmware-tanzu/helm-charts; Velero 1.18).

Workloads (values.yaml at tag ``velero-12.1.0``): the server Deployment (``resources`` L70, no
defaults; replicas hard-coded 1 in templates/deployment.yaml L23), its plugin init container
(``initContainers`` L131: the object-store plugin copied into the pod), and with
``deployNodeAgent`` (L669) the node-agent DaemonSet (``nodeAgent.resources`` L682) that backs up
volumes file by file. The chart ships its CRDs in ``crds/``, so Flux's CRD policy applies and the
chart's own CRD-upgrade Job (``upgradeCRDs`` L380, a kubectl pod) is turned off.

The BackupStorageLocation and the Schedules are rendered by gitops-gen under
``infrastructure/configs/`` (``backupsEnabled``/``snapshotsEnabled`` false: the chart makes none),
so lint sees them and checks that each Schedule names a location that exists. The credentials
stay in the Secret ``storage.credentialsSecret`` (``credentials.existingSecret`` L642).
"""

from __future__ import annotations

from typing import Any

from gitops_gen.render.components import ChartRef, HelmComponent, apply_resources, resources
from gitops_gen.spec.models import Platform

DIR = "velero"
RELEASE = "velero"
NAMESPACE = "velero"
CHART = "velero"
REPO_NAME = "vmware-tanzu"
REPO_URL = "https://vmware-tanzu.github.io/helm-charts"
REF = ChartRef(DIR, RELEASE, NAMESPACE, CHART, REPO_NAME, REPO_URL)

RESOURCES = {
    "resources": resources("50m", "128Mi", "500m", "512Mi"),
    "nodeAgent.resources": resources("50m", "128Mi", "1", "1Gi"),
}
PLUGIN_RESOURCES = resources("10m", "32Mi", "100m", "64Mi")


def build(platform: Platform) -> HelmComponent | None:
    spec = platform.spec.components.velero
    if spec is None or not spec.enabled:
        return None
    values: dict[str, Any] = {
        "upgradeCRDs": False,
        "backupsEnabled": False,
        "snapshotsEnabled": False,
        "deployNodeAgent": spec.fsBackup,
        "credentials": {"useSecret": True, "existingSecret": spec.storage.credentialsSecret},
        "initContainers": [
            {
                "name": "velero-plugin-for-aws",
                "image": spec.pluginImage,
                "imagePullPolicy": "IfNotPresent",
                "volumeMounts": [{"mountPath": "/target", "name": "plugins"}],
                "resources": PLUGIN_RESOURCES,
            }
        ],
    }
    apply_resources(values, RESOURCES)
    if not spec.fsBackup:
        del values["nodeAgent"]
    return REF.component(
        spec.version,
        values,
        spec.values,
        "spec.components.velero",
        crds="CreateReplace",
        notes=(
            f"Backups go to the BackupStorageLocation {spec.storage.name} (infrastructure/configs); "
            f"the Secret {spec.storage.credentialsSecret} in {NAMESPACE} holds the store's credentials.",
        ),
    )
