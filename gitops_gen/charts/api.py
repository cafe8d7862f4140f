"""``gitops-gen charts pull``: load the manifests, pull every HelmRelease's chart, print what happened.

Exit 0 when every chart that can be pulled was pulled (or was already cached), 1 when a pull failed,
2 for bad input (no helm, paths that do not exist). HelmReleases whose chart is not in a chart
repository (a GitRepository path, a source that is not among the inputs) are listed as skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gitops_gen.charts.backend import find_helm
from gitops_gen.charts.cache import ChartCache, default_dir
from gitops_gen.charts.pull import pull_all
from gitops_gen.errors import UserError
from gitops_gen.k8s import loader
from gitops_gen.k8s.model import Resource


def load(paths: list[Path]) -> list[Resource]:
    """Objects of the YAML files under ``paths`` (unreadable files are left out: lint reports them)."""
    for p in paths:
        if not p.exists():
            raise UserError.at(str(p), "does not exist", hint="pass the repository or manifests directory")
    resources, _ = loader.load_resources(paths)
    return [r for r in resources if not r.partial]


def run_pull(paths: list[Path], chart_cache: Path | None = None) -> int:
    helm = find_helm()
    if helm is None:
        raise UserError.at(
            "helm",
            "`helm` is not on PATH (and helm-python-sdk is not installed), so charts cannot be pulled",
            hint="install helm (https://helm.sh/docs/intro/install/) or `pip install 'gitops-gen[helm]'`, "
            "and run `gitops-gen charts pull` again",
        )
    root = chart_cache if chart_cache is not None else default_dir()
    cache = ChartCache(root)
    outcomes = pull_all(load(paths), cache, helm)
    for o in outcomes:
        what = f" {o.ref}" if o.ref is not None else ""
        print(f"{o.where}: {o.release}:{what}: {o.status}: {o.detail}")
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("pulled", "cached", "skipped", "failed")}
    print(
        f"{len(outcomes)} HelmRelease(s): "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + f"; chart cache: {root}"
    )
    failed = counts["failed"]
    if failed:
        print(f"error: {failed} chart(s) could not be pulled (see above)", file=sys.stderr)
    return 1 if failed else 0
