"""Velero Schedules write to a storage location that exists, and cover the apps that keep data.

**What.**

* A Velero ``Schedule`` (``velero.io``) whose ``spec.template.storageLocation`` names a
  ``BackupStorageLocation`` that is not defined - neither as a linted object in the Schedule's
  namespace nor in ``configuration.backupStorageLocation`` of a HelmRelease of the velero chart -
  is an error (a warning when no location at all was linted: the input may be partial).
* When at least one Schedule was linted, every workload with persistent data (a pod volume from a
  ``persistentVolumeClaim``, or a StatefulSet's ``volumeClaimTemplates``) is backed up by some
  Schedule: its namespace is included (``includedNamespaces`` empty, ``*`` or naming it, and not
  in ``excludedNamespaces``) and the Schedule's ``labelSelector``, if any, matches its pod
  labels. A workload no Schedule covers is a warning.

**Why.** Velero accepts a Schedule whose location does not exist and then fails every backup it
starts, with the reason only in the Backup's status; a PVC outside every Schedule is discovered
when someone needs its restore.

**What we chose.** Without any Schedule in the input nothing is said about PVCs: the repository
may back up its volumes another way (storage snapshots, a database's own dumps). A Schedule
without ``storageLocation`` uses the default location, which is not checked. ``orLabelSelectors``
count as covering (matched like ``labelSelector``, any of them).
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_gen.k8s.model import Resource
from gitops_gen.k8s.workloads import (
    POD_TEMPLATE_KINDS,
    as_dict,
    as_list,
    as_str,
    has_subst,
    pod_labels,
    pod_spec_of,
    selector_matches,
)
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.lint.projection import merge, pod_template

ID = "backups"
SEVERITY = "error"
SCOPE = "object"
KINDS = frozenset({"Schedule"} | (POD_TEMPLATE_KINDS - {"Pod", "Job", "CronJob"}))
READS = merge(
    pod_template("metadata.labels", "spec.volumes.*.persistentVolumeClaim"),
    {
        "StatefulSet": ("spec.volumeClaimTemplates.*.metadata.name",),
        "Schedule": ("spec.template",),
        "HelmRelease": (
            "spec.chart.spec.chart",
            "spec.targetNamespace",
            "spec.values.backupsEnabled",
            "spec.values.configuration.backupStorageLocation",
        ),
    },
)

_GROUP = "velero.io"


def _schedules(ctx: Context) -> list[Resource]:
    return [r for r in ctx.by_kind.get("Schedule", ()) if r.group == _GROUP]


def _chart_locations(ctx: Context) -> set[tuple[str, str]]:
    """(namespace, name) of the locations HelmReleases of the velero chart create."""
    out: set[tuple[str, str]] = set()
    for hr in ctx.by_kind.get("HelmRelease", ()):
        spec = as_dict(hr.body.get("spec"))
        chart = as_str(as_dict(as_dict(spec.get("chart")).get("spec")).get("chart"))
        if chart != "velero":
            continue
        ns = as_str(spec.get("targetNamespace")) or hr.namespace
        values = as_dict(spec.get("values"))
        if values.get("backupsEnabled") is False:
            continue
        for loc in as_list(as_dict(values.get("configuration")).get("backupStorageLocation")):
            out.add((ns, as_str(as_dict(loc).get("name")) or "default"))
    return out


def _check_location(ctx: Context, s: Resource) -> Iterator[Hit]:
    location = as_str(as_dict(as_dict(s.body.get("spec")).get("template")).get("storageLocation"))
    if not location or has_subst(location):
        return
    if ctx.find("BackupStorageLocation", s.namespace, location, group=_GROUP) is not None:
        return
    from_charts = ctx.memo("backups.chart_locations", lambda: _chart_locations(ctx))
    if any(name == location and (ns == s.namespace or not ns or not s.namespace) for ns, name in from_charts):
        return
    bsls = [r for r in ctx.by_kind.get("BackupStorageLocation", ()) if r.group == _GROUP]
    names = sorted({r.name for r in bsls} | {n for _, n in from_charts})
    yield Hit(
        s,
        f"backs up to BackupStorageLocation {location!r}, which does not exist"
        + (f" (defined: {', '.join(names)})" if names else " among the linted files"),
        "name an existing location in spec.template.storageLocation, or create the "
        "BackupStorageLocation; every backup of this Schedule fails otherwise",
        ("spec", "template", "storageLocation"),
        severity=None if names else Severity.WARNING,
    )


def _claims(r: Resource) -> list[str]:
    """Names of the persistent volumes of a workload (PVC volumes, volumeClaimTemplates)."""
    names = (
        [
            as_str(as_dict(as_dict(t).get("metadata")).get("name"))
            for t in as_list(as_dict(r.body.get("spec")).get("volumeClaimTemplates"))
        ]
        if r.kind == "StatefulSet"
        else []
    )
    ps = pod_spec_of(r)
    if ps is not None:
        for v in as_list(ps[0].get("volumes")):
            claim = as_str(as_dict(as_dict(v).get("persistentVolumeClaim")).get("claimName"))
            if claim:
                names.append(claim)
    return [n for n in names if n]


def _covers(schedule: Resource, namespace: str, labels: dict[str, str]) -> bool:
    template = as_dict(as_dict(schedule.body.get("spec")).get("template"))
    included = [as_str(n) for n in as_list(template.get("includedNamespaces"))]
    excluded = [as_str(n) for n in as_list(template.get("excludedNamespaces"))]
    if namespace and (namespace in excluded):
        return False
    if included and "*" not in included and namespace and namespace not in included:
        return False
    selectors = [template["labelSelector"]] if template.get("labelSelector") else []
    selectors += as_list(template.get("orLabelSelectors"))
    # an invalid selector (None) is not ours to judge here: lenient
    return not selectors or any(selector_matches(sel, labels) is not False for sel in selectors)


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    if resource.kind == "Schedule":
        if resource.group == _GROUP:
            yield from _check_location(ctx, resource)
        return
    schedules = ctx.memo("backups.schedules", lambda: _schedules(ctx))
    claims = _claims(resource)
    if not schedules or not claims or has_subst(resource.namespace):
        return
    labels = pod_labels(resource)
    if any(_covers(s, resource.namespace, labels) for s in schedules):
        return
    where = f"namespace {resource.namespace}" if resource.namespace else "its namespace"
    yield Hit(
        resource,
        f"keeps data in {', '.join(sorted(set(claims)))}, but no Velero Schedule backs up {where} with its labels",
        f"add {resource.namespace or 'its namespace'} to a Schedule's includedNamespaces (or give the app "
        "a Schedule of its own)",
        (),
        severity=Severity.WARNING,
    )
