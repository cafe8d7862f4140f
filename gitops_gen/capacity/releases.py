"""Flux HelmReleases: which chart (name, version), release name, namespace and values.

* Chart: ``spec.chart.spec.chart`` (a name, or a path in a Git/Bucket source whose last element is
  the chart directory), or ``spec.chartRef`` to an ``OCIRepository`` (last element of ``spec.url``,
  version from ``spec.ref.tag``/``semver``) or a ``HelmChart`` (its ``spec.chart``).
* Release name: ``spec.releaseName``, else ``[targetNamespace-]name`` (Flux's default);
  namespace: ``spec.targetNamespace``, else the HelmRelease's namespace.
* Values: each ``spec.valuesFrom`` entry in order (ConfigMaps and Secrets found among the inputs,
  ``valuesKey`` default ``values.yaml``, ``targetPath`` supported), then ``spec.values`` last —
  Flux's order. References that are not in the inputs are reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from gitops_gen.capacity.model import Owner
from gitops_gen.capacity.profiles import profile_for
from gitops_gen.capacity.profiles._base import Release
from gitops_gen.k8s.model import Resource
from gitops_gen.k8s.workloads import as_dict
from gitops_gen.values import deep_merge, set_path

if TYPE_CHECKING:
    from gitops_gen.spec.facts import PlatformFacts

Lookup = Callable[[str, str, str], "Resource | None"]


class ReleaseInfo(Struct):
    """One HelmRelease as the capacity model reads it: its chart, version and values."""

    resource: Resource
    chart: str  # "" when it cannot be identified
    version: str
    release: Release
    values: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def chart_of(hr: Resource, lookup: Lookup) -> tuple[str, str, str]:
    """(chart name, version, where it was read) of a HelmRelease; name "" when unknown."""
    spec = as_dict(hr.body.get("spec"))
    chart_spec = as_dict(as_dict(spec.get("chart")).get("spec"))
    raw = chart_spec.get("chart")
    if isinstance(raw, str) and raw:
        version = chart_spec.get("version")
        return _basename(raw), str(version) if version is not None else "", "spec.chart.spec.chart"
    ref = as_dict(spec.get("chartRef"))
    kind, name = ref.get("kind"), ref.get("name")
    if isinstance(kind, str) and isinstance(name, str):
        ns = str(ref["namespace"]) if isinstance(ref.get("namespace"), str) else hr.namespace
        src = lookup(kind, ns, name)
        if src is not None:
            sspec = as_dict(src.body.get("spec"))
            if kind == "OCIRepository":
                url = sspec.get("url")
                tag = as_dict(sspec.get("ref")).get("tag") or as_dict(sspec.get("ref")).get("semver") or ""
                if isinstance(url, str) and url:
                    return _basename(url), str(tag), f"OCIRepository {ns}/{name} spec.url"
            elif kind == "HelmChart":
                c = sspec.get("chart")
                if isinstance(c, str) and c:
                    return _basename(c), str(sspec.get("version") or ""), f"HelmChart {ns}/{name} spec.chart"
        return "", "", f"spec.chartRef {kind} {ns}/{name} (not among the inputs)"
    return "", "", "no spec.chart or spec.chartRef"


def _basename(text: str) -> str:
    """``oci://ghcr.io/org/loki`` / ``./charts/loki`` / ``loki@sha256:...`` -> ``loki``."""
    name = text.strip().rstrip("/").rsplit("/", 1)[-1]
    return name.split("@", 1)[0].split(":", 1)[0]


def describe(hr: Resource, lookup: Lookup, platform: PlatformFacts | None = None) -> ReleaseInfo:
    spec = as_dict(hr.body.get("spec"))
    chart, version, where = chart_of(hr, lookup)
    notes: list[str] = []
    target = spec.get("targetNamespace") if isinstance(spec.get("targetNamespace"), str) else ""
    namespace = target or hr.namespace or "default"
    rel_name = spec.get("releaseName")
    if not isinstance(rel_name, str) or not rel_name:
        rel_name = f"{target}-{hr.name}" if target else hr.name
    values: dict[str, Any] = {}
    values_from = spec.get("valuesFrom")
    for i, entry in enumerate(values_from if isinstance(values_from, list) else []):
        merged = _values_from(as_dict(entry), hr, lookup, notes, i)
        if merged is not None:
            values = deep_merge(values, merged)
    inline = spec.get("values")
    if isinstance(inline, dict):
        values = deep_merge(values, inline)
    profile = profile_for(chart) if chart else None
    spec_path = ""
    if profile is not None and _spec_component_enabled(platform, profile.SPEC_COMPONENT):
        spec_path = f"spec.components.{profile.SPEC_COMPONENT}"
    label = f"HelmRelease {hr.namespace or 'default'}/{hr.name}"
    owner = Owner(
        label=label,
        resource=hr,
        chart=f"{chart} {version}".strip() if chart else "",
        values_root="values.",
        spec_path=spec_path,
        group=label,
    )
    if not chart:
        notes.append(f"chart not identified ({where})")
    release = Release(rel_name, namespace, chart, version, owner)
    return ReleaseInfo(hr, chart, version, release, values, notes)


def _values_from(
    entry: dict[str, Any], hr: Resource, lookup: Lookup, notes: list[str], i: int
) -> dict[str, Any] | None:
    kind, name = entry.get("kind"), entry.get("name")
    key = str(entry["valuesKey"]) if isinstance(entry.get("valuesKey"), str) else "values.yaml"
    where = f"spec.valuesFrom[{i}]"
    if kind not in ("ConfigMap", "Secret") or not isinstance(name, str):
        notes.append(f"{where}: not a ConfigMap/Secret reference; ignored")
        return None
    src = lookup(kind, hr.namespace, name)
    if src is None:
        if not entry.get("optional"):
            notes.append(
                f"{where}: {kind} {hr.namespace}/{name} is not among the inputs; "
                "the budget uses the other values only"
            )
        return None
    whole = src.whole  # lint keeps only what its rules read of a ConfigMap or Secret: its data read again
    raw: Any = as_dict(whole.get("data")).get(key)
    if kind == "Secret":
        text = as_dict(whole.get("stringData")).get(key)
        if text is None and isinstance(raw, str):
            import base64  # here: base64 (and struct) are ~2 ms of every lint's start, and few values need it

            try:
                text = base64.b64decode(raw, validate=False).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                text = None
        raw = text
    if not isinstance(raw, str):
        notes.append(f"{where}: {kind} {hr.namespace}/{name} has no key {key!r}")
        return None
    target = entry.get("targetPath")
    if isinstance(target, str) and target.strip("."):
        out: dict[str, Any] = {}
        set_path(out, target, raw.strip())
        return out
    try:
        from gitops_gen.k8s.loader import parse_text

        parsed = parse_text(raw)
    except Exception:  # a broken values document is the user's problem; say so, do not crash
        parsed = None
    if (
        parsed is None
        or parsed.problems
        or not parsed.documents
        or not isinstance(parsed.documents[0].body, dict)
    ):
        notes.append(f"{where}: {kind} {hr.namespace}/{name} key {key!r} is not a YAML mapping; ignored")
        return None
    body: dict[str, Any] = parsed.documents[0].body
    return body


def _spec_component_enabled(platform: PlatformFacts | None, component: str) -> bool:
    """Is ``spec.components.<component>`` (``logging.loki``) present and enabled in the platform?"""
    return platform is not None and platform.component_enabled(component)
