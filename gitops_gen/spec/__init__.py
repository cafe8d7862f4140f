"""Typed user specs: the ``Platform`` and ``App`` kinds, and their position-aware loader.

The names below are imported on first use (PEP 562): importing a light module of this package
(``gitops_gen.spec.facts``, ``gitops_gen.spec.files``) does not import Pydantic and the models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitops_gen.spec.loader import Specs, load_specs
    from gitops_gen.spec.models import App, Platform

__all__ = ["App", "Platform", "Specs", "load_specs"]


def __getattr__(name: str) -> Any:
    if name in ("Specs", "load_specs"):
        from gitops_gen.spec import loader

        return getattr(loader, name)
    if name in ("App", "Platform"):
        from gitops_gen.spec import models

        return getattr(models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
