"""Which chart a HelmRelease installs, and from where, as Flux's source-controller resolves it.

* ``spec.chart.spec`` with ``sourceRef`` to a ``HelmRepository``: an HTTP(S) repository (its
  ``index.yaml``) or, with ``spec.type: oci``, the OCI repository ``<url>/<chart>``; the version is
  ``spec.chart.spec.version`` (a semver range; empty means ``*``, the newest stable version).
* ``spec.chartRef`` to an ``OCIRepository``: ``spec.url`` with ``spec.ref.digest``, ``.semver`` or
  ``.tag`` (in that order of precedence, as Flux documents; none means ``latest``).
* ``spec.chartRef`` to a ``HelmChart``: its ``spec.chart``/``version``/``sourceRef`` as above.

Charts inside a GitRepository or Bucket are not pulled (they are files of a repository: point
``--chart-dir NAME=DIR`` at them). ``insecure: true`` on the source means plain HTTP for OCI.
"""

from __future__ import annotations

from collections.abc import Callable

from msgspec import Struct

from gitops_gen.k8s.model import Resource
from gitops_gen.k8s.workloads import as_dict, as_str

Lookup = Callable[[str, str, str], "Resource | None"]


class ChartRef(Struct, frozen=True):
    """A chart as a repository serves it."""

    kind: str  # "http" | "oci"
    url: str  # HTTP: the repository URL; OCI: oci://host/path/<chart> (no tag)
    chart: str
    version: str  # exact version or semver range; "" = newest stable (HTTP) / tag "latest" (OCI)
    insecure: bool = False
    digest: str = ""  # OCIRepository spec.ref.digest

    @property
    def key(self) -> str:
        """What the cache remembers a resolution by."""
        return f"{self.url}#{self.chart}@{self.digest or self.version or '*'}"

    def __str__(self) -> str:
        where = self.url if self.kind == "oci" else f"{self.url} {self.chart}"
        return f"{where} {self.digest or self.version or '(newest)'}"


def chart_ref(hr: Resource, lookup: Lookup) -> tuple[ChartRef | None, str]:
    """The chart a HelmRelease installs, or ``(None, why not)``."""
    spec = as_dict(hr.body.get("spec"))
    ref = as_dict(spec.get("chartRef"))
    if ref:
        kind, name = as_str(ref.get("kind")), as_str(ref.get("name"))
        ns = as_str(ref.get("namespace")) or hr.namespace
        src = lookup(kind, ns, name) if kind and name else None
        if src is None:
            return None, f"spec.chartRef {kind} {ns}/{name} is not among the inputs"
        if kind == "OCIRepository":
            return _oci_repository(src)
        if kind == "HelmChart":
            return _from_chart_spec(as_dict(src.body.get("spec")), src.namespace or ns, lookup)
        return None, f"spec.chartRef kind {kind!r} is not a chart source"
    chart_spec = as_dict(as_dict(spec.get("chart")).get("spec"))
    if not chart_spec:
        return None, "no spec.chart or spec.chartRef"
    return _from_chart_spec(chart_spec, hr.namespace, lookup)


def _oci_repository(src: Resource) -> tuple[ChartRef | None, str]:
    spec = as_dict(src.body.get("spec"))
    url = as_str(spec.get("url")).rstrip("/")
    if not url.startswith("oci://"):
        return None, f"OCIRepository {src.namespace}/{src.name}: spec.url is not an oci:// URL"
    ref = as_dict(spec.get("ref"))
    version = as_str(ref.get("semver")) or _text(ref.get("tag"))
    return (
        ChartRef(
            "oci",
            url,
            url.rsplit("/", 1)[-1],
            version,
            insecure=spec.get("insecure") is True,
            digest=as_str(ref.get("digest")),
        ),
        "",
    )


def _from_chart_spec(chart_spec: dict[str, object], ns: str, lookup: Lookup) -> tuple[ChartRef | None, str]:
    chart = as_str(chart_spec.get("chart"))
    version = _text(chart_spec.get("version")).strip()
    version = "" if version == "*" else version
    src_ref = as_dict(chart_spec.get("sourceRef"))
    kind, name = as_str(src_ref.get("kind")), as_str(src_ref.get("name"))
    if not chart:
        return None, "spec.chart.spec.chart is not set"
    if kind != "HelmRepository":
        return (
            None,
            f"chart {chart!r} comes from a {kind or 'missing'} source (only HelmRepository charts are pulled)",
        )
    src_ns = as_str(src_ref.get("namespace")) or ns
    src = lookup("HelmRepository", src_ns, name)
    if src is None:
        return None, f"HelmRepository {src_ns}/{name} is not among the inputs"
    spec = as_dict(src.body.get("spec"))
    url = as_str(spec.get("url")).rstrip("/")
    if not url:
        return None, f"HelmRepository {src.namespace}/{src.name} has no spec.url"
    insecure = spec.get("insecure") is True
    if spec.get("type") == "oci" or url.startswith("oci://"):
        return ChartRef("oci", f"{url}/{chart}", chart, version, insecure=insecure), ""
    return ChartRef("http", url, chart, version, insecure=insecure), ""


def _text(value: object) -> str:
    if value is None or isinstance(value, (bool, dict, list)):
        return ""
    return str(value)
