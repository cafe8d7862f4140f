"""Alertmanager routes name receivers that exist.

**What.** In the Alertmanager configuration of a kube-prometheus-stack HelmRelease
(``values.alertmanager.config``) and of an ``AlertmanagerConfig`` (monitoring.coreos.com), every
``receiver`` named by the route tree (the root route and every nested ``routes[]``) is defined
under ``receivers`` (error); a root route without a receiver: error (Alertmanager refuses the
configuration). Literal webhook URLs and passwords in these values are the ``secrets`` rule's.

**Why.** Alertmanager refuses a configuration with an unknown receiver: the operator keeps the old
one (or none) and alerts keep going nowhere, while git says they go to Slack.

**What we chose.** An ``AlertmanagerConfig``'s root route may omit its receiver (the operator
accepts that for nested configurations), so only the names it uses are checked; values coming
from ``valuesFrom`` and ``${VAR}`` substitutions are not judged.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.k8s.workloads import as_dict, as_list, as_str, dig, has_subst
from gitops_gen.lint.model import Context, Hit

ID = "alerting"
SEVERITY = "error"
SCOPE = "object"
KINDS = frozenset({"HelmRelease", "AlertmanagerConfig"})
LOCAL = True


def _routes(route: object, path: FieldPath, depth: int = 0) -> Iterator[tuple[FieldPath, str]]:
    if not isinstance(route, dict) or depth > 32:
        return
    name = route.get("receiver")
    if isinstance(name, str) and name and not has_subst(name):
        yield (*path, "receiver"), name
    for i, sub in enumerate(as_list(route.get("routes"))):
        yield from _routes(sub, (*path, "routes", i), depth + 1)


def _check_config(
    resource: Resource, config: object, base: FieldPath, root_needs_receiver: bool
) -> Iterator[Hit]:
    config = as_dict(config)
    route = config.get("route")
    if route is None:
        return
    defined = {as_str(dig(r, "name")) for r in as_list(config.get("receivers"))}
    if root_needs_receiver and isinstance(route, dict) and not route.get("receiver"):
        yield Hit(
            resource,
            "the root route names no receiver: Alertmanager refuses the configuration",
            "set route.receiver to one of the receivers (a 'null' receiver with no configs drops alerts on purpose)",
            (*base, "route"),
        )
    for path, name in _routes(route, (*base, "route")):
        if name not in defined:
            have = ", ".join(sorted(n for n in defined if n)) or "none"
            yield Hit(
                resource,
                f"route sends to receiver {name!r}, which is not defined (receivers: {have})",
                f"add a receiver named {name!r} under receivers, or route to an existing one",
                path,
            )


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    if resource.kind == "AlertmanagerConfig":
        if resource.group.startswith("monitoring.coreos.com"):
            yield from _check_config(resource, resource.body.get("spec"), ("spec",), False)
        return
    chart = as_str(dig(resource.body, "spec", "chart", "spec", "chart")) or as_str(
        dig(resource.body, "spec", "chartRef", "name")
    )
    if chart == "kube-prometheus-stack":
        config = dig(resource.body, "spec", "values", "alertmanager", "config")
        yield from _check_config(resource, config, ("spec", "values", "alertmanager", "config"), True)
