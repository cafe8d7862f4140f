"""Long-running containers have readiness and liveness probes, on ports they really open.

**What.** (For a HelmRelease whose values follow bjw-s app-template's layout, the same checks run on
the probes the chart renders, at the values' lines, except the port checks: app-template probes the
Service's port. An enabled non-custom probe on a controller without a Service is silently dropped by
the chart: error, at its ``enabled`` line.)

* Every container of a Deployment, StatefulSet or DaemonSet has a ``readinessProbe`` and a
  ``livenessProbe`` (error).
* The port of an ``httpGet``, ``tcpSocket`` or ``grpc`` probe (readiness, liveness or startup;
  any workload kind) is a declared ``containerPort``, by number or by name. A named port that
  the container does not declare can never resolve: error. A numeric port that is not among the
  container's declared ports: warning - Kubernetes does not require the declaration (``ports``
  is informational, the probe still works; controller-runtime health ports such as 8081 are the
  standard case), but a typo'd port fails the probe.
  Probes with ``httpGet.host`` (another host) are not checked.
* A liveness probe that is the same check as the readiness probe (same handler: path and port,
  socket, command or gRPC service) and gives up no later than it (liveness
  ``failureThreshold x periodSeconds`` not larger; a ``failureThreshold`` of 1 is a hair
  trigger): warning. When the application is merely slow, readiness takes it out of rotation,
  and liveness restarts it at the same moment - under load every replica restarts together.

**Why.** Without a readiness probe a rolling update declares new pods ready the instant they
start, so a broken release replaces a working one and traffic goes to pods that are still
booting. Without a liveness probe a deadlocked process is never restarted.

**What we chose.**

* *Liveness is required* for Deployments, StatefulSets and DaemonSets (kube-linter requires it;
  kube-score only recommends it and Polaris warns). In a GitOps repository nobody watches the
  pods; a hung process should heal itself. Make the liveness probe cheap and more tolerant than
  readiness (higher ``failureThreshold``) so it only fires on a real hang.
* *Readiness is required for every such container*, not only for pods behind a Service
  (kube-score's choice): it also gates rollouts and ``kubectl rollout status`` / Flux health
  checks (``wait: true``).
* Init containers (including sidecars) are exempt from the requirement (they cannot have
  probes, or run beside the app); Jobs, CronJobs and bare Pods are exempt (they run to
  completion, nothing rolls them out).
* Identical probes are a *warning* (kube-score makes them critical): with a more tolerant
  liveness probe on the same endpoint they are a common, defensible pattern, so we only flag
  them when liveness fires no later than readiness.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_gen.k8s.app_template import AppController, helmrelease_controllers
from gitops_gen.k8s.model import Resource
from gitops_gen.k8s.workloads import (
    POD_TEMPLATE_KINDS,
    ContainerRef,
    as_decimal,
    as_int,
    as_list,
    containers,
    has_subst,
)
from gitops_gen.lint.chart_values import in_values
from gitops_gen.lint.model import Context, Hit, Severity

ID = "probes"
SEVERITY = "error"
SCOPE = "object"
LOCAL = True  # reads only its object: runs per file (process pool, cache)
KINDS = POD_TEMPLATE_KINDS | {"HelmRelease"}  # HelmRelease: bjw-s app-template values

REQUIRED_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
_PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
_HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")


def _ports(container: dict[str, Any]) -> tuple[set[int], dict[str, int]]:
    numbers: set[int] = set()
    names: dict[str, int] = {}
    for p in as_list(container.get("ports")):
        if not isinstance(p, dict):
            continue
        n = as_int(p.get("containerPort"))
        if n is not None:
            numbers.add(n)
        name = p.get("name")
        if isinstance(name, str) and name:
            names[name] = n if n is not None else -1
    return numbers, names


def _resolve(port: object, names: dict[str, int]) -> object:
    if isinstance(port, str):
        number = as_decimal(port)
        if number is not None:
            return number
        return names.get(port, port)
    n = as_int(port)
    return n if n is not None else port


def _handler(probe: dict[str, Any], names: dict[str, int]) -> tuple[str, Any] | None:
    """A comparable form of a probe's handler (ports by name resolved to numbers)."""
    for h in _HANDLERS:
        body = probe.get(h)
        if not isinstance(body, dict):
            continue
        if h == "exec":
            cmd = body.get("command")
            return h, tuple(str(x) for x in cmd) if isinstance(cmd, list) else None
        if h == "httpGet":
            return h, (
                str(body.get("path") or "/"),
                _resolve(body.get("port"), names),
                str(body.get("host") or ""),
                str(body.get("scheme") or "HTTP").upper(),
            )
        if h == "grpc":
            return h, (_resolve(body.get("port"), names), str(body.get("service") or ""))
        return h, (_resolve(body.get("port"), names),)
    return None


def _tolerance(probe: dict[str, Any]) -> tuple[int, int]:
    ft = as_int(probe.get("failureThreshold"))
    period = as_int(probe.get("periodSeconds"))
    ft = ft if ft is not None and ft > 0 else 3
    period = period if period is not None and period > 0 else 10
    return ft, ft * period


