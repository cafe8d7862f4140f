"""The Kubernetes versions whose schemas are bundled (the ``kubernetes-validate`` package's files), and
the version a run validates against.

Apart from the validator (:mod:`gitops_gen.lint.schema.embedded`), with where the validator keeps its
copy of the bundled definitions, so that a lint sets both up without importing the validator: a run
whose files are all in the cache never validates one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["available_versions", "latest_version", "resolve_version", "schemas_root"]

_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)")

#: where the validator keeps its marshal copy of the bundled definitions (lint sets it to its cache's
#: ``schemas`` directory when the cache is on; None: no copy)
definitions_cache_dir: Path | None = None


def schemas_root() -> Path:
    """The schema files of the ``kubernetes-validate`` package (found without importing it: 0.1 s)."""
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        from gitops_gen.errors import UserError

        raise UserError("the kubernetes-validate package is missing", hint="pip install kubernetes-validate")
    return Path(next(iter(spec.submodule_search_locations))).resolve() / "kubernetes-json-schema"


def available_versions() -> list[tuple[int, int]]:
    out = []
    for entry in os.listdir(schemas_root()):
        m = re.match(r"^v(\d+)\.(\d+)\.\d+-local-strict$", entry)
        if m:
            out.append((int(m.group(1)), int(m.group(2))))
    return sorted(out)


def latest_version() -> str:
    major, minor = available_versions()[-1]
    return f"{major}.{minor}"


def resolve_version(requested: str | None) -> str:
    """The schema version for ``requested`` ("1.34", "v1.34.2"); refused when no schemas exist for it."""
    if not requested:
        return latest_version()
    versions = available_versions()
    m = _VERSION_RE.match(str(requested).strip())
    if not m:
        from gitops_gen.errors import UserError

        raise UserError(
            f"--kubernetes-version {requested!r} is not a version like 1.34",
            hint=f"use one of {versions[0][0]}.{versions[0][1]} .. {versions[-1][0]}.{versions[-1][1]}",
        )
    want = (int(m.group(1)), int(m.group(2)))
    if want not in versions:
        from gitops_gen.errors import UserError

        raise UserError(
            f"Kubernetes {want[0]}.{want[1]} is outside the bundled schemas "
            f"({versions[0][0]}.{versions[0][1]} .. {versions[-1][0]}.{versions[-1][1]})",
            hint="pass --kubernetes-version within that range (an older or newer version's schemas would "
            "give false 'not served' errors)",
        )
    return f"{want[0]}.{want[1]}"
