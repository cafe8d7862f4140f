"""Day-2 operations rendered from the specs (issue 16 items 4-6): image automation, backups and
external secrets. Each is off unless the spec asks for it.

Image automation (``App.spec.autoUpdate``)
    ``apps/<cluster>/<app>/image-automation.yaml``: an ImageRepository and an ImagePolicy named
    after the app in ``flux-system``, where the cluster's one ImageUpdateAutomation
    (``infrastructure/configs/image-update-automation.yaml``) finds them: image-automation-controller
    only applies the policies of its own namespace. The workload's image line carries the setter
    marker ``# {"$imagepolicy": "flux-system:<app>"}``; the automation commits new tags in the
    SemVer range to ``spec.git.branch``.
Backups (``spec.components.velero``, ``App.spec.backup``)
    the BackupStorageLocation (credentials from a Secret) and the platform's namespace Schedules
    under ``infrastructure/configs/``; an app's ``backup`` becomes a Schedule of its namespace (``apps/<cluster>/<app>/backup-schedule.yaml``). With ``fsBackup`` the Schedules back
    up volumes file by file (``defaultVolumesToFsBackup``).
External secrets (``spec.components.externalSecrets``, ``App.spec.externalSecrets``)
    the ClusterSecretStore under ``infrastructure/configs/``; each app entry becomes an
    ExternalSecret in the app's namespace, producing the Secret of that name.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gitops_gen.spec.models import App, AppBackup, Platform, Velero

FLUX_NAMESPACE = "flux-system"
VELERO_NAMESPACE = "velero"
IMAGE_API = "image.toolkit.fluxcd.io/v1"
VELERO_API = "velero.io/v1"
ESO_API = "external-secrets.io/v1"

Obj = dict[str, Any]
ObjFile = tuple[str, list[Obj], list[str]]  # (file name, objects, comment lines)


def image_repository(image: str) -> str:
    """The repository part of an image reference (no tag, no digest)."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return ref[: len(ref) - len(last)] + last.split(":", 1)[0]


def marker(app: App) -> str:
    return json.dumps({"$imagepolicy": f"{FLUX_NAMESPACE}:{app.metadata.name}"})


def add_marker(text: str, app: App) -> str:
    """``text`` (a rendered workload) with the setter marker on the line of the app's image."""
    if app.spec.autoUpdate is None or app.spec.image is None:
        return text
    line = re.compile(r"^(\s*(?:- )?image: )" + re.escape(app.spec.image) + r"$", re.M)
    return line.sub(lambda m: f"{m.group(0)} # {marker(app)}", text)


def _schedule(
    name: str, velero: Velero, schedule: str, ttl: str, namespaces: list[str], location: str | None
) -> Obj:
    template: Obj = {"includedNamespaces": namespaces, "storageLocation": location or velero.storage.name}
    template["ttl"] = ttl
    if velero.fsBackup:
        template["defaultVolumesToFsBackup"] = True
    return {
        "apiVersion": VELERO_API,
        "kind": "Schedule",
        "metadata": {"name": name, "namespace": VELERO_NAMESPACE},
        "spec": {"schedule": schedule, "useOwnerReferencesInBackup": False, "template": template},
    }


