"""Lint of workloads that live in chart values (bjw-s app-template), for the container rules.

The rules ``resources``, ``image``, ``security`` and ``probes`` read containers as
:class:`~gitops_gen.k8s.workloads.ContainerRef` objects. For a HelmRelease whose values follow
app-template's layout, :func:`gitops_gen.k8s.app_template.helmrelease_controllers` gives the same
objects, built as the chart builds the pod, with field paths into the HelmRelease (``spec.values...``
and, per rendered field, ``origins``), so the rules and the position machinery apply unchanged. This
module only names the controller in each message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from msgspec.structs import replace

from gitops_gen.k8s.app_template import AppController
from gitops_gen.lint.model import Hit


def in_values(ctrl: AppController, hits: Iterable[Hit]) -> Iterator[Hit]:
    """``hits`` of one app-template controller, each message saying which controller it is about."""
    prefix = f"app-template controllers.{ctrl.ident} ({ctrl.kind} {ctrl.name}): "
    for h in hits:
        yield replace(h, message=prefix + h.message)
