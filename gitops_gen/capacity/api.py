"""``gitops-gen budget``: load manifests and the node sizes, analyze, print, return the exit code.

Exit 0 when every steady-state pod fits (or no node size is known), 1 when the simulation leaves
pods Pending, 2 for bad input (raised as :class:`UserError`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from gitops_gen.capacity.budget import Analysis, analyze
from gitops_gen.capacity.helm import ChartSource
from gitops_gen.capacity.nodes import Cluster, from_platform, resolve_cluster
from gitops_gen.errors import UserError
from gitops_gen.k8s.model import Resource
from gitops_gen.lint.model import LintOptions

EXIT_OK, EXIT_PENDING = 0, 1


def load_resources(paths: list[Path]) -> tuple[list[Resource], list[str]]:
    """Kubernetes objects under ``paths`` (kustomize patches marked partial) and file problems."""
    from gitops_gen.k8s import loader

    files = loader.discover(paths)
    roles = loader.kustomize_roles(files)
    out: list[Resource] = []
    problems: list[str] = []
    cwd = Path.cwd().resolve()
    for f in files:
        role = roles.roles.get(os.path.normpath(str(f.absolute())), loader.ROLE_RESOURCE)
        if role in (loader.ROLE_KUSTOMIZATION, loader.ROLE_AUX):
            continue
        display = _display(f, cwd)
        text, problem = loader.read_file(f, display)
        if text is None:
            if problem is not None:
                problems.append(f"{display}:{problem.line}:{problem.column}: {problem.message} (not counted)")
            continue
        parsed = loader.parse_text(text)
        problems.extend(f"{display}:{p.line}:{p.column}: {p.message} (not counted)" for p in parsed.problems)
        for d in parsed.documents:
            if isinstance(d.body, dict) and isinstance(d.body.get("kind"), str):
                out.append(
                    Resource(d.body, display, d.line, d.column, d.index, partial=role == loader.ROLE_PARTIAL)
                )
    return out, problems


def _display(path: Path, cwd: Path) -> str:
    try:
        return path.resolve().relative_to(cwd).as_posix()
    except ValueError:
        return str(path)


def cluster_from_lint_options(options: LintOptions) -> Cluster | None:
    """The lint rules' view of the nodes lint resolved (``options.nodes``, from
    :func:`~gitops_gen.capacity.nodes.resolve_cluster`), with the spec's reservations."""
    platform, sizes = options.platform, options.nodes
    base = from_platform(platform) if platform is not None else None
    if base is not None and [(s.name, s.cpu_millis, s.memory_bytes) for s in sizes] == [
        (n.name, n.cpu, n.memory) for n in base.nodes
    ]:
        return base if base.nodes else None
    if not sizes:
        return None
    # node options given: resolve_cluster made len(sizes) nodes of one size
    return resolve_cluster(
        platform,
        str(sizes[0].memory_bytes),
        f"{sizes[0].cpu_millis}m",
        len(sizes),
        kubernetes_version=options.kubernetes_version,
    )


def run_budget(
    paths: list[Path],
    fmt: str = "text",
    specs_dir: Path | None = None,
    node_memory: str | None = None,
    node_cpu: str | None = None,
    node_count: int | None = None,
    chart_dirs: tuple[str, ...] | list[str] = (),
    **_: Any,
) -> int:
    if fmt not in ("text", "markdown", "json"):
        raise UserError.at("--format", f"unknown format {fmt!r}", hint="use text, markdown or json")
    if not paths:
        default = Path("output")
        if not default.exists():
            raise UserError.at(
                "output",
                "no paths given and output/ does not exist",
                hint="pass the manifests to budget, e.g. `gitops-gen budget path/to/manifests`",
            )
        paths = [default]
    from gitops_gen.discover import default_specs_dir

    platform = None
    if specs_dir is None:
        specs_dir = default_specs_dir(paths)
    if specs_dir is not None:
        from gitops_gen.spec.loader import load_specs

        platform = load_specs(specs_dir).platform
    cluster = resolve_cluster(platform, node_memory, node_cpu, node_count)
    charts = ChartSource.from_options(chart_dirs or ())
    resources, problems = load_resources(list(paths))
    for p in problems:
        print(f"warning: {p}", file=sys.stderr)
    analysis = analyze(resources, cluster, platform=platform, charts=charts)
    from gitops_gen.capacity.report import render

    sys.stdout.write(render(analysis, fmt))
    return exit_code(analysis)


def exit_code(analysis: Analysis) -> int:
    return EXIT_PENDING if analysis.simulation is not None and analysis.simulation.pending else EXIT_OK