def config_files(platform: Platform, apps: list[App]) -> list[ObjFile]:
    """The day-2 objects of ``infrastructure/configs/``."""
    comps = platform.spec.components
    files: list[ObjFile] = []
    velero = comps.velero
    if velero is not None and velero.enabled:
        st = velero.storage
        config: dict[str, str] = {"region": st.region}
        if st.s3Url is not None:
            config |= {"s3Url": st.s3Url, "s3ForcePathStyle": "true"}
        object_storage: dict[str, str] = {"bucket": st.bucket}
        if st.prefix is not None:
            object_storage["prefix"] = st.prefix
        bsl: Obj = {
            "apiVersion": VELERO_API,
            "kind": "BackupStorageLocation",
            "metadata": {"name": st.name, "namespace": VELERO_NAMESPACE},
            "spec": {
                "provider": st.provider,
                "default": True,
                "objectStorage": object_storage,
                "config": config,
                "credential": {"name": st.credentialsSecret, "key": st.credentialsKey},
            },
        }
        files.append(
            (
                "backup-storage-location.yaml",
                [bsl],
                [
                    f"Velero's backups go to s3://{st.bucket}; credentials: Secret {VELERO_NAMESPACE}/"
                    f"{st.credentialsSecret}, key {st.credentialsKey} (never in git)."
                ],
            )
        )
        schedules = [
            _schedule(s.name, velero, s.schedule, s.ttl, list(s.namespaces), s.storageLocation)
            for s in velero.schedules
        ]
        if schedules:
            files.append(("backup-schedules.yaml", schedules, ["Velero Schedules of whole namespaces."]))
    eso = comps.externalSecrets
    if eso is not None and eso.enabled:
        store: Obj = {
            "apiVersion": ESO_API,
            "kind": "ClusterSecretStore",
            "metadata": {"name": eso.store.name},
            "spec": {"provider": eso.store.provider},
        }
        if eso.store.refreshInterval:
            store["spec"]["refreshInterval"] = eso.store.refreshInterval
        files.append(("cluster-secret-store.yaml", [store], ["Where the apps' ExternalSecrets read from."]))
    if any(a.spec.autoUpdate is not None and a.spec.image is not None for a in apps):
        git = platform.spec.git
        automation: Obj = {
            "apiVersion": IMAGE_API,
            "kind": "ImageUpdateAutomation",
            "metadata": {"name": "apps", "namespace": FLUX_NAMESPACE},  # same in every cluster
            "spec": {
                "interval": "30m",
                "sourceRef": {"kind": "GitRepository", "name": FLUX_NAMESPACE},
                "git": {
                    "checkout": {"ref": {"branch": git.branch}},
                    "commit": {
                        "author": {"name": "fluxcdbot", "email": "fluxcdbot@users.noreply.github.com"},
                        "messageTemplate": "Update images of {{ .AutomationObject }}",
                    },
                    "push": {"branch": git.branch},
                },
                "update": {"path": "./", "strategy": "Setters"},
            },
        }
        files.append(
            (
                "image-update-automation.yaml",
                [automation],
                [
                    "Commits the tags chosen by the ImagePolicies of flux-system to the image lines whose "
                    "setter marker names them (flux-system:<app>)."
                ],
            )
        )
    return files


def app_files(app: App, platform: Platform) -> list[ObjFile]:
    """The day-2 objects of one app's directory."""
    s, name = app.spec, app.metadata.name
    files: list[ObjFile] = []
    if s.autoUpdate is not None and s.image is not None:
        repo: Obj = {
            "apiVersion": IMAGE_API,
            "kind": "ImageRepository",
            "metadata": {"name": name, "namespace": FLUX_NAMESPACE},
            "spec": {"image": image_repository(s.image), "interval": s.autoUpdate.interval},
        }
        if s.autoUpdate.secretRef is not None:
            repo["spec"]["secretRef"] = {"name": s.autoUpdate.secretRef}
        policy: Obj = {
            "apiVersion": IMAGE_API,
            "kind": "ImagePolicy",
            "metadata": {"name": name, "namespace": FLUX_NAMESPACE},
            "spec": {
                "imageRepositoryRef": {"name": name},
                "policy": {"semver": {"range": s.autoUpdate.semver}},
            },
        }
        files.append(
            (
                "image-automation.yaml",
                [repo, policy],
                [
                    f"New tags of {image_repository(s.image)} in {s.autoUpdate.semver} are committed to the "
                    f"image line that carries its setter marker (flux-system:{name})."
                ],
            )
        )
    velero = platform.spec.components.velero
    if s.backup is not None and velero is not None and velero.enabled:
        files.append(("backup-schedule.yaml", [_app_schedule(app, s.backup, velero)], []))
    if s.externalSecrets:
        eso = platform.spec.components.externalSecrets
        default_store = eso.store.name if eso is not None else "default"
        docs = [
            {
                "apiVersion": ESO_API,
                "kind": "ExternalSecret",
                "metadata": {"name": e.name, "namespace": app.namespace},
                "spec": {
                    "refreshInterval": e.refreshInterval,
                    "secretStoreRef": {"kind": "ClusterSecretStore", "name": e.store or default_store},
                    "target": {"name": e.name, "creationPolicy": "Owner"},
                    "data": [d.model_dump(exclude_none=True) for d in e.data],
                },
            }
            for e in s.externalSecrets
        ]
        files.append(("external-secrets.yaml", docs, ["Secrets of this app, produced by external-secrets."]))
    return files


def _app_schedule(app: App, backup: AppBackup, velero: Velero) -> Obj:
    # the whole namespace: an app's PVCs and pods do not all carry its labels (chart apps)
    sched = _schedule(
        f"{app.namespace}-{app.metadata.name}"[:63].rstrip("-"),
        velero,
        backup.schedule,
        backup.ttl,
        [app.namespace],
        backup.storageLocation,
    )
    return sched
