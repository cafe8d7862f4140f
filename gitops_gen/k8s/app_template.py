"""bjw-s ``app-template`` values read as the chart reads them: the workloads a release will run.

app-template (a thin wrapper around the bjw-s ``common`` library chart) has no workload of its own:
``values.controllers.<id>`` *is* the workload. This module is the one reading of those values, used by
the budget (:mod:`gitops_gen.capacity.profiles.app_template`) and by the lint rules ``resources``,
``probes``, ``image`` and ``security`` (which check the values at their own lines). Facts and citations:
``../shared/design/app-template.md`` (§ numbers below refer to it).

**Versions.** The semantics are those of common 3.0.0-3.7.3 and 4.0.0-4.1.1 (app-template 3.x and 4.x,
read from the chart's templates), and app-template 5.x as far as the design note documents it
(5.1.0's own source was not available: image as a string or a map with ``digest`` and the
per-controller ``horizontalPodAutoscaler`` are taken from late 5.x files). Where the majors differ
(§5) only the naming of controllers (§3.3 vs §3.4) and ``service.controller`` auto-detection (§1.8)
matter here; ``major`` selects them (4 when the version is unknown).

**Reading.** Controllers (``enabled`` default true, ``type`` default deployment, §1.4, §2.1) become
:class:`AppController` objects. Each container is the *effective* Kubernetes container: the
controller's ``defaultContainerOptions`` applied (overwrite: a non-empty own value wins; merge: deep
merge, own keys win; init containers unless ``applyDefaultContainerOptionsToInitContainers: false``,
§2.11), the image rendered as ``repository:tag`` (numeric tags as text, §4.4), probes rendered as
the chart renders them (off unless ``enabled``; custom ones verbatim; others only with a primary
Service port for the controller, §2.7-§2.9). ``origins`` records where in the values each rendered
field is written, so a finding about ``resources`` inherited from ``defaultContainerOptions`` points
at that line, and one about ``image`` at the tag.

Helm templates inside values (``{{ .Release.Name }}``) are substituted for ``.Release.Name`` and
``.Release.Namespace`` only; other templated strings are left as written.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from msgspec import Struct, field

from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.k8s.workloads import ContainerRef, as_dict, as_int, dig

#: chart names read this way (the last element of an OCI URL or ``spec.chart.spec.chart``)
CHARTS = frozenset({"app-template"})
#: chart versions whose semantics this module follows (see the module docstring)
SUPPORTED = "3.0.0-3.7.3, 4.0.0-4.1.1, 5.0.0-5.1.0"

KINDS = {
    "deployment": "Deployment",
    "statefulset": "StatefulSet",
    "daemonset": "DaemonSet",
    "cronjob": "CronJob",
    "job": "Job",
}
_PROBES = ("liveness", "readiness", "startup")
_TEMPLATE = re.compile(r"{{-?\s*\.Release\.(Name|Namespace)\s*-?}}")


class AppContainer(Struct):
    """One container of a controller, as the chart renders it."""

    ident: str
    container: dict[str, Any]  # the effective Kubernetes container (name, image, resources, probes, ...)
    path: FieldPath  # its values map: (..., "controllers", c, "containers", ident)
    origins: dict[str, FieldPath] = field(default_factory=dict)  # rendered field -> where it is written
    init: bool = False
    sidecar: bool = False
    dropped_probes: list[tuple[str, FieldPath]] = field(default_factory=list)  # enabled but not rendered

    @property
    def name(self) -> str:
        return str(self.container.get("name") or self.ident)

    def ref(self, index: int) -> ContainerRef:
        """This container as the lint rules read containers (paths into the HelmRelease)."""
        return ContainerRef(
            self.container, self.path, index, init=self.init, sidecar=self.sidecar, origins=self.origins
        )


class AppController(Struct):
    """One enabled ``controllers.<id>``: a Deployment, StatefulSet, DaemonSet, CronJob or Job."""

    ident: str
    name: str  # the object's name
    kind: str
    path: FieldPath
    replicas: int | None  # None: `replicas: null` (an autoscaler decides) or a value that is not a count
    replicas_path: FieldPath
    strategy: str  # Deployment: Recreate (the chart's default) | RollingUpdate; others: ""
    pod: dict[str, Any]  # effective pod options (securityContext, hostNetwork, ...)
    pod_origins: dict[str, FieldPath]
    containers: list[AppContainer] = field(default_factory=list)
    autoscaler: tuple[int | None, int | None] | None = None  # 5.x horizontalPodAutoscaler (min, max)
    parallelism: int = 1  # Job / CronJob pods per run
    notes: list[str] = field(default_factory=list)

    def container_refs(self) -> list[ContainerRef]:
        """App containers, then init containers, as :func:`gitops_gen.k8s.workloads.containers` does."""
        apps = [c for c in self.containers if not c.init]
        inits = [c for c in self.containers if c.init]
        return [c.ref(i) for i, c in enumerate(apps)] + [c.ref(i) for i, c in enumerate(inits)]


# ------------------------------------------------------------------------------------ detection


def looks_like(values: object) -> bool:
    """Values in app-template's layout: ``controllers.<id>.containers`` is a mapping of mappings, and
    every enabled container names its image (itself or through ``defaultContainerOptions``).

    app-template ships no image and refuses a container without one (§2.15), so values that leave
    images out belong to a chart with defaults of its own (a chart built on bjw-s ``common`` with its
    own values.yaml): those are not read here, since their defaults are unknown."""
    found = False
    for ctrl in as_dict(as_dict(values).get("controllers")).values():
        if not isinstance(ctrl, dict) or not _on(ctrl.get("enabled"), True):
            continue
        conts = ctrl.get("containers")
        if not isinstance(conts, dict) or not conts or not all(isinstance(c, dict) for c in conts.values()):
            return False
        default_image = as_dict(ctrl.get("defaultContainerOptions")).get("image")
        for c in conts.values():
            if _on(c.get("enabled"), True) and _empty(c.get("image")) and _empty(default_image):
                return False
        found = True
    return found


def chart_is_other(hr: Resource) -> bool:
    """The HelmRelease names a chart (``spec.chart.spec.chart``) that is not app-template."""
    chart = dig(hr.body, "spec", "chart", "spec", "chart")
    if not isinstance(chart, str) or not chart:
        return False
    return chart.rstrip("/").rsplit("/", 1)[-1] not in CHARTS


def major_of(version: str) -> int:
    """The chart major of a version or range (``5.1.0``, ``v4.1.1``, ``>=4.0.0 <5``); 4 when unknown."""
    m = re.search(r"(\d+)", version or "")
    if m is None:
        return 4
    major = int(m.group(1))
    return major if major in (3, 4, 5) else 4


def release_of(hr: Resource) -> tuple[str, str]:
    """(release name, namespace) Flux gives a HelmRelease (§3.1)."""
    spec = as_dict(hr.body.get("spec"))
    target = spec.get("targetNamespace") if isinstance(spec.get("targetNamespace"), str) else ""
    name = spec.get("releaseName")
    if not isinstance(name, str) or not name:
        name = f"{target}-{hr.name}" if target else hr.name
    return name, target or hr.namespace or "default"


def helmrelease_controllers(hr: Resource, version: str = "") -> list[AppController]:
    """Controllers of a HelmRelease whose inline ``spec.values`` follow app-template's layout
    (paths into the HelmRelease); ``[]`` for any other HelmRelease."""
    if hr.kind != "HelmRelease":
        return []
    values = dig(hr.body, "spec", "values")
    if chart_is_other(hr) or not looks_like(values):
        return []
    name, namespace = release_of(hr)
    return read(values, release=name, namespace=namespace, base=("spec", "values"), major=major_of(version))


# -------------------------------------------------------------------------------------- reading


def read(
    values: Mapping[str, Any],
    *,
    release: str,
    namespace: str = "default",
    base: FieldPath = (),
    major: int = 4,
) -> list[AppController]:
    """The enabled controllers of app-template ``values`` (paths below ``base``)."""
    ctx = _Ctx(values, release, namespace, base, major)
    ctrls = as_dict(values.get("controllers"))
    enabled = [k for k in sorted(ctrls) if isinstance(ctrls[k], dict) and _on(ctrls[k].get("enabled"), True)]
    return [ctx.controller(ident, ctrls[ident], len(enabled)) for ident in enabled]


def _on(value: object, default: bool) -> bool:
    """Go template truthiness of an ``enabled`` flag (absent -> default)."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "on")
    return bool(value)


