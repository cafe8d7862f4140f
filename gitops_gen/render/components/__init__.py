"""Per-component knowledge: one module per platform component (chart, repository, namespace, CRD
policy, and the Helm values built from the spec, with explicit requests and limits for every
workload the chart creates).

Each module names its chart once (``REF``, a :class:`ChartRef`), exposes ``build(platform: Platform) ->
HelmComponent | None`` (``None`` when the spec leaves the component out or disables it; built with
``REF.component(...)``) and ``RESOURCES``: the values path of every workload's
``resources`` block with the requests/limits gitops-gen sets there, so the sizing is visible in one
place per chart. The engine turns a :class:`HelmComponent` into a Namespace, a HelmRepository and a
HelmRelease under ``infrastructure/controllers/<dir>/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from gitops_gen.spec.models import ChartSourced, Platform, ReleasePolicy, ValuesReference
from gitops_gen.values import deep_merge, set_path

__all__ = [
    "ChartRef",
    "HelmComponent",
    "Issuer",
    "apply_resources",
    "build_all",
    "deep_merge",
    "ingress_class_of",
    "issuer_of",
    "release_policy",
    "resources",
    "set_path",
    "values_reference",
]


class HelmComponent(Struct, frozen=True):
    """Everything the templates need for one HelmRelease (plus its Namespace and HelmRepository)."""

    dir: str  # directory under infrastructure/controllers/
    release: str  # HelmRelease name = Helm release name (releaseName is set explicitly)
    namespace: str
    chart: str
    version: str
    repo_name: str
    repo_url: str
    values: dict[str, Any]
    spec_path: str  # where in the Platform spec the component lives, e.g. spec.components.logging.loki
    crds: str | None = None  # Flux install/upgrade CRD policy for charts that ship a crds/ directory
    owns_namespace: bool = True  # emit the Namespace and HelmRepository (False: shared with another dir)
    depends_on: tuple[tuple[str, str], ...] = ()  # (name, namespace) of HelmReleases to wait for
    timeout: str = "5m"
    notes: tuple[str, ...] = ()  # comment lines above the HelmRelease
    # set by build_all from the component's spec (ChartSourced fields) and module (OCI_URL):
    oci_url: str | None = None  # chart from this OCI artifact (OCIRepository + chartRef) instead
    oci_available: bool = False  # the upstream publishes an OCI chart gitops-gen knows
    chart_source: str = "helm"  # what the spec asked for
    values_from: tuple[dict[str, Any], ...] = ()
    policy: tuple[tuple[str, str], ...] = ()  # (template variable, value): drift/install/upgrade


class ChartRef(Struct, frozen=True):
    """What a component module says once: its chart, the repository serving it, and where it goes."""

    dir: str  # directory under infrastructure/controllers/
    release: str
    namespace: str
    chart: str
    repo_name: str
    repo_url: str

    def component(
        self,
        version: str,
        values: dict[str, Any],
        overrides: Mapping[str, Any],
        spec_path: str,
        *,
        crds: str | None = None,
        owns_namespace: bool = True,
        depends_on: tuple[tuple[str, str], ...] = (),
        timeout: str = "5m",
        notes: tuple[str, ...] = (),
    ) -> HelmComponent:
        """The component of this chart at ``version``: gitops-gen's ``values`` with the spec's
        ``overrides`` (its ``values:``) merged over them."""
        return HelmComponent(
            dir=self.dir,
            release=self.release,
            namespace=self.namespace,
            chart=self.chart,
            version=version,
            repo_name=self.repo_name,
            repo_url=self.repo_url,
            values=deep_merge(values, dict(overrides)),
            spec_path=spec_path,
            crds=crds,
            owns_namespace=owns_namespace,
            depends_on=depends_on,
            timeout=timeout,
            notes=notes,
        )


def resources(cpu_req: str, mem_req: str, cpu_lim: str, mem_lim: str) -> dict[str, dict[str, str]]:
    """A Kubernetes ``resources`` block with requests and limits for both CPU and memory."""
    return {"requests": {"cpu": cpu_req, "memory": mem_req}, "limits": {"cpu": cpu_lim, "memory": mem_lim}}


def apply_resources(values: dict[str, Any], table: Mapping[str, dict[str, dict[str, str]]]) -> None:
    for path, block in table.items():
        set_path(values, path, block)


def _modules() -> list[ModuleType]:
    from gitops_gen.render.components import (
        cert_manager,
        external_secrets,
        ingress_nginx,
        kube_prometheus_stack,
        loki,
        promtail,
        sealed_secrets,
        velero,
    )

    modules = [ingress_nginx, cert_manager, sealed_secrets, kube_prometheus_stack, loki, promtail]
    return [*modules, velero, external_secrets]  # day-2 components


def build_all(platform: Platform) -> list[HelmComponent]:
    """The enabled components of ``platform``, sorted by directory name (stable output)."""
    built: list[HelmComponent] = []
    for module in _modules():
        c: HelmComponent | None = module.build(platform)
        if c is None:
            continue
        spec = _spec_at(platform, c.spec_path)
        oci: str | None = getattr(module, "OCI_URL", None)
        if spec is not None:
            c = replace(
                c,
                oci_url=oci if spec.chartSource == "oci" else None,
                oci_available=oci is not None,
                chart_source=spec.chartSource,
                values_from=tuple(values_reference(r) for r in spec.valuesFrom),
                policy=release_policy(spec),
            )
        built.append(c)
    return sorted(built, key=lambda c: c.dir)


def _spec_at(platform: Platform, spec_path: str) -> ChartSourced | None:
    node: Any = platform
    for part in spec_path.split("."):
        node = getattr(node, part, None)
    return node if isinstance(node, ChartSourced) else None


def values_reference(ref: ValuesReference) -> dict[str, Any]:
    """A HelmRelease ``valuesFrom`` item."""
    item: dict[str, Any] = {"kind": ref.kind, "name": ref.name}
    if ref.valuesKey is not None:
        item["valuesKey"] = ref.valuesKey
    if ref.targetPath is not None:
        item["targetPath"] = ref.targetPath
    if ref.optional:
        item["optional"] = True
    return item


def release_policy(spec: ReleasePolicy) -> tuple[tuple[str, str], ...]:
    """The helmrelease template variables set by a :class:`ReleasePolicy`."""
    pairs = (
        ("drift_detection", spec.driftDetection),
        ("install_strategy", spec.installStrategy),
        ("upgrade_strategy", spec.upgradeStrategy),
        ("remediation_strategy", spec.upgradeRemediation),
    )
    return tuple((k, v) for k, v in pairs if v is not None)


class Issuer(Struct, frozen=True):
    """The cert-manager ClusterIssuer rendered under infrastructure/configs/."""

    name: str
    email: str
    server: str
    ingress_class: str = "nginx"
    notes: tuple[str, ...] = field(default_factory=tuple)


def ingress_class_of(platform: Platform) -> str:
    """The ingress class of the platform's ingress controller: ``spec.ingressClass`` when set, else
    ingress-nginx's when it is rendered, else K3s's bundled Traefik unless it is disabled."""
    if platform.spec.ingressClass is not None:
        return platform.spec.ingressClass
    nginx = platform.spec.components.ingressNginx
    if nginx is not None and nginx.enabled:
        return "nginx"
    if platform.spec.distribution == "k3s" and "traefik" not in platform.spec.k3s.disable:
        return "traefik"
    return "nginx"


def issuer_of(platform: Platform) -> Issuer | None:
    cm = platform.spec.components.certManager
    if cm is None or not cm.enabled or cm.acme is None:
        return None
    return Issuer(
        name=cm.acme.issuer,
        email=cm.acme.email,
        server=cm.acme.server,
        ingress_class=ingress_class_of(platform),
    )
