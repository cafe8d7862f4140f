"""What lint and the capacity model read from a validated Platform spec, as plain data.

A :class:`PlatformFacts` is taken from a validated :class:`~gitops_gen.spec.models.Platform`
(:func:`facts_of`): its name, Kubernetes version, distribution, nodes, K3s add-ons disabled and which
components are enabled. Being plain data (no Pydantic), it can be stored and read back
(:func:`to_plain`, :func:`from_plain`) without importing the spec models: a one-file lint inside a
repository with ``specs/`` takes it from the lint cache when the spec files are unchanged
(:mod:`gitops_gen.lint.specfacts`). This module imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgspec import Struct

if TYPE_CHECKING:
    from gitops_gen.spec.models import Platform


class NodeFacts(Struct, frozen=True):
    """One node of the platform spec, its quantities as the spec model holds them (strings)."""

    name: str
    cpu: str
    memory: str
    reserved_cpu: str | None  # None: no ``reserved`` block (the distribution's default)
    reserved_memory: str | None
    eviction_hard_memory: str | None


class PlatformFacts(Struct, frozen=True):
    """What lint and budget need of a Platform spec (name, version, distribution, nodes), without the spec models."""

    name: str
    kubernetes_version: str
    distribution: str
    nodes: tuple[NodeFacts, ...]
    k3s_disable: tuple[str, ...]
    # the enabled components' paths, sorted: "logging.loki", "monitoring", ... A tuple, not a set: the
    # facts' repr is part of cache keys, and a set's order changes with each process's string hashing
    components: tuple[str, ...]

    @property
    def explicit_reservations(self) -> bool:
        """Does any node say its reservations or eviction threshold (else the defaults are explained)?"""
        return any(n.reserved_cpu is not None or n.eviction_hard_memory is not None for n in self.nodes)

    def component_enabled(self, path: str) -> bool:
        """Is ``spec.components.<path>`` (``logging.loki``) present and enabled (with its parents)?"""
        return path in self.components


def facts_of(platform: Platform) -> PlatformFacts:
    spec = platform.spec
    nodes = tuple(
        NodeFacts(
            name=n.name,
            cpu=n.cpu,
            memory=n.memory,
            reserved_cpu=n.reserved.cpu if n.reserved is not None else None,
            reserved_memory=n.reserved.memory if n.reserved is not None else None,
            eviction_hard_memory=n.evictionHardMemory,
        )
        for n in spec.nodes
    )
    return PlatformFacts(
        name=platform.metadata.name,
        kubernetes_version=str(spec.kubernetesVersion),
        distribution=str(spec.distribution),
        nodes=nodes,
        k3s_disable=tuple(spec.k3s.disable),
        components=tuple(sorted(_enabled(spec.components, ""))),
    )


def _enabled(node: Any, prefix: str) -> list[str]:
    """The paths of the enabled sub-models of ``node`` (itself enabled), two levels deep: a component
    (``monitoring``) and its parts (``logging.loki``), each enabled unless it says ``enabled: false``."""
    from pydantic import BaseModel

    out: list[str] = []
    for name in type(node).model_fields:
        child = getattr(node, name)
        if not isinstance(child, BaseModel) or getattr(child, "enabled", True) is False:
            continue
        path = f"{prefix}{name}"
        out.append(path)
        if not prefix:
            out.extend(_enabled(child, path + "."))
    return out


def to_plain(facts: PlatformFacts) -> list[Any]:
    """``facts`` as lists and strings (for the cache)."""
    return [
        facts.name,
        facts.kubernetes_version,
        facts.distribution,
        [
            [n.name, n.cpu, n.memory, n.reserved_cpu, n.reserved_memory, n.eviction_hard_memory]
            for n in facts.nodes
        ],
        list(facts.k3s_disable),
        list(facts.components),
    ]


def from_plain(data: Any) -> PlatformFacts:
    """The facts :func:`to_plain` gave. Raises ValueError/TypeError on anything else."""
    name, version, distribution, nodes, disable, components = data
    out = PlatformFacts(
        name=name,
        kubernetes_version=version,
        distribution=distribution,
        nodes=tuple(NodeFacts(*n) for n in nodes),
        k3s_disable=tuple(disable),
        components=tuple(sorted(components)),
    )
    if to_plain(out) != data:  # a stored record of another shape: refused, not half-read
        raise ValueError("not platform facts")
    return out
