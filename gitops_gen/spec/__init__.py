"""Typed user specs: the ``Platform`` and ``App`` kinds, and their position-aware loader."""

from gitops_gen.spec.loader import Specs, load_specs
from gitops_gen.spec.models import App, Platform

__all__ = ["App", "Platform", "Specs", "load_specs"]
