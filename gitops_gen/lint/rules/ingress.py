"""An Ingress serves its hosts with a certificate, from an issuer and Services that exist.

**What.**

* *TLS covers the rules*: when ``spec.tls`` is set, every ``spec.rules[].host`` is listed in
  some ``spec.tls[].hosts`` (exactly, or by a wildcard ``*.example.com`` that covers exactly
  one more label: ``app.example.com``, not ``a.b.example.com`` nor ``example.com``): error.
  A TLS entry without ``hosts`` is the controller's default certificate and covers everything.
  An Ingress without ``spec.tls`` is plain HTTP and not judged.
* *cert-manager*: the ``cert-manager.io/cluster-issuer`` annotation names a ``ClusterIssuer``,
  and ``cert-manager.io/issuer`` an ``Issuer`` in the Ingress's namespace, that exists - error,
  checked only when some (Cluster)Issuers are among the linted objects. The annotation without
  any ``spec.tls`` entry, or with an entry without ``secretName``: warning (cert-manager's
  ingress-shim issues nothing then). External issuers (``cert-manager.io/issuer-kind`` other
  than Issuer/ClusterIssuer) are not checked.
* *Backends*: the Service of every backend (``spec.defaultBackend`` and each path; the
  ``networking.k8s.io/v1`` and the old ``serviceName``/``servicePort`` forms) exists in the
  Ingress's namespace, and the port - by number or by name - is one of its ``spec.ports``
  (error). The Services that Flux itself creates in ``flux-system`` (``webhook-receiver``,
  ``notification-controller``, ``source-controller``) exist whenever Flux objects are linted.

**Why.** A host outside the TLS hosts is served with the ingress controller's self-signed
default certificate; an issuer name typo means no certificate is ever issued; a backend that
does not exist answers 503.

**What we chose.** False errors on partial inputs are worse than misses, so a missing object is
an error only when the input demonstrably covers its kind: a missing Service is an error when
other Services of that namespace were linted, a warning when none were, and not reported when
a HelmRelease installs into that namespace (the chart may create it). A missing
(Cluster)Issuer is not reported when no issuer at all was linted (it is usually created by a
chart or in another repository). Hosts, names and ports with ``${VAR}`` substitutions are
skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.k8s.workloads import as_decimal, as_dict, as_int, as_list, as_str, has_subst
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.lint.workloads import absence_severity

ID = "ingress"
SEVERITY = "error"
SCOPE = "object"
KINDS = frozenset({"Ingress"})
READS = {
    "Ingress": (
        "metadata.annotations",
        "spec.tls",
        "spec.rules.*.host",
        "spec.rules.*.http.paths.*.backend",
        "spec.defaultBackend",
        "spec.backend",
    ),
    "Service": ("spec",),
    "HelmRelease": ("spec.targetNamespace",),  # absence_severity: a chart may create the object
}

_CLUSTER_ISSUER = ("cert-manager.io/cluster-issuer", "certmanager.k8s.io/cluster-issuer")
_ISSUER = ("cert-manager.io/issuer", "certmanager.k8s.io/issuer")


def host_covered(host: str, tls_hosts: list[str]) -> bool:
    h = host.lower().rstrip(".")
    for t in tls_hosts:
        t = t.lower().rstrip(".")
        if t == h:
            return True
        if t.startswith("*.") and not h.startswith("*.") and "." in h and h.split(".", 1)[1] == t[2:]:
            return True
    return False


def _check_tls(r: Resource, spec: dict[str, Any]) -> Iterator[Hit]:
    tls = as_list(spec.get("tls"))
    if not tls:
        return
    hosts: list[str] = []
    for entry in tls:
        entry_hosts = as_dict(entry).get("hosts")
        if not isinstance(entry_hosts, list) or not entry_hosts:
            return  # the default certificate: covers every host
        for h in entry_hosts:
            if not isinstance(h, str) or has_subst(h):
                return  # cannot tell what it covers
            hosts.append(h)
    for i, rule in enumerate(as_list(spec.get("rules"))):
        host = as_dict(rule).get("host")
        if not isinstance(host, str) or not host or has_subst(host):
            continue
        if not host_covered(host, hosts):
            yield Hit(
                r,
                f"host {host!r} is not covered by any spec.tls hosts ({', '.join(hosts)}): "
                "it is served with the controller's default, self-signed certificate",
                f"add {host} (or a covering *.domain wildcard) to spec.tls[].hosts",
                ("spec", "rules", i, "host"),
            )


def _check_issuer(r: Resource, ctx: Context, spec: dict[str, Any]) -> Iterator[Hit]:
    ann = r.annotations
    issuer_kind = ann.get("cert-manager.io/issuer-kind", "")
    group = ann.get("cert-manager.io/issuer-group", "cert-manager.io")
    key = next((k for k in (*_CLUSTER_ISSUER, *_ISSUER) if k in ann), None)
    if key is None:
        return
    path: FieldPath = ("metadata", "annotations", key)
    tls = as_list(spec.get("tls"))
    if not tls:
        yield Hit(
            r,
            f"has the {key} annotation but no spec.tls: cert-manager issues no certificate",
            "add spec.tls with the hosts and a secretName for the certificate",
            path,
            severity=Severity.WARNING,
        )
    else:
        for i, entry in enumerate(tls):
            if not as_str(as_dict(entry).get("secretName")):
                yield Hit(
                    r,
                    f"spec.tls[{i}] has no secretName: cert-manager has nowhere to store the certificate",
                    "set spec.tls[].secretName",
                    ("spec", "tls", i),
                    severity=Severity.WARNING,
                )
    if group not in ("cert-manager.io", "") or issuer_kind not in ("", "Issuer", "ClusterIssuer"):
        return  # an external issuer
    name = ann[key]
    if not name or has_subst(name):
        return
    if key in _CLUSTER_ISSUER or issuer_kind == "ClusterIssuer":
        if ctx.by_kind.get("ClusterIssuer") and ctx.find("ClusterIssuer", "", name) is None:
            known = ", ".join(sorted({x.name for x in ctx.by_kind["ClusterIssuer"]}))
            yield Hit(
                r,
                f"ClusterIssuer {name!r} does not exist (linted: {known})",
                "use the name of an existing ClusterIssuer",
                path,
            )
    elif ctx.by_kind.get("Issuer") and ctx.find("Issuer", r.namespace, name) is None:
        yield Hit(
            r,
            f"Issuer {name!r} does not exist in namespace {r.namespace or '(unset)'}",
            "create the Issuer in the Ingress's namespace, or use a ClusterIssuer "
            "(cert-manager.io/cluster-issuer)",
            path,
        )


def _backends(spec: dict[str, Any]) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    for key in ("defaultBackend", "backend"):
        b = spec.get(key)
        if isinstance(b, dict):
            yield ("spec", key), b
    for i, rule in enumerate(as_list(spec.get("rules"))):
        for j, p in enumerate(as_list(dig_paths(rule))):
            b = as_dict(p).get("backend")
            if isinstance(b, dict):
                yield ("spec", "rules", i, "http", "paths", j, "backend"), b


def dig_paths(rule: object) -> object:
    return as_dict(as_dict(rule).get("http")).get("paths")


def _check_backend(r: Resource, ctx: Context, path: FieldPath, b: dict[str, Any]) -> Iterator[Hit]:
    if isinstance(b.get("service"), dict):
        svc = b["service"]
        name = svc.get("name")
        port_obj = as_dict(svc.get("port"))
        if "number" in port_obj:
            port, port_path = port_obj.get("number"), (*path, "service", "port", "number")
        else:
            port, port_path = port_obj.get("name"), (*path, "service", "port", "name")
        name_path: FieldPath = (*path, "service", "name")
    elif "serviceName" in b:
        name, port = b.get("serviceName"), b.get("servicePort")
        name_path, port_path = (*path, "serviceName"), (*path, "servicePort")
    else:
        return  # a resource backend
    if not isinstance(name, str) or not name or has_subst(name):
        return
    service = ctx.find("Service", r.namespace, name)
    if service is None and _flux_service(ctx, r.namespace, name):
        return  # created by Flux's own install (gotk-components / FluxInstance), not in the repository
    if service is None:
        sev = absence_severity(ctx, r.namespace, ("Service",))
        if sev is not None:
            extra = "" if sev == Severity.ERROR else " among the linted files"
            yield Hit(
                r,
                f"backend Service {name!r} does not exist in namespace "
                f"{r.namespace or '(unset)'}{extra}: requests get 503",
                "point the backend at an existing Service in the Ingress's namespace",
                name_path,
                severity=sev,
            )
        return
    sspec = as_dict(service.body.get("spec"))
    ports = [p for p in as_list(sspec.get("ports")) if isinstance(p, dict)]
    if not ports or port is None or has_subst(port) or isinstance(port, (bool, dict, list)):
        return
    numbers = {n for p in ports if (n := as_int(p.get("port"))) is not None}
    names = {p["name"] for p in ports if isinstance(p.get("name"), str)}
    num = as_int(port)
    if num is None and isinstance(port, str):
        num = as_decimal(port)
    if (num is not None and num in numbers) or (num is None and str(port) in names):
        return
    declared = ", ".join([*(str(n) for n in sorted(numbers)), *sorted(names)])
    yield Hit(
        r,
        f"backend port {port!r} is not a port of Service {name!r} ({declared})",
        "use one of the Service's spec.ports (port number or name)",
        port_path,
    )


# Services that a Flux installation creates in flux-system (the Receiver webhook and the events API)
FLUX_SERVICES = frozenset({"webhook-receiver", "notification-controller", "source-controller"})


def _flux_service(ctx: Context, namespace: str, name: str) -> bool:
    if name not in FLUX_SERVICES or namespace not in ("flux-system", ""):
        return False
    installed: bool = ctx.memo(
        "ingress.flux_installed",
        lambda: any(r.group.endswith(".fluxcd.io") for r in ctx.resources),
    )
    return installed


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    spec = resource.body.get("spec")
    if not isinstance(spec, dict):
        return
    yield from _check_tls(resource, spec)
    yield from _check_issuer(resource, ctx, spec)
    if has_subst(resource.namespace):
        return
    for path, backend in _backends(spec):
        yield from _check_backend(resource, ctx, path, backend)