def _empty(value: object) -> bool:
    """Sprig's ``empty``: None, false, 0, "" and empty collections."""
    return value is None or value is False or value == 0 or value == "" or value == {} or value == []


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge, ``over`` wins (sprig ``merge`` with the specific map first)."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


class _Ctx:
    def __init__(self, values: Mapping[str, Any], release: str, namespace: str, base: FieldPath, major: int):
        self.values = values
        self.release = release
        self.namespace = namespace
        self.base = base
        self.major = major
        glob = as_dict(values.get("global"))
        self.fullname = self._fullname(glob)
        self.always_append = bool(glob.get("alwaysAppendIdentifierToResourceName"))

    # -- names (§3.2-§3.4)
    def _fullname(self, glob: dict[str, Any]) -> str:
        for override in (glob.get("fullnameOverride"), self.values.get("fullnameOverride")):
            if isinstance(override, str) and override:
                return self.tpl(override)[:63].rstrip("-")
        name = glob.get("nameOverride")
        name = name if isinstance(name, str) and name else self.release
        if name in self.release:
            return self.release[:63].rstrip("-")
        return f"{self.release}-{name}"[:63].rstrip("-")

    def tpl(self, text: str) -> str:
        return _TEMPLATE.sub(lambda m: self.release if m.group(1) == "Name" else self.namespace, text)

    def object_name(self, ident: str, obj: dict[str, Any], count: int) -> str:
        if self.major == 3:
            name = self.fullname
            override = obj.get("nameOverride")
            if isinstance(override, str) and override:
                if self.tpl(override) != name:
                    name = f"{name}-{self.tpl(override)}"
            elif count > 1 and ident != name:
                name = f"{name}-{ident}"
            return name
        force = obj.get("forceRename")
        if isinstance(force, str) and force:
            return self.tpl(force).lower()
        name = self.fullname
        prefix = obj.get("prefix")
        if isinstance(prefix, str) and prefix and self.tpl(prefix) != name:
            name = f"{self.tpl(prefix)}-{name}"
        if (count > 1 or self.always_append) and not name.endswith(f"-{ident}") and ident != name:
            name = f"{name}-{ident}"
        suffix = obj.get("suffix")
        if isinstance(suffix, str) and suffix and not name.endswith(f"-{self.tpl(suffix)}"):
            name = f"{name}-{self.tpl(suffix)}"
        return name if "${" in name else name.lower()

    # -- services (§1.8, §2.8)
    def primary_port(self, controller: str, single_controller: str | None) -> dict[str, Any] | None:
        services = {
            k: v
            for k, v in as_dict(self.values.get("service")).items()
            if isinstance(v, dict) and _on(v.get("enabled"), True)
        }
        mine: dict[str, dict[str, Any]] = {}
        for k, svc in services.items():
            owner = svc.get("controller")
            if owner is None and self.major >= 4 and single_controller is not None:
                owner = single_controller
            if owner == controller:
                mine[k] = svc
        if not mine:
            return None
        primary = [k for k in sorted(mine) if mine[k].get("primary")]
        svc = mine[primary[-1] if primary else sorted(mine)[0]]
        ports = {
            k: v
            for k, v in as_dict(svc.get("ports")).items()
            if isinstance(v, dict) and _on(v.get("enabled"), True)
        }
        if not ports:
            return None
        first = [k for k in sorted(ports) if ports[k].get("primary")]
        return ports[first[-1] if first else sorted(ports)[0]]

    # -- controllers
    def controller(self, ident: str, obj: dict[str, Any], count: int) -> AppController:
        path: FieldPath = (*self.base, "controllers", ident)
        ctype = obj.get("type") if isinstance(obj.get("type"), str) else "deployment"
        kind = KINDS.get(str(ctype), "Deployment")
        notes: list[str] = []
        if str(ctype) not in KINDS:
            notes.append(
                f"controllers.{ident}.type {ctype!r} is not one the chart knows; the chart refuses it"
            )
        replicas: int | None = 1
        replicas_path: FieldPath = (*path, "replicas")
        if kind in ("Deployment", "StatefulSet") and "replicas" in obj:
            replicas = as_int(obj.get("replicas"))
            if replicas is None and obj.get("replicas") is not None:
                notes.append(f"controllers.{ident}.replicas {obj.get('replicas')!r} is not a count")
        strategy = ""
        if kind == "Deployment":
            strategy = str(obj.get("strategy") or "Recreate")
        elif kind == "StatefulSet":
            strategy = str(obj.get("strategy") or "RollingUpdate")
        autoscaler = None
        hpa = as_dict(obj.get("horizontalPodAutoscaler"))
        if (
            hpa
            and _on(hpa.get("enabled"), True)
            and self.major >= 5
            and kind in ("Deployment", "StatefulSet")
        ):
            lo = as_int(hpa.get("minReplicas"))
            autoscaler = (lo if lo is not None else replicas, as_int(hpa.get("maxReplicas")))
            replicas_path = (*path, "horizontalPodAutoscaler")
        parallelism = 1
        if kind in ("Job", "CronJob"):
            parallelism = as_int(dig(obj, str(ctype), "parallelism")) or 1
        pod, pod_origins = self.pod_options(ident, obj)
        single = ident if count == 1 else None
        ctrl = AppController(
            ident=ident,
            name=self.object_name(ident, obj, count),
            kind=kind,
            path=path,
            replicas=replicas,
            replicas_path=replicas_path,
            strategy=strategy,
            pod=pod,
            pod_origins=pod_origins,
            autoscaler=autoscaler,
            parallelism=parallelism,
            notes=notes,
        )
        port = self.primary_port(ident, single)
        for section, init in (("containers", False), ("initContainers", True)):
            items = as_dict(obj.get(section))
            for cid in sorted(items):
                raw = items[cid]
                if isinstance(raw, dict) and _on(raw.get("enabled"), True):
                    ctrl.containers.append(self.container(obj, path, section, cid, raw, init, port))
        return ctrl

    def pod_options(self, ident: str, obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, FieldPath]]:
        """defaultPodOptions, each option replaced (or, with strategy merge, merged) by ``pod`` (§1.7)."""
        defaults = as_dict(self.values.get("defaultPodOptions"))
        own = as_dict(obj.get("pod"))
        merge = self.values.get("defaultPodOptionsStrategy") == "merge"
        pod: dict[str, Any] = {}
        origins: dict[str, FieldPath] = {}
        for key in sorted(set(defaults) | set(own)):
            if key in own and own[key] is not None:
                value = own[key]
                if merge and isinstance(value, dict) and isinstance(defaults.get(key), dict):
                    value = _merge(defaults[key], value)
                pod[key] = copy.deepcopy(value)
                origins[key] = (*self.base, "controllers", ident, "pod", key)
            elif key in defaults and defaults[key] is not None:
                pod[key] = copy.deepcopy(defaults[key])
                origins[key] = (*self.base, "defaultPodOptions", key)
        return pod, origins

    # -- containers (§2.7-§2.15)
    def container(
        self,
        ctrl: dict[str, Any],
        cpath: FieldPath,
        section: str,
        cid: str,
        raw: dict[str, Any],
        init: bool,
        port: dict[str, Any] | None,
    ) -> AppContainer:
        path: FieldPath = (*cpath, section, cid)
        values = copy.deepcopy(raw)
        origins: dict[str, FieldPath] = {k: (*path, k) for k in raw}
        defaults = as_dict(ctrl.get("defaultContainerOptions"))
        apply = not init or ctrl.get("applyDefaultContainerOptionsToInitContainers", True) is True
        if defaults and apply:
            dpath: FieldPath = (*cpath, "defaultContainerOptions")
            if ctrl.get("defaultContainerOptionsStrategy", "overwrite") == "merge":
                for k, dv in defaults.items():
                    if k not in raw:
                        origins[k] = (*dpath, k)
                    if isinstance(dv, dict) and isinstance(values.get(k), dict):
                        values[k] = _merge(dv, values[k])
                    elif k not in values:
                        values[k] = copy.deepcopy(dv)
            else:
                for k, dv in defaults.items():
                    if _empty(raw.get(k)):
                        values[k] = copy.deepcopy(dv)
                        origins[k] = (*dpath, k)
        name = values.get("nameOverride")
        out: dict[str, Any] = {"name": self.tpl(name) if isinstance(name, str) and name else cid}
        image, image_path = self.image(values.get("image"), origins.get("image", (*path, "image")))
        if image is not None:
            out["image"] = image
            origins["image"] = image_path
        for key in ("command", "args", "env", "envFrom", "ports", "resources", "securityContext"):
            if not _empty(values.get(key)):
                out[key] = copy.deepcopy(values[key])
        policy = values.get("restartPolicy")
        if init and isinstance(policy, str):
            out["restartPolicy"] = policy
        c = AppContainer(cid, out, path, origins, init=init, sidecar=init and policy == "Always")
        for pname in _PROBES:
            pv = as_dict(as_dict(values.get("probes")).get(pname))
            ppath: FieldPath = (*path, "probes", pname)
            if not _on(pv.get("enabled"), False):
                continue
            key = f"{pname}Probe"
            if pv.get("custom"):
                spec = pv.get("spec")
                if isinstance(spec, dict) and spec:
                    out[key] = copy.deepcopy(spec)
                    origins[key] = (*ppath, "spec")
                continue
            probe = self.probe(pv, port)
            if probe is None:
                c.dropped_probes.append((pname, ppath))
            else:
                out[key] = probe
                origins[key] = ppath
        return c

    def image(self, raw: object, where: FieldPath) -> tuple[str | None, FieldPath]:
        """``repository:tag`` (5.x: also a plain string, and ``@digest``), and where to point at it."""
        if isinstance(raw, str):
            return self.tpl(raw), where
        img = as_dict(raw)
        repo = img.get("repository")
        if not isinstance(repo, str) or not repo:
            return None, where
        tag = img.get("tag")
        text = repo if self.major < 5 else self.tpl(repo)
        if isinstance(tag, bool) or tag is None or tag == "":
            pass
        elif isinstance(tag, float):
            text += f":{_go_float(tag)}"
        else:
            text += f":{self.tpl(str(tag))}"
        digest = img.get("digest")
        if self.major >= 5 and isinstance(digest, str) and digest:
            text += f"@{self.tpl(digest)}"
        return text, (*where, "tag") if "tag" in img else where

    def probe(self, pv: dict[str, Any], port: dict[str, Any] | None) -> dict[str, Any] | None:
        """A non-custom probe (§2.9); ``None`` when the controller has no primary Service port."""
        if port is None:
            return None
        spec = as_dict(pv.get("spec"))
        kind = pv.get("type") or "TCP"
        if kind == "AUTO":
            kind = port.get("protocol") or "TCP"
        out: dict[str, Any] = {}
        for k, default in (
            ("initialDelaySeconds", 0),
            ("failureThreshold", 3),
            ("timeoutSeconds", 1),
            ("periodSeconds", 10),
        ):
            v = spec.get(k)
            out[k] = v if v is not None else default
        if kind in ("HTTP", "HTTPS"):
            handler: dict[str, Any] = {"path": pv.get("path"), "scheme": kind}
            out["httpGet"] = handler
        elif kind == "GRPC":
            handler = {"service": pv["service"]} if pv.get("service") else {}
            out["grpc"] = handler
        else:
            handler = {}
            out["tcpSocket"] = handler
        if pv.get("port"):
            p = pv["port"]
            handler["port"] = self.tpl(p) if isinstance(p, str) else p
        elif port.get("targetPort"):
            handler["port"] = port["targetPort"]
        else:
            handler["port"] = as_int(port.get("port")) or port.get("port")
        return out


def _go_float(value: float) -> str:
    """Helm's ``toString`` of a YAML float tag: ``1.20`` -> ``1.2``, ``3.0`` -> ``3``."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text
