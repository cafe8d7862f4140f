"""Loki chart 6.55.0 (grafana/loki ``production/helm/loki``, Loki 3.6.7).

Facts from ``../shared/design/chart-defaults.md`` §1 (values.yaml at tag ``helm-loki-6.55.0``,
commit e22a9be; line numbers are that file's):

* ``deploymentMode`` L59 ``SimpleScalable``; ``loki.storage.type`` L438 ``s3``. Scalable and
  distributed targets need object storage (``loki.isUsingObjectStorage``: s3, gcs, azure, swift,
  alibabacloud, cos, bos).
* SimpleScalable: write StatefulSet ×3 (``write.replicas`` L1578, ``write.resources`` L1656 ``{}``),
  read Deployment ×3 (``read.replicas`` L1720, ``read.resources`` L1795 ``{}``), backend StatefulSet ×3
  (``backend.replicas`` L1857, ``backend.resources`` L1926 ``{}``) with the loki-sc-rules sidecar
  (``sidecar.rules.enabled`` L4145 true, ``sidecar.resources`` L4117 ``{}``).
* SingleBinary: one StatefulSet; replicas from ``loki.singleBinaryReplicas`` — 1, unless object
  storage is used and ``singleBinary.replicas`` > 1 (``singleBinary.replicas`` L1456,
  ``singleBinary.resources`` L1511 ``{}``); the loki-sc-rules sidecar runs in the same pod.
* gateway Deployment (``gateway.enabled`` L1054 true, ``gateway.replicas`` L1056 1,
  ``gateway.resources`` L1137 ``{}``).
* loki-canary DaemonSet (``lokiCanary.enabled`` L783 true, ``lokiCanary.kind`` L785 DaemonSet,
  ``lokiCanary.resources`` L813 ``{}``).
* memcached caches, gated by ``<cache>.enabled`` and ``memcached.enabled`` (L3570 true), not by the
  deployment mode: chunks-cache (``chunksCache.enabled`` L3773, ``replicas`` L3785 1,
  ``allocatedMemory`` L3789 8192, ``allocatedCPU`` L3791 500m, ``resources`` L3861 null) and
  results-cache (L3660, L3668 1, L3672 1024, L3674 500m, L3744 null). Unless ``<cache>.resources``
  is set, ``_memcached-statefulset.tpl`` L95-106 computes
  ``request = limit = (allocatedMemory*12+5)/10`` Mi (integer division), cpu request =
  ``allocatedCPU``, no cpu limit: 9830Mi for the chunks cache, 1229Mi for the results cache.
  Each cache pod has a memcached-exporter sidecar (``memcachedExporter.enabled`` L3613,
  ``memcachedExporter.resources`` L3618-3620 empty).
  ``chunksCache.l2`` (L3893 ``enabled: false``, L3909 ``allocatedMemory: 8192``) adds another cache.
* distributed targets (ingester, distributor, querier, ...): replicas 0, ``<target>.resources: {}``.
* helm test pod: only runs on ``helm test`` (Flux: ``spec.test.enable``), not counted.
"""

from __future__ import annotations

from gitops_gen.capacity.model import Container, Res, Workload, parse_resources
from gitops_gen.capacity.profiles._base import MI, Footprint, Release, Values, workload

CHART = "loki"
VERSION = "6.55.0"
SOURCE = "grafana/loki @ helm-loki-6.55.0 (e22a9bed), production/helm/loki/values.yaml"
SPEC_COMPONENT = "logging.loki"

DEFAULTS: dict[str, object] = {
    "deploymentMode": "SimpleScalable",  # L59
    "loki": {"storage": {"type": "s3"}},  # L438
    "write": {"replicas": 3, "resources": {}},  # L1578, L1656
    "read": {"replicas": 3, "resources": {}, "legacyReadTarget": False},  # L1720, L1795, L1777
    "backend": {"replicas": 3, "resources": {}},  # L1857, L1926
    "singleBinary": {"replicas": 0, "resources": {}},  # L1456, L1511
    "gateway": {"enabled": True, "replicas": 1, "resources": {}},  # L1054, L1056, L1137
    "lokiCanary": {"enabled": True, "kind": "DaemonSet", "resources": {}},  # L783, L785, L813
    "sidecar": {"resources": {}, "rules": {"enabled": True}},  # L4117, L4145
    "memcached": {"enabled": True},  # L3570
    "memcachedExporter": {"enabled": True, "resources": {"requests": {}, "limits": {}}},  # L3613-3620
    "resultsCache": {
        "enabled": True,
        "replicas": 1,
        "allocatedMemory": 1024,  # L3660, L3668, L3672
        "allocatedCPU": "500m",
        "resources": None,
    },  # L3674, L3744
    "chunksCache": {
        "enabled": True,
        "replicas": 1,
        "allocatedMemory": 8192,  # L3773, L3785, L3789
        "allocatedCPU": "500m",
        "resources": None,  # L3791, L3861
        "l2": {
            "enabled": False,
            "replicas": 1,
            "allocatedMemory": 8192,  # L3893, L3909
            "allocatedCPU": "500m",
            "resources": None,
        },
    },
    "minio": {"enabled": False},  # L4036
}

