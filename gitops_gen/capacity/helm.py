"""Real Helm: take a HelmRelease's workloads from ``helm template`` of a local chart.

Used instead of the profile when a ``helm`` binary is on PATH and the chart is available locally:
``--chart-dir NAME=DIR`` (a chart directory or ``.tgz`` for chart NAME) or ``--chart-dir DIR`` (a
chart cache: ``DIR/<name>/Chart.yaml``, ``DIR/<name>-<version>.tgz`` or ``DIR/<name>.tgz``).

``helm template <release> <chart> --namespace <ns> --values <merged values> --skip-tests`` runs
offline, with HELM_CACHE_HOME/CONFIG_HOME/DATA_HOME in a temporary directory (nothing of the user's
Helm setup is read or written). Its output goes through the same workload extraction as plain
manifests (HPA targets at maxReplicas, DaemonSets per node, hook Jobs as transient pods).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field
from msgspec.structs import replace

from gitops_gen.capacity import manifests
from gitops_gen.capacity.model import Workload
from gitops_gen.capacity.profiles._base import LoadBalancer
from gitops_gen.charts.backend import SDK, BinaryError, SdkError, find_helm, run_binary, sdk_template
from gitops_gen.charts.cache import ChartCache, default_dir
from gitops_gen.charts.sources import ChartRef
from gitops_gen.errors import UserError
from gitops_gen.k8s.model import ObjectIndex, Resource
from gitops_gen.k8s.workloads import POD_TEMPLATE_KINDS

if TYPE_CHECKING:
    from gitops_gen.capacity.nodes import Cluster
    from gitops_gen.capacity.releases import ReleaseInfo

TIMEOUT_SECONDS = 120


def parse_chart_dirs(entries: Iterable[str]) -> tuple[dict[str, Path], list[Path]]:
    """``--chart-dir`` values of lint and budget: ``NAME=DIR`` (a chart directory or ``.tgz`` for
    chart NAME) or ``DIR`` (a chart cache). Returns (named charts, cache directories)."""
    named: dict[str, Path] = {}
    caches: list[Path] = []
    for entry in entries:
        name, sep, path = entry.partition("=")
        target = Path(path if sep else name).expanduser()
        if not target.exists():
            raise UserError.at(
                "--chart-dir",
                f"{target} does not exist",
                hint="give NAME=DIR (a chart directory or .tgz) or a chart cache directory",
            )
        if sep:
            if not name.strip():
                raise UserError.at("--chart-dir", f"{entry!r}: empty chart name", hint="use NAME=DIR")
            named[name.strip()] = target
        elif target.is_dir():
            caches.append(target)
        else:
            raise UserError.at(
                "--chart-dir", f"{target} is not a directory", hint="use NAME=FILE.tgz for a packaged chart"
            )
    return named, caches


class HelmError(Exception):
    """``helm template`` failed (bad chart, values the chart refuses, timeout)."""


class ChartSource(Struct):
    """Where charts are rendered from: ``helm`` (binary or SDK), ``--chart-dir`` entries and the chart cache."""

    helm: str
    named: dict[str, Path] = field(default_factory=dict)
    caches: list[Path] = field(default_factory=list)
    cache: ChartCache | None = None  # the chart cache of `gitops-gen charts pull`

    @classmethod
    def from_options(
        cls, chart_dirs: Iterable[str], *, strict: bool = True, chart_cache: Path | None = None
    ) -> ChartSource | None:
        """Parse ``--chart-dir`` values and open the chart cache (``chart_cache``, else the default
        one when it exists). None when there is nothing to render from, or helm is missing (an
        error when ``--chart-dir`` was given and ``strict``)."""
        entries = [str(e) for e in chart_dirs if str(e).strip()]
        root = chart_cache if chart_cache is not None else default_dir()
        cache = ChartCache(root) if root.is_dir() else None
        helm = find_helm()
        if not entries:
            return cls(helm, cache=cache) if cache is not None and helm is not None else None
        if helm is None:
            if strict:
                raise UserError.at(
                    "--chart-dir",
                    "`helm` is not on PATH, so local charts cannot be rendered",
                    hint="install helm (https://helm.sh) or drop --chart-dir to use the "
                    "built-in chart profiles",
                )
            return None
        named, caches = parse_chart_dirs(entries)
        return cls(helm, named, caches, cache)

    def find(self, chart: str, version: str, ref: ChartRef | None = None) -> Path | None:
        """The chart to render: ``--chart-dir NAME=DIR``, the chart cache (by the release's
        reference), then ``--chart-dir DIR`` directories."""
        if chart in self.named:
            return self.named[chart]
        if ref is not None and self.cache is not None:
            hit = self.cache.lookup(ref)
            if hit is not None:
                return hit[0]
        v = version.lstrip("v")
        for cache in self.caches:
            for cand in (
                cache / chart,
                cache / f"{chart}-{version}.tgz",
                cache / f"{chart}-{v}.tgz",
                cache / f"{chart}.tgz",
            ):
                if (cand / "Chart.yaml").is_file() or (cand.suffix == ".tgz" and cand.is_file()):
                    return cand
        return None


_CACHE: dict[str, str] = {}


def template(
    helm: str,
    release: str,
    namespace: str,
    chart: Path,
    values: dict[str, Any],
    kube_version: str | None = None,
) -> str:
    """The rendered manifests of ``helm template`` (raises :class:`HelmError`)."""
    values_text = json.dumps(values, sort_keys=True, default=str)
    key = json.dumps([helm, release, namespace, str(chart.resolve()), values_text, kube_version])
    if key in _CACHE:
        return _CACHE[key]
    if helm == SDK:
        try:
            _CACHE[key] = sdk_template(release, namespace, chart, values)
        except SdkError as exc:
            raise HelmError(f"rendering {chart} with {SDK} failed: {exc}") from None
        return _CACHE[key]
    with tempfile.TemporaryDirectory(prefix="gitops-gen-helm-") as tmp:
        values_file = Path(tmp, "values.json")
        values_file.write_text(values_text, encoding="utf-8")
        cmd = [
            helm,
            "template",
            release,
            str(chart),
            "--namespace",
            namespace,
            "--values",
            str(values_file),
            "--skip-tests",
        ]
        if kube_version:
            cmd += ["--kube-version", kube_version]
        try:
            out = run_binary(cmd, f"`helm template` of {chart}", Path(tmp), TIMEOUT_SECONDS, keep_env=False)
        except BinaryError as exc:
            raise HelmError(str(exc)) from None
    _CACHE[key] = out
    return out


def footprint(
    info: ReleaseInfo, chart: Path, cluster: Cluster | None, helm: str
) -> tuple[list[Workload], list[LoadBalancer]]:
    """Workloads of one HelmRelease (a :class:`ReleaseInfo`) from ``helm template``."""
    from gitops_gen.k8s.loader import parse_text

    rel = info.release
    kube = f"v{cluster.kubernetes_version.lstrip('v')}" if cluster is not None else None
    if kube is not None and kube.count(".") == 1:
        kube += ".0"
    text = template(helm, rel.name, rel.namespace, chart, info.values, kube)
    parsed = parse_text(text)
    display = f"helm template {chart.name}"
    resources = [
        Resource(d.body, display, d.line, d.column, d.index)
        for d in parsed.documents
        if isinstance(d.body, dict)
    ]
    for r in resources:
        if not r.namespace:
            meta = r.body.get("metadata")
            if isinstance(meta, dict):
                meta["namespace"] = rel.namespace
    index = ObjectIndex(resources)
    workloads: list[Workload] = []
    lbs: list[LoadBalancer] = []
    for r in resources:
        if r.kind in POD_TEMPLATE_KINDS or r.kind in manifests.OPERATOR_KINDS:
            w = manifests.workload_of(r, index)
            if w is None:
                continue
            w.owner = rel.owner
            w.component = _component(w.name, rel.name)
            w.notes.append(f"from helm template: {r.kind} {r.name}")
            w.replicas_path = f"{r.kind} {r.name} {w.replicas_path}".strip()
            workloads.append(w)
        elif r.kind == "Service":
            lb = manifests.load_balancer_of(r)
            if lb is not None:
                lbs.append(replace(lb, owner=rel.owner, path=f"Service {r.name} spec.type"))
    return workloads, lbs


def _component(name: str, release: str) -> str:
    if name.startswith(release + "-") and len(name) > len(release) + 1:
        return name[len(release) + 1 :]
    return name