def _check_ports(r: Resource, c: ContainerRef) -> Iterator[Hit]:
    numbers, names = _ports(c.container)
    for pname in _PROBES:
        probe = c.container.get(pname)
        if not isinstance(probe, dict):
            continue
        for h in ("httpGet", "tcpSocket", "grpc"):
            body = probe.get(h)
            if not isinstance(body, dict) or "port" not in body:
                continue
            if h == "httpGet" and body.get("host"):
                continue  # probes another host: its ports are not this container's
            port = body.get("port")
            path = (*c.path, pname, h, "port")
            if has_subst(port) or port is None or isinstance(port, (bool, dict, list)):
                continue
            n = as_decimal(port) if isinstance(port, str) else as_int(port)
            if isinstance(port, str) and n is None:
                if port not in names:
                    declared = ", ".join(sorted(names)) or "none"
                    yield Hit(
                        r,
                        f"{c.label}: {pname} uses port name {port!r}, which the container "
                        f"does not declare (named ports: {declared})",
                        f"add a ports entry with name: {port}, or use the port number",
                        path,
                    )
                continue
            if n is None or n in numbers:
                continue
            if numbers or names:
                yield Hit(
                    r,
                    f"{c.label}: {pname} probes port {n}, which is not one of its "
                    f"containerPorts ({', '.join(str(x) for x in sorted(numbers))})",
                    f"probe a port the container listens on, or declare containerPort: {n}",
                    path,
                    severity=Severity.WARNING,
                )
            else:
                yield Hit(
                    r,
                    f"{c.label}: {pname} probes port {n} but the container declares no ports",
                    f"declare it: ports: [{{containerPort: {n}}}]",
                    path,
                    severity=Severity.WARNING,
                )


def _check_identical(r: Resource, c: ContainerRef) -> Iterator[Hit]:
    live, ready = c.container.get("livenessProbe"), c.container.get("readinessProbe")
    if not isinstance(live, dict) or not isinstance(ready, dict):
        return
    _, names = _ports(c.container)
    hl, hr = _handler(live, names), _handler(ready, names)
    if hl is None or hl != hr or hl[1] is None:
        return
    live_ft, live_tol = _tolerance(live)
    _, ready_tol = _tolerance(ready)
    if live_ft == 1:
        why = "and restarts it after a single failure (failureThreshold: 1, a hair trigger)"
    elif live_tol <= ready_tol:
        why = (
            f"and gives up no later ({live_tol}s vs {ready_tol}s): a slow pod is restarted "
            "the moment it leaves rotation"
        )
    else:
        return
    yield Hit(
        r,
        f"{c.label}: the liveness probe is the same check as the readiness probe {why}",
        "make liveness a cheaper check (or the same one) with a higher failureThreshold than "
        "readiness, so only a real hang restarts the container",
        c.at("livenessProbe"),
        severity=Severity.WARNING,
    )


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    if resource.kind == "HelmRelease":
        for ctrl in helmrelease_controllers(resource):
            yield from in_values(ctrl, _check_values(resource, ctrl))
        return
    required = resource.kind in REQUIRED_KINDS
    for c in containers(resource):
        yield from _check_ports(resource, c)
        if c.init:
            continue
        yield from _check_identical(resource, c)
        if required:
            yield from _check_present(resource, c)


def _check_present(resource: Resource, c: ContainerRef, values: bool = False) -> Iterator[Hit]:
    where = "probes.readiness (enabled, with a Service port, or custom)" if values else "a readinessProbe"
    if not isinstance(c.container.get("readinessProbe"), dict):
        yield Hit(
            resource,
            f"{c.label} has no readiness probe: rollouts and Services treat it as ready the moment it starts",
            f"add {where} (httpGet/tcpSocket/grpc on the serving port)",
            c.path,
        )
    where = "probes.liveness (enabled, with a Service port, or custom)" if values else "a cheap livenessProbe"
    if not isinstance(c.container.get("livenessProbe"), dict):
        yield Hit(
            resource,
            f"{c.label} has no liveness probe: a hung process is never restarted",
            f"add {where} with a tolerant failureThreshold (e.g. 5)",
            c.path,
        )


def _check_values(resource: Resource, ctrl: AppController) -> Iterator[Hit]:
    """app-template: the probes the chart renders (ports come from the Services, so the container's
    declared ports are not checked); an enabled probe the chart drops is reported where it is enabled."""
    required = ctrl.kind in REQUIRED_KINDS
    for c in ctrl.container_refs():
        if not c.init:
            yield from _check_identical(resource, c)
    for ac in ctrl.containers:
        c = ac.ref(0)
        for pname, ppath in ac.dropped_probes:
            yield Hit(
                resource,
                f"{c.label}: probes.{pname} is enabled but the chart renders no {pname} probe: "
                f"controller {ctrl.ident!r} has no Service with a port for it to probe",
                f"add a Service for controller {ctrl.ident} (service.<id>.controller: {ctrl.ident}), "
                "or make it a custom probe (custom: true with a spec)",
                (*ppath, "enabled"),
            )
        if ac.init or not required:
            continue
        dropped = {name for name, _ in ac.dropped_probes}
        for h in _check_present(resource, c, values=True):
            if ("readiness" in dropped and "readiness probe" in h.message) or (
                "liveness" in dropped and "liveness probe" in h.message
            ):
                continue  # said above, at the line that enables it
            yield h
