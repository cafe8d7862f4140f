"""Helm values helpers shared by rendering, the capacity model and the diff: merging values the
way Helm and Flux do, and reading, writing and printing dotted values paths.

Two merges exist in the Helm/Flux pipeline and they differ only in what a ``null`` means:

* *layering user values* (Flux merging ``valuesFrom`` then ``spec.values``; gitops-gen putting a
  spec's ``values`` over its own): a ``null`` is **kept**, because it is a user value that tells
  Helm to delete the chart's default;
* *coalescing with the chart's defaults* (what Helm does last, ``null_deletes=True``): a ``null``
  removes the key.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["deep_merge", "dotted", "get_path", "set_path", "split_path"]


def deep_merge(
    base: Mapping[str, Any], override: Mapping[str, Any], *, null_deletes: bool = False
) -> dict[str, Any]:
    """Helm-style merge: mappings merge key by key, anything else (lists, scalars) replaces.

    ``null_deletes=False`` keeps an override's ``null`` (user values layered on user values: Helm
    must still see it); ``null_deletes=True`` drops the key instead (the final coalescing with the
    chart defaults). Neither argument is modified.
    """
    out: dict[str, Any] = {k: copy.deepcopy(v) for k, v in base.items()}
    for key, value in override.items():
        if value is None and null_deletes:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value, null_deletes=null_deletes)
        else:
            out[key] = copy.deepcopy(value)
    return out


def split_path(path: str) -> list[str]:
    """``"a.b.c"`` -> ``["a", "b", "c"]`` (empty parts dropped; ``""`` is the root)."""
    return [p for p in path.split(".") if p] if path else []


def get_path(data: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted path, or ``default`` when a part is missing or the value is null."""
    node: Any = data
    for part in split_path(path):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return default if node is None else node


def set_path(values: dict[str, Any], path: str, value: Any) -> None:
    """Set (a copy of) ``value`` at a dotted values path (``grafana.sidecar.resources``), creating
    the mappings on the way (a non-mapping on the way is replaced by one)."""
    parts = split_path(path)
    if not parts:
        raise ValueError("set_path needs a non-empty path")
    node = values
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = copy.deepcopy(value)


def dotted(path: Sequence[str | int]) -> str:
    """A key path as text: ``("spec", "env", 2, "value")`` -> ``spec.env[2].value``."""
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text
