"""Chart profiles: which pods a chart creates for given values. One module per chart.

``PROFILES`` maps a chart name (as written in ``HelmRelease.spec.chart.spec.chart``, the last path
element of an OCI URL, or a chart directory name) to its module. A HelmRelease whose chart has no
profile has an *unknown footprint* (reported, never counted as zero).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Protocol, cast

from gitops_gen.capacity.profiles import (
    app_template,
    cert_manager,
    external_secrets,
    ingress_nginx,
    kube_prometheus_stack,
    loki,
    promtail,
    sealed_secrets,
    velero,
)
from gitops_gen.capacity.profiles._base import Footprint, Release, Values
from gitops_gen.values import deep_merge


class Profile(Protocol):
    CHART: str
    VERSION: str
    SOURCE: str
    SPEC_COMPONENT: str
    DEFAULTS: dict[str, object]

    def footprint(self, v: Values, rel: Release) -> Footprint: ...


_MODULES: tuple[ModuleType, ...] = (
    app_template,
    cert_manager,
    ingress_nginx,
    kube_prometheus_stack,
    loki,
    promtail,
    sealed_secrets,
    velero,
    external_secrets,
)
PROFILES: dict[str, Profile] = {cast(str, m.CHART): cast(Profile, m) for m in _MODULES}


def profile_for(chart: str) -> Profile | None:
    return PROFILES.get(chart)


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
