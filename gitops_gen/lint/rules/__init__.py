"""Lint rules, one module each (see docs/ARCHITECTURE.md for the contract).

Every module of this package is a rule: :func:`rule_modules` imports them all, so a new rule is
picked up by adding a file here — nothing to register.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

_MODULES: list[ModuleType] | None = None


def rule_modules() -> list[ModuleType]:
    """Every rule module of the package, imported once, sorted by module name."""
    global _MODULES
    if _MODULES is None:
        mods = []
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            mods.append(importlib.import_module(f"{__name__}.{info.name}"))
        _MODULES = mods
    return _MODULES