OBJECT_STORAGE = ("s3", "gcs", "azure", "swift", "alibabacloud", "cos", "bos")

# Distributed-mode targets: (values key, kind, name suffix). All default to 0 replicas.
DISTRIBUTED = (
    ("ingester", "StatefulSet", "ingester"),
    ("distributor", "Deployment", "distributor"),
    ("querier", "Deployment", "querier"),
    ("queryFrontend", "Deployment", "query-frontend"),
    ("queryScheduler", "Deployment", "query-scheduler"),
    ("indexGateway", "StatefulSet", "index-gateway"),
    ("compactor", "StatefulSet", "compactor"),
    ("ruler", "StatefulSet", "ruler"),
    ("patternIngester", "StatefulSet", "pattern-ingester"),
    ("bloomGateway", "StatefulSet", "bloom-gateway"),
    ("bloomPlanner", "StatefulSet", "bloom-planner"),
    ("bloomBuilder", "Deployment", "bloom-builder"),
    ("overridesExporter", "Deployment", "overrides-exporter"),
)

SPEC_TOGGLES = {"chunks-cache": "chunksCache: false", "results-cache": "resultsCache: false"}


def memcached_memory_mi(allocated_mb: int) -> int:
    """The chart's ``div (add (mul .allocatedMemory 12) 5) 10``: round(allocatedMemory * 1.2)."""
    return (allocated_mb * 12 + 5) // 10


