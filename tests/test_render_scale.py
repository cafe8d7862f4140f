"""Render stays linear in the number of apps (issue 15; measured by bench/many_apps.py)."""

from __future__ import annotations

from pathlib import Path

from gitops_gen.spec.loader import load_specs

REPO = Path(__file__).resolve().parents[1]


def test_namespace_owners_is_the_first_app_of_each_namespace() -> None:
    """One pass over the apps (it was a scan of every app per app: quadratic at 1,000 apps)."""
    from gitops_gen.render.engine import SYSTEM_NAMESPACES, namespace_owners

    specs = load_specs(REPO / "examples/fleet/specs")
    for apps in specs.cluster_apps.values():
        owners = namespace_owners(apps)
        by_ns: dict[str, list[str]] = {}
        for a in apps:
            by_ns.setdefault(a.namespace, []).append(a.metadata.name)
        assert any(len(v) > 1 for v in by_ns.values())  # the example shares a namespace
        expected = {min(v) for ns, v in by_ns.items() if ns not in SYSTEM_NAMESPACES}
        assert owners == expected
