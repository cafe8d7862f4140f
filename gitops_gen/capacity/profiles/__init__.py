"""Chart profiles: which pods a chart creates for given values. One module per chart.

``PROFILES`` maps a chart name (as written in ``HelmRelease.spec.chart.spec.chart``, the last path
element of an OCI URL, or a chart directory name) to its module. A HelmRelease whose chart has no
profile has an *unknown footprint* (reported, never counted as zero).
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, cast

from gitops_gen.capacity.profiles._base import Footprint, Release, Values
from gitops_gen.values import deep_merge


class Profile(Protocol):
    CHART: str
    VERSION: str
    SOURCE: str
    SPEC_COMPONENT: str
    DEFAULTS: dict[str, object]

    def footprint(self, v: Values, rel: Release) -> Footprint: ...


# The chart of each profile module (the module is the chart's name with "_" for "-"): imported when a
# HelmRelease of that chart is met, so that a lint without one does not load them all.
CHARTS: tuple[str, ...] = (
    "app-template",
    "cert-manager",
    "ingress-nginx",
    "kube-prometheus-stack",
    "loki",
    "promtail",
    "sealed-secrets",
    "velero",
    "external-secrets",
)
_LOADED: dict[str, Profile] = {}


def profile_for(chart: str) -> Profile | None:
    got = _LOADED.get(chart)
    if got is None and chart in CHARTS:
        module = importlib.import_module(f"{__name__}.{chart.replace('-', '_')}")
        assert chart == module.CHART, module
        got = _LOADED[chart] = cast(Profile, module)
    return got


def __getattr__(name: str) -> Any:
    """``PROFILES``: every profile by chart name (all of them imported)."""
    if name == "PROFILES":
        return {chart: profile_for(chart) for chart in CHARTS}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def same_version(profiled: str, wanted: str) -> bool:
    """True when the HelmRelease asks for exactly the profiled chart version (ignoring a 'v')."""
    return profiled.lstrip("vV") == wanted.strip().lstrip("vV")


def supports(profile: Profile, wanted: str) -> bool:
    """Does the profile describe chart version ``wanted``? A profile that reads several versions
    has a ``supports(version)`` function; the others describe exactly their ``VERSION``."""
    check = getattr(profile, "supports", None)
    if callable(check):
        return bool(check(wanted))
    return same_version(profile.VERSION, wanted)


def evaluate(profile: Profile, user_values: dict[str, Any], release: Release) -> tuple[Footprint, list[str]]:
    """Run a profile on the defaults coalesced with the HelmRelease's values (a null deletes)."""
    values = Values(deep_merge(profile.DEFAULTS, user_values, null_deletes=True))
    fp = profile.footprint(values, release)
    return fp, values.problems


__all__ = [
    "PROFILES",
    "Footprint",
    "Profile",
    "Release",
    "Values",
    "evaluate",
    "profile_for",
    "same_version",
    "supports",
]