def footprint(v: Values, rel: Release) -> Footprint:
    fp = Footprint()
    full = rel.fullname(v)
    mode = v.text("deploymentMode", "SimpleScalable")
    object_storage = v.text("loki.storage.type", "s3") in OBJECT_STORAGE
    single = mode in ("SingleBinary", "SingleBinary<->SimpleScalable", "Monolithic")
    scalable = object_storage and mode in (
        "SimpleScalable",
        "SingleBinary<->SimpleScalable",
        "SimpleScalable<->Distributed",
    )
    distributed = object_storage and mode in ("Distributed", "SimpleScalable<->Distributed")
    if mode in ("SimpleScalable", "Distributed") and not object_storage:
        fp.notes.append(
            f"deploymentMode {mode} needs object storage (loki.storage.type is "
            f"{v.text('loki.storage.type')!r}): the chart refuses to render it"
        )
    rules_sidecar = v.enabled("sidecar.rules.enabled")

    def sidecar() -> list[Container]:
        return [v.container("loki-sc-rules", "sidecar.resources")] if rules_sidecar else []

    if single:
        replicas = 1
        if object_storage and v.integer("singleBinary.replicas", 0) > 1:
            replicas = v.integer("singleBinary.replicas", 0)
        fp.workloads.append(
            workload(
                rel,
                v,
                component="single-binary",
                kind="StatefulSet",
                name=full,
                containers=[v.container("loki", "singleBinary.resources"), *sidecar()],
                replicas=replicas,
                replicas_path="singleBinary.replicas",
            )
        )
    if scalable:
        fp.workloads.append(
            workload(
                rel,
                v,
                component="write",
                kind="StatefulSet",
                name=f"{full}-write",
                containers=[v.container("loki", "write.resources")],
                replicas=v.integer("write.replicas", 3),
                replicas_path="write.replicas",
            )
        )
        read_kind = "StatefulSet" if v.enabled("read.legacyReadTarget") else "Deployment"
        fp.workloads.append(
            workload(
                rel,
                v,
                component="read",
                kind=read_kind,
                name=f"{full}-read",
                containers=[v.container("loki", "read.resources")],
                replicas=v.integer("read.replicas", 3),
                replicas_path="read.replicas",
                max_replicas=_hpa_max(v, "read"),
            )
        )
        fp.workloads.append(
            workload(
                rel,
                v,
                component="backend",
                kind="StatefulSet",
                name=f"{full}-backend",
                containers=[v.container("loki", "backend.resources"), *sidecar()],
                replicas=v.integer("backend.replicas", 3),
                replicas_path="backend.replicas",
            )
        )
    if distributed:
        for key, kind, suffix in DISTRIBUTED:
            n = v.integer(f"{key}.replicas", 0)
            if n > 0:
                fp.workloads.append(
                    workload(
                        rel,
                        v,
                        component=suffix,
                        kind=kind,
                        name=f"{full}-{suffix}",
                        containers=[v.container(suffix, f"{key}.resources")],
                        replicas=n,
                        replicas_path=f"{key}.replicas",
                        max_replicas=_hpa_max(v, key),
                    )
                )
    if v.enabled("gateway.enabled", True):
        fp.workloads.append(
            workload(
                rel,
                v,
                component="gateway",
                kind="Deployment",
                name=f"{full}-gateway",
                containers=[v.container("nginx", "gateway.resources")],
                replicas=v.integer("gateway.replicas", 1),
                replicas_path="gateway.replicas",
                max_replicas=_hpa_max(v, "gateway"),
            )
        )
    if v.enabled("lokiCanary.enabled", True):
        kind = v.text("lokiCanary.kind", "DaemonSet")
        kind = "Deployment" if kind == "Deployment" else "DaemonSet"
        fp.workloads.append(
            workload(
                rel,
                v,
                component="canary",
                kind=kind,
                name=f"{full}-canary",
                containers=[v.container("loki-canary", "lokiCanary.resources")],
                replicas=v.integer("lokiCanary.replicas", 1),
                replicas_path="lokiCanary.enabled",
            )
        )
    if v.enabled("memcached.enabled", True):
        for key, comp in (
            ("chunksCache", "chunks-cache"),
            ("resultsCache", "results-cache"),
            ("chunksCache.l2", "chunks-cache-l2"),
        ):
            default_on = key != "chunksCache.l2"
            if not v.enabled(f"{key}.enabled", default_on):
                continue
            fp.workloads.append(_memcached(v, rel, key, comp, f"{full}-{comp}"))
    if v.enabled("minio.enabled"):
        fp.workloads.append(
            workload(
                rel,
                v,
                component="minio",
                kind="StatefulSet",
                name=f"{rel.name}-minio",
                containers=[v.container("minio", "minio.resources")],
                replicas=v.integer("minio.replicas", 1),
                replicas_path="minio.replicas",
                notes=["minio sub-chart: resources as set in values.minio.resources only"],
            )
        )
    for key in ("enterprise.enabled", "tableManager.enabled", "rollout_operator.enabled"):
        if v.enabled(key):
            fp.notes.append(f"values.{key} is true: its workloads are not modelled (footprint unknown)")
    return fp


def _hpa_max(v: Values, key: str) -> int | None:
    if not v.enabled(f"{key}.autoscaling.enabled"):
        return None
    return v.integer(f"{key}.autoscaling.maxReplicas", 3)


def _memcached(v: Values, rel: Release, key: str, comp: str, name: str) -> Workload:
    if v.truthy(f"{key}.resources"):
        cache = v.container("memcached", f"{key}.resources")
    else:
        allocated = v.integer(f"{key}.allocatedMemory", 8192 if "chunks" in key else 1024)
        mem = memcached_memory_mi(allocated) * MI
        cpu_raw = v.get(f"{key}.allocatedCPU", "500m")
        req, _, problems = _parse_cpu(cpu_raw)
        for p in problems:
            v.problems.append(f"values.{key}.allocatedCPU: {p}; treated as unset")
        cache = Container("memcached", Res(req, mem), Res(None, mem), f"{key}.allocatedMemory")
    containers = [cache]
    if v.enabled("memcachedExporter.enabled", True):
        containers.append(v.container("exporter", "memcachedExporter.resources"))
    toggle = SPEC_TOGGLES.get(comp, "")
    fix = (
        f"lower values.{key}.allocatedMemory (the pod requests allocatedMemory × 1.2 Mi), "
        f"or set values.{key}.enabled: false"
    )
    if toggle and rel.owner.spec_path:
        fix = f"set `{rel.owner.spec_path}.{toggle}` in the platform spec, or " + fix
    return workload(
        rel,
        v,
        component=comp,
        kind="StatefulSet",
        name=name,
        containers=containers,
        replicas=v.integer(f"{key}.replicas", 1),
        replicas_path=f"{key}.replicas",
        fix=fix,
    )


def _parse_cpu(raw: object) -> tuple[int | None, None, list[str]]:
    req, _, problems = parse_resources({"requests": {"cpu": raw}})
    return req.cpu, None, problems
