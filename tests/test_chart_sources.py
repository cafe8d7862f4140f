"""Which chart a HelmRelease installs, and from where (gitops_gen.charts.sources), and the cache's lookups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops_gen.charts.cache import ChartCache
from gitops_gen.charts.sources import ChartRef, chart_ref
from gitops_gen.k8s.model import ObjectIndex, Resource


def _r(kind: str, name: str, spec: dict[str, Any], ns: str = "apps") -> Resource:
    return Resource({"kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": spec}, "f.yaml", 1)


def _ref(hr_spec: dict[str, Any], *sources: Resource) -> tuple[ChartRef | None, str]:
    hr = _r("HelmRelease", "rel", hr_spec)
    return chart_ref(hr, ObjectIndex([hr, *sources]).find)


def test_helm_repository_http_and_oci() -> None:
    spec = {
        "chart": {
            "spec": {
                "chart": "podinfo",
                "version": ">=6 <7",
                "sourceRef": {"kind": "HelmRepository", "name": "p"},
            }
        }
    }
    http = _r("HelmRepository", "p", {"url": "https://charts.example.org/"})
    assert _ref(spec, http) == (ChartRef("http", "https://charts.example.org", "podinfo", ">=6 <7"), "")
    oci = _r("HelmRepository", "p", {"url": "oci://ghcr.io/org/charts", "type": "oci", "insecure": True})
    assert _ref(spec, oci) == (
        ChartRef("oci", "oci://ghcr.io/org/charts/podinfo", "podinfo", ">=6 <7", insecure=True),
        "",
    )
    # "*" and no version both mean the newest stable version
    spec["chart"]["spec"]["version"] = "*"
    assert _ref(spec, http)[0] == ChartRef("http", "https://charts.example.org", "podinfo", "")


def test_oci_repository_ref_precedence() -> None:
    spec = {"chartRef": {"kind": "OCIRepository", "name": "o"}}
    url = "oci://ghcr.io/bjw-s-labs/helm/app-template"
    both = {"url": url, "ref": {"tag": "4.1.1", "semver": ">=4.0.0 <5", "digest": "sha256:ab"}}
    ref, _ = _ref(spec, _r("OCIRepository", "o", both))
    assert ref == ChartRef("oci", url, "app-template", ">=4.0.0 <5", digest="sha256:ab")
    assert ref.key == f"{url}#app-template@sha256:ab"
    ref, _ = _ref(spec, _r("OCIRepository", "o", {"url": url, "ref": {"tag": 5.1}}))
    assert ref is not None and ref.version == "5.1" and ref.key == f"{url}#app-template@5.1"


def test_helm_chart_and_unsupported_sources() -> None:
    helm_chart = _r(
        "HelmChart",
        "hc",
        {"chart": "loki", "version": "6.55.0", "sourceRef": {"kind": "HelmRepository", "name": "g"}},
    )
    repo = _r("HelmRepository", "g", {"url": "https://grafana.github.io/helm-charts"})
    ref, _ = _ref({"chartRef": {"kind": "HelmChart", "name": "hc"}}, helm_chart, repo)
    assert ref == ChartRef("http", "https://grafana.github.io/helm-charts", "loki", "6.55.0")
    git = {"chart": {"spec": {"chart": "./charts/app", "sourceRef": {"kind": "GitRepository", "name": "g"}}}}
    assert _ref(git) == (
        None,
        "chart './charts/app' comes from a GitRepository source (only HelmRepository charts are pulled)",
    )
    assert _ref({"chartRef": {"kind": "OCIRepository", "name": "gone"}}) == (
        None,
        "spec.chartRef OCIRepository apps/gone is not among the inputs",
    )
    spec = {"chart": {"spec": {"chart": "x", "sourceRef": {"kind": "HelmRepository", "name": "missing"}}}}
    assert _ref(spec) == (None, "HelmRepository apps/missing is not among the inputs")


def test_cache_lookup_by_reference(tmp_path: Path) -> None:
    cache = ChartCache(tmp_path / "c")
    ref = ChartRef("http", "https://charts.example.org", "podinfo", "^6")
    assert cache.lookup(ref) is None
    archive = tmp_path / "podinfo-6.1.0.tgz"
    archive.write_bytes(b"not really a chart, but bytes to address")
    entry = cache.store(ref, archive, "6.1.0")
    hit = cache.lookup(ref)
    assert hit is not None and hit[1] == entry and hit[0].read_bytes() == archive.read_bytes()
    assert ChartCache(tmp_path / "c").lookup(ref) == hit  # read back from refs.json
    assert (
        ChartCache(tmp_path / "c").lookup(ChartRef("http", "https://charts.example.org", "podinfo", "^7"))
        is None
    )
    hit[0].unlink()  # a cache whose archive went missing does not pretend
    assert ChartCache(tmp_path / "c").lookup(ref) is None
