"""NetworkPolicies let through the traffic the platform needs: ingress, scrapes, ACME solvers.

**What.** A static reachability check on the linted objects, for three kinds of path:

* *ingress controller -> app*: every backend of every Ingress (Service, port -> the pods the
  Service selects and their container port);
* *Prometheus -> metrics*: every endpoint of every ServiceMonitor (the port name on the selected
  Services -> their pods);
* *ingress controller -> ACME solver*: an Ingress with TLS whose ``cert-manager.io/(cluster-)issuer``
  annotation names a linted issuer with an HTTP-01 ``ingress`` solver: cert-manager's solver pod
  (label ``acme.cert-manager.io/http01-solver: "true"``, port 8089) in the Ingress's namespace.

A path is *blocked* (error) when some NetworkPolicy of the destination's namespace selects the
destination pods for ingress and no rule of the policies selecting them can match the source on
that port; the message names the path and the policies. A NetworkPolicy whose ``podSelector``
matches no workload of its namespace: warning (it protects nothing), unless a HelmRelease
installs into that namespace or it selects cert-manager's solver pods (created on demand).

**Why.** A ``default-deny`` namespace policy is the first thing a hardening guide adds, and the
way small teams break their own cluster: the site answers 504 through the ingress controller,
Prometheus' targets go down, and certificates stop renewing (the HTTP-01 solver is a pod of its
own that the app's allow rule does not select) - silently, until the certificate expires.

**What we chose.** False errors are worse than misses, so a path is reported only when it is
blocked whatever the unknowns are: the ingress controller and Prometheus are located by their
HelmRelease (charts ``ingress-nginx``, ``traefik``, ``kube-prometheus-stack``; unknown otherwise);
a peer that might match what we do not know (an ``ipBlock``, a ``namespaceSelector`` on labels
other than ``kubernetes.io/metadata.name``, which the API server sets, a ``podSelector`` on pods
of an unknown controller) is taken to allow the traffic. The rule reads only the object's
namespace and cluster-wide objects, so an incremental lint gives the same answer: the sender's
egress policies and ServiceMonitors selecting Services of other namespaces are not judged.
Selectors and ports with ``${VAR}`` substitutions are not judged.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum

from msgspec import Struct

from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.k8s.workloads import (
    as_dict,
    as_int,
    as_list,
    as_str,
    compile_selector,
    containers,
    dig,
    has_subst,
    label_map,
    workload_index,
)
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.lint.projection import merge, pod_template
from gitops_gen.lint.workloads import helm_namespaces

ID = "netpol"
SEVERITY = "error"
SCOPE = "object"
KINDS = frozenset({"Ingress", "ServiceMonitor", "NetworkPolicy"})
READS = merge(
    pod_template("metadata.labels", "spec.containers.*.ports"),
    {
        "NetworkPolicy": ("spec",),
        "Ingress": (
            "metadata.annotations",
            "spec.rules.*.http.paths.*.backend",
            "spec.defaultBackend",
            "spec.tls",
        ),
        "ServiceMonitor": ("spec",),
        "Service": ("spec", "metadata.labels"),
        "ClusterIssuer": ("spec",),
        "Issuer": ("spec",),
        "HelmRelease": ("spec.chart.spec.chart", "spec.chartRef.name", "spec.targetNamespace"),
    },
)

SOLVER_LABEL = "acme.cert-manager.io/http01-solver"
SOLVER_PORT = 8089
NS_NAME_LABEL = "kubernetes.io/metadata.name"
_CLUSTER_ISSUER = ("cert-manager.io/cluster-issuer",)
_ISSUER = ("cert-manager.io/issuer",)

# chart name -> (role, labels of the pods that send the traffic)
_CHARTS: dict[str, tuple[str, dict[str, str]]] = {
    "ingress-nginx": ("ingress", {"app.kubernetes.io/name": "ingress-nginx"}),
    "traefik": ("ingress", {"app.kubernetes.io/name": "traefik"}),
    "kube-prometheus-stack": ("prometheus", {"app.kubernetes.io/name": "prometheus"}),
}


class Tri(Enum):
    NO = 0
    MAYBE = 1
    YES = 2


class Peer(Struct, frozen=True):
    """One end of a path: pods in a namespace (``None``: not known), with labels (``None``: not known)."""

    what: str  # how a message names it
    namespace: str | None
    labels: dict[str, str] | None
    port: int | None = None  # destination only: the container port number
    port_name: str | None = None  # and its name


def _sources(ctx: Context, role: str, fallback: str) -> list[Peer]:
    found: list[Peer] = []
    for hr in ctx.by_kind.get("HelmRelease", ()):
        chart = as_str(dig(hr.body, "spec", "chart", "spec", "chart")) or as_str(
            dig(hr.body, "spec", "chartRef", "name")
        )
        known = _CHARTS.get(chart)
        if known is None or known[0] != role:
            continue
        ns = as_str(dig(hr.body, "spec", "targetNamespace")) or hr.namespace
        if ns and not has_subst(ns):
            found.append(Peer(f"{fallback} ({hr.ref})", ns, dict(known[1])))
    return found or [Peer(fallback, None, None)]


def _ns_labels(ctx: Context, namespace: str) -> tuple[dict[str, str], bool]:
    """Labels of a namespace as far as they are certain: the API server's ``kubernetes.io/metadata.name``
    (other labels are taken as unknown: the Namespace object may sit in another file or repository)."""
    return {NS_NAME_LABEL: namespace}, False


def _match(selector: object, labels: dict[str, str] | None, complete: bool = True) -> Tri:
    if has_subst(selector):
        return Tri.MAYBE
    compiled = compile_selector(selector if selector is not None else {})
    if compiled is None:
        return Tri.MAYBE
    if compiled.empty:
        return Tri.YES
    if labels is None:
        return Tri.MAYBE
    if compiled.matches(labels):
        return Tri.YES
    return Tri.NO if complete else Tri.MAYBE


def _peer_matches(ctx: Context, peer: dict[str, object], policy_ns: str, other: Peer) -> Tri:
    if "ipBlock" in peer:
        return Tri.MAYBE
    if "namespaceSelector" in peer:
        if other.namespace is None:
            ns = Tri.MAYBE
        else:
            labels, complete = _ns_labels(ctx, other.namespace)
            ns = _match(peer["namespaceSelector"], labels, complete)
    elif other.namespace is None:
        ns = Tri.MAYBE
    else:
        ns = Tri.YES if other.namespace == policy_ns else Tri.NO
    if "podSelector" not in peer or ns == Tri.NO:
        return ns
    pods = _match(peer["podSelector"], other.labels)
    return Tri(min(ns.value, pods.value))


def _port_matches(rule_ports: object, dest: Peer) -> Tri:
    ports = as_list(rule_ports)
    if not ports:
        return Tri.YES
    best = Tri.NO
    for p in ports:
        p = as_dict(p)
        if as_str(p.get("protocol")) not in ("", "TCP"):
            continue
        port = p.get("port")
        if port is None:
            return Tri.YES
        if has_subst(port) or (dest.port is None and dest.port_name is None):
            best = Tri.MAYBE
            continue
        if isinstance(port, str) and not port.isdigit():
            if port == dest.port_name:
                return Tri.YES
            if dest.port_name is None:
                best = Tri.MAYBE
            continue
        number, end = as_int(port), as_int(p.get("endPort"))
        if dest.port is None:
            best = Tri.MAYBE
        elif number is not None and number <= dest.port <= (end if end is not None else number):
            return Tri.YES
    return best


def _policy_types(policy: Resource) -> set[str]:
    spec = as_dict(policy.body.get("spec"))
    types = {as_str(t) for t in as_list(spec.get("policyTypes"))}
    if not types:
        types = {"Ingress"} | ({"Egress"} if "egress" in spec else set())
    return types


def _blocking(ctx: Context, direction: str, src: Peer, dest: Peer) -> list[Resource] | None:
    """The policies that block ``src -> dest`` in ``direction`` (``Ingress``: at ``dest``;
    ``Egress``: at ``src``), or ``None`` when the traffic is (or may be) allowed."""
    here, there = (dest, src) if direction == "Ingress" else (src, dest)
    if here.namespace is None:
        return None
    field, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting: list[Resource] = []
    for policy in ctx.in_namespace(here.namespace, "NetworkPolicy"):
        if direction not in _policy_types(policy):
            continue
        spec = as_dict(policy.body.get("spec"))
        if _match(spec.get("podSelector"), here.labels) != Tri.YES:
            continue  # a policy that may not select the pods cannot be shown to block them
        selecting.append(policy)
        for rule in as_list(spec.get(field)):
            rule = as_dict(rule)
            peers = as_list(rule.get(peers_key))
            who = (
                Tri.YES
                if not peers
                else max(
                    (_peer_matches(ctx, as_dict(p), here.namespace, there) for p in peers),
                    key=lambda t: t.value,
                )
            )
            if who == Tri.NO:
                continue
            if _port_matches(rule.get("ports"), dest) != Tri.NO:
                return None
    return selecting or None


def _path_hits(
    ctx: Context, at: Resource, path: FieldPath, sources: list[Peer], dests: list[Peer]
) -> Iterator[Hit]:
    for src in sources:
        for dest in dests:
            # the sender's egress policies live in another namespace (partitioned runs see only the
            # object's own): only the receiving side is judged
            for direction in ("Ingress",):
                blockers = _blocking(ctx, direction, src, dest)
                if blockers is None:
                    continue
                names = ", ".join(f"{p.ref} ({p.file}:{p.line})" for p in blockers)
                port = f"port {dest.port_name or ''}{'/' if dest.port_name and dest.port else ''}{dest.port or ''}"
                if direction == "Ingress":
                    fix = (
                        f"add a NetworkPolicy in namespace {dest.namespace} that allows ingress to these pods "
                        f"on {port} from "
                        + (
                            f"namespaceSelector {NS_NAME_LABEL}: {src.namespace}"
                            if src.namespace
                            else "the namespace of the sender"
                        )
                    )
                else:
                    fix = f"add an egress rule in namespace {src.namespace} to namespace {dest.namespace} on {port}"
                yield Hit(
                    at,
                    f"traffic from {src.what} to {dest.what} on {port} is blocked ({direction.lower()}) by {names}",
                    fix,
                    path,
                )


def _service_pods(ctx: Context, svc: Resource, port: object, what: str) -> list[Peer]:
    """The destination pods of a Service port (by number or name) with their container port."""
    sel = dig(svc.body, "spec", "selector")
    compiled = compile_selector({"matchLabels": sel}) if isinstance(sel, dict) and sel else None
    if compiled is None or has_subst(svc.namespace):
        return []
    target: object = None
    for p in as_list(dig(svc.body, "spec", "ports")):
        p = as_dict(p)
        if (isinstance(port, str) and p.get("name") == port) or (
            isinstance(port, int) and as_int(p.get("port")) == port
        ):
            target = p.get("targetPort", p.get("port"))
            break
    else:
        return []
    out: list[Peer] = []
    for w in workload_index(ctx).select(svc.namespace, compiled):
        number, name = None, None
        for c in containers(w.resource, init=False):
            for cp in as_list(c.container.get("ports")):
                cp = as_dict(cp)
                cnum, cname = as_int(cp.get("containerPort")), as_str(cp.get("name")) or None
                if (isinstance(target, str) and not target.isdigit() and cname == target) or (
                    as_int(target) is not None and cnum == as_int(target)
                ):
                    number, name = cnum, cname
        if number is None and as_int(target) is not None:
            number = as_int(target)
        if number is None and name is None:
            continue
        out.append(Peer(f"{what} ({w.resource.ref})", svc.namespace, w.labels, number, name))
    return out


def _ingress_paths(ctx: Context, ing: Resource, controllers: list[Peer]) -> Iterator[Hit]:
    spec = as_dict(ing.body.get("spec"))
    backends: list[tuple[FieldPath, dict[str, object]]] = []
    if "defaultBackend" in spec:
        backends.append((("spec", "defaultBackend"), as_dict(spec.get("defaultBackend"))))
    for i, rule in enumerate(as_list(spec.get("rules"))):
        for j, p in enumerate(as_list(dig(rule, "http", "paths"))):
            backends.append(
                (("spec", "rules", i, "http", "paths", j, "backend"), as_dict(as_dict(p).get("backend")))
            )
    for path, backend in backends:
        svc_name = as_str(dig(backend, "service", "name"))
        port: object = dig(backend, "service", "port", "number")
        if port is None:
            port = as_str(dig(backend, "service", "port", "name")) or None
        svc = ctx.get("Service", ing.namespace, svc_name) if svc_name else None
        if svc is None or port is None or has_subst(port):
            continue
        yield from _path_hits(
            ctx, ing, path, controllers, _service_pods(ctx, svc, port, f"Service {svc_name}")
        )
    issuer = _http01_issuer(ctx, ing)
    if issuer is not None and spec.get("tls"):
        solver = Peer(
            f"the ACME HTTP-01 solver of {issuer.ref}",
            ing.namespace,
            {SOLVER_LABEL: "true"},
            SOLVER_PORT,
            None,
        )
        yield from _path_hits(ctx, ing, ("spec", "tls"), controllers, [solver])


def _http01_issuer(ctx: Context, ing: Resource) -> Resource | None:
    notes = ing.annotations
    issuer: Resource | None = None
    for key in _CLUSTER_ISSUER:
        if notes.get(key):
            issuer = ctx.get("ClusterIssuer", "", notes[key])
    for key in _ISSUER:
        if notes.get(key):
            issuer = ctx.get("Issuer", ing.namespace, notes[key])
    if issuer is None:
        return None
    solvers = as_list(dig(issuer.body, "spec", "acme", "solvers"))
    # only when every solver is HTTP-01 through an ingress: a selector may route to DNS-01
    if solvers and all(isinstance(dig(s, "http01", "ingress"), dict) for s in solvers):
        return issuer
    return None


def _monitor_paths(ctx: Context, sm: Resource, prometheus: list[Peer]) -> Iterator[Hit]:
    spec = as_dict(sm.body.get("spec"))
    sel = compile_selector(spec.get("selector") if spec.get("selector") is not None else {})
    if sel is None or has_subst(sm.namespace):
        return
    nss = dig(spec, "namespaceSelector")
    if dig(nss, "any") is True or as_list(dig(nss, "matchNames")) not in ([], [sm.namespace]):
        return  # Services of other namespaces: not among what a partitioned run sees with this object
    services = [s for s in ctx.in_namespace(sm.namespace, "Service") if sel.matches(s.labels)]
    for i, ep in enumerate(as_list(spec.get("endpoints"))):
        port = as_str(dig(ep, "port"))
        if not port:
            continue
        for svc in services:
            dests = _service_pods(ctx, svc, port, f"the metrics of Service {svc.namespace}/{svc.name}")
            yield from _path_hits(ctx, sm, ("spec", "endpoints", i, "port"), prometheus, dests)


def _unused_policy(ctx: Context, policy: Resource) -> Iterator[Hit]:
    helm = helm_namespaces(ctx)
    index = workload_index(ctx)
    for ns in [policy.namespace]:
        sel = dig(policy.body, "spec", "podSelector")
        compiled = compile_selector(sel if sel is not None else {})
        if compiled is None or compiled.empty or has_subst(ns) or ns in helm or not ns:
            return
        if compiled.matches({SOLVER_LABEL: "true"}):
            return  # cert-manager creates the solver pods while it issues a certificate
        if not index.by_ns.get(ns):
            return  # no workload of that namespace was linted: a partial input
        if not index.select(ns, compiled):
            yield Hit(
                policy,
                f"spec.podSelector {label_map(dig(sel, 'matchLabels')) or sel} selects no pod of the workloads in namespace {ns}: it protects nothing",
                "make spec.podSelector match the pod template labels of a workload in this namespace, or delete the policy",
                ("spec", "podSelector"),
                severity=Severity.WARNING,
            )


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    if has_subst(resource.namespace):
        return
    if resource.kind == "NetworkPolicy":
        if resource.group == "networking.k8s.io":
            yield from _unused_policy(ctx, resource)
        return
    if not ctx.in_namespace(resource.namespace, "NetworkPolicy"):
        return
    if resource.kind == "Ingress":
        yield from _ingress_paths(ctx, resource, _sources(ctx, "ingress", "the ingress controller"))
    elif resource.kind == "ServiceMonitor" and resource.group.startswith("monitoring.coreos.com"):
        yield from _monitor_paths(ctx, resource, _sources(ctx, "prometheus", "Prometheus"))
