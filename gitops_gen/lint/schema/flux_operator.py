"""Where the Flux Operator manages Flux, its widened enums apply.

The Flux Operator (controlplaneio-fluxcd/flux-operator, AGPL-3.0: its CRDs are not bundled) installs
Flux with notification CRDs whose event-source kinds also accept its own kinds, so an Alert may
watch a ``FluxInstance`` and a Receiver may name a ``ResourceSet``. The bundled (upstream Flux) CRDs
reject those kinds.

How a repository says so: the linted input holds a ``FluxInstance`` object, or installs the operator
or an instance through its charts (a HelmRelease of chart ``flux-operator``/``flux-instance``, or an
OCIRepository/HelmRepository whose URL ends in one of those names). Then the "not one of" errors
on Alert ``spec.eventSources[].kind`` and Receiver ``spec.resources[].kind`` for the operator's kinds
are dropped; every other value is still checked. Without such an object the error stays, and its
text says that the kind belongs to the Flux Operator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from gitops_gen.k8s.model import Resource
from gitops_gen.lint.schema.bundle import FLUX_OPERATOR_KINDS

if TYPE_CHECKING:
    from gitops_gen.lint.engine import RawFinding
    from gitops_gen.lint.model import Hit

_CHARTS = ("flux-operator", "flux-instance")
#: what :func:`operator_present` reads of the objects of phase 2 (``gitops_gen.lint.projection``)
READS = {
    "HelmRelease": ("spec.chart.spec.chart",),
    "OCIRepository": ("spec.url",),
    "HelmRepository": ("spec.url",),
}
_FIELDS = {("Alert", "eventSources"), ("Receiver", "resources")}


def operator_present(resources: Iterable[Resource]) -> bool:
    for r in resources:
        if r.partial:
            continue
        kind = r.kind
        if kind == "FluxInstance":
            return True
        spec = r.body.get("spec")
        if not isinstance(spec, dict):
            continue
        if kind == "HelmRelease":
            chart = spec.get("chart")
            name = chart.get("spec", {}).get("chart") if isinstance(chart, dict) else None
            if isinstance(name, str) and name.rsplit("/", 1)[-1] in _CHARTS:
                return True
        elif kind in ("OCIRepository", "HelmRepository"):
            url = spec.get("url")
            if isinstance(url, str) and url.rstrip("/").rsplit("/", 1)[-1] in _CHARTS:
                return True
    return False


def widened(rule: str, message: str, path: tuple[Any, ...], kind: str) -> bool:
    """True for a schema enum error that the Flux Operator's CRDs accept."""
    return (
        rule == "schema"
        and len(path) == 4
        and (kind, path[1]) in _FIELDS
        and path[-1] == "kind"
        and "is not one of" in message
        and any(message.split(": ", 1)[-1].startswith(f'"{k}"') for k in FLUX_OPERATOR_KINDS)
    )


def drop_flux_operator_kinds(
    resources: Sequence[Resource],
    raw: list[tuple[int, RawFinding]],
    extra: list[tuple[str, Hit]] | None = None,
) -> list[tuple[int, RawFinding]]:
    """``raw`` (and ``extra``, in place) without the errors the Flux Operator's CRDs would not raise."""
    if not operator_present(resources):
        return raw
    if extra is not None:
        extra[:] = [(r, h) for r, h in extra if not widened(r, h.message, tuple(h.path), h.resource.kind)]
    return [
        (t, f)
        for t, f in raw
        if not (f.resource >= 0 and widened(f.rule, f.message, f.path, resources[f.resource].kind))
    ]
