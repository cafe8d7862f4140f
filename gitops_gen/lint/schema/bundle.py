"""The CRD schemas shipped with gitops-gen (package data in ``bundled/``, written by ``tools/bundle_crds.py``).

Each project (Flux, cert-manager, prometheus-operator, ...) is one gzip-compressed JSON file with its
upstream version and license notice; ``index.json`` maps API groups to projects, so a lint run
decompresses only the projects whose groups its objects use. The schemas are the lowest-priority
source: ``--schema-dir``, ``--crd-dir`` and CRDs among the input override them per kind.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitops_gen.lint.schema.crd import CrdVersion

FLUX_OPERATOR_KINDS = ("FluxInstance", "FluxReport", "ResourceSet", "ResourceSetInputProvider")


def _data(name: str) -> bytes:
    # beside this module, as installed from the wheel (like the templates, ``render.engine``):
    # importlib.resources would import tempfile, shutil and random first, ~11 ms of a one-file lint
    with open(os.path.join(os.path.dirname(__file__), "bundled", name), "rb") as fh:
        return fh.read()


@cache
def index() -> dict[str, Any]:
    """``{"groups": {group: project}, "projects": {project: {version, license, source, kinds}}}``."""
    data: dict[str, Any] = json.loads(_data("index.json"))
    return data


@cache
def project(name: str) -> dict[str, Any]:
    """One project's compiled data: version, license notice and its CRDs' raw schemas."""
    import gzip

    data: dict[str, Any] = json.loads(gzip.decompress(_data(f"{name}.json.gz")))
    return data


@cache
def group_versions(group: str) -> tuple[CrdVersion, ...]:
    """Every bundled (kind, version) of an API group; () when no bundled project has the group."""
    name = index()["groups"].get(group)
    if name is None:
        return ()
    from gitops_gen.lint.schema.crd import CrdVersion

    return tuple(
        CrdVersion(crd["group"], crd["kind"], v["name"], bool(v["served"]), v["schema"])
        for crd in project(name)["crds"]
        if crd["group"] == group
        for v in crd["versions"]
    )


def project_of(group: str) -> str | None:
    name = index()["groups"].get(group)
    return str(name) if name is not None else None


def listing() -> str:
    """The text of ``gitops-gen schemas list``: each bundled project, version, license and kinds."""
    lines = []
    for name, info in sorted(index()["projects"].items()):
        lines.append(f"{name}  {info['version']}  ({info['license']}, {info['source']})")
        for kind in info["kinds"]:
            lines.append(f"  {kind}")
    lines.append("")
    lines.append(
        "Not bundled: the Flux Operator (FluxInstance, ResourceSet, ...) and VolSync, whose CRDs are "
        "AGPL-3.0; pass their CRDs with --crd-dir. Kubernetes kinds come from kubernetes-validate."
    )
    return "\n".join(lines) + "\n"
