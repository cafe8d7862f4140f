"""``gitops-gen budget``: load manifests and the node sizes, analyze, print, return the exit code.

Exit 0 when every steady-state pod fits (or no node size is known), 1 when the simulation leaves
pods Pending (or, with ``--fail-on-unknown``, a HelmRelease is not counted), 2 for bad input
(raised as :class:`UserError`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec.structs

from gitops_gen.capacity.budget import Analysis, analyze
from gitops_gen.capacity.helm import ChartSource
from gitops_gen.capacity.nodes import NodePlan, NodeSizes, resolve_cluster
from gitops_gen.charts.backend import find_helm
from gitops_gen.errors import UserError
from gitops_gen.k8s.loader import load_resources
from gitops_gen.textsafe import escape_control

if TYPE_CHECKING:
    from gitops_gen.cluster.model import ClusterView
    from gitops_gen.spec.facts import PlatformFacts

EXIT_OK, EXIT_PENDING = 0, 1


def run_budget(
    paths: list[Path],
    fmt: str = "text",
    specs_dir: Path | None = None,
    node_memory: str | None = None,
    node_cpu: str | None = None,
    node_count: int | None = None,
    chart_dirs: tuple[str, ...] | list[str] = (),
    chart_cache: Path | None = None,
    fail_on_unknown: bool = False,
    wide: bool = False,
    config: NodePlan | None = None,
) -> int:
    """``config``: the node settings of the config file (``nodes``, ``clusters.<name>.nodes``), if any."""
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

    platforms: list[PlatformFacts] = []
    if specs_dir is None:
        specs_dir = default_specs_dir(paths)
    if specs_dir is not None:
        from gitops_gen.spec.facts import facts_of
        from gitops_gen.spec.loader import load_specs

        platforms = [facts_of(p) for p in load_specs(specs_dir).platforms]
    platform = platforms[0] if platforms else None
    plan = msgspec.structs.replace(
        config or NodePlan(), platforms=tuple(platforms), flags=NodeSizes(node_memory, node_cpu, node_count)
    )
    charts = ChartSource.from_options(chart_dirs or (), chart_cache=chart_cache)
    if charts is None and find_helm() is None:
        from gitops_gen.charts.cache import default_dir

        root = chart_cache if chart_cache is not None else default_dir()
        if root.is_dir():
            print(
                f"warning: `helm` is not on PATH, so the charts in the chart cache {root} are not rendered; "
                "releases are counted from profiles and app-template values only (install helm)",
                file=sys.stderr,
            )
    views = _cluster_views(paths)
    if views:
        plan.check_names([v.name for v in views], paths)
        return _run_per_cluster(views, plan, charts, fmt, None if wide else terminal_width(), fail_on_unknown)
    resources, problems = load_resources(list(paths))
    for p in problems:
        print(escape_control(f"warning: {p}", keep_newlines=False), file=sys.stderr)
    sizes = plan.flags.over(plan.config)
    cluster = resolve_cluster(platform, sizes.memory, sizes.cpu, sizes.count)
    analysis = analyze(resources, cluster, platform=platform, charts=charts)
    from gitops_gen.capacity.report import render

    sys.stdout.write(render(analysis, fmt, None if wide else terminal_width()))
    return _budget_code(analysis, fail_on_unknown)


def terminal_width() -> int | None:
    """The width to fit the text table to: the terminal's (``COLUMNS`` overrides it, as everywhere);
    ``None`` (every column, nothing wrapped) when the output goes to a file or a pipe, so that what
    tools and CI logs read does not depend on an exported ``COLUMNS``."""
    import shutil

    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def exit_code(analysis: Analysis) -> int:
    return EXIT_PENDING if analysis.simulation is not None and analysis.simulation.pending else EXIT_OK


def _budget_code(analysis: Analysis, fail_on_unknown: bool, where: str = "") -> int:
    """``budget``'s exit code for one analysis: :func:`exit_code`, and with ``--fail-on-unknown`` 1 when
    a HelmRelease is not counted (said on stderr; ``where`` names the cluster)."""
    if fail_on_unknown and analysis.not_counted:
        print(
            f"error: {where}{analysis.counted_phrase()} (--fail-on-unknown); "
            "run `gitops-gen charts pull` so helm can render their charts",
            file=sys.stderr,
        )
        return EXIT_PENDING
    return exit_code(analysis)


def _cluster_views(paths: list[Path]) -> list[ClusterView]:
    """The cluster views of the paths when they are directories holding Flux entry points."""
    if any(not p.is_dir() for p in paths):
        return []
    from gitops_gen.cluster.view import build_views, find_entries

    entries = [e for p in paths for e in find_entries(str(p))]
    return build_views(entries) if entries else []


def _run_per_cluster(
    views: list[ClusterView],
    plan: NodePlan,
    charts: ChartSource | None,
    fmt: str,
    width: int | None,
    fail_on_unknown: bool,
) -> int:
    """One budget per cluster: what that cluster applies (namespaces, substitutions and patches as
    Flux applies them) on that cluster's nodes (:class:`NodePlan`)."""
    import json

    from gitops_gen.capacity.report import render
    from gitops_gen.paths import display_path

    cwd = Path.cwd()
    code = EXIT_OK
    docs: list[dict[str, Any]] = []
    for view in views:
        for p in view.problems:
            where = f"{display_path(p.file, cwd)}:{p.line}:{p.column}"
            print(f"{p.severity}: {where}: {p.message} (cluster {view.name})", file=sys.stderr)
        resources = [o.resource(display_path(o.origin.file, cwd)) for o in view.objects]
        cluster, platform = plan.for_cluster(view.name)
        analysis = analyze(resources, cluster, platform=platform, charts=charts)
        code = max(code, _budget_code(analysis, fail_on_unknown, f"cluster {view.name}: "))
        text = render(analysis, fmt, width)
        if fmt == "json":
            docs.append({"cluster": view.name, **json.loads(text)})
        elif len(views) == 1:  # one cluster: the report as for any input
            sys.stdout.write(text)
        elif fmt == "markdown":
            sys.stdout.write(f"## Cluster `{view.name}`\n\n{text}\n")
        else:
            sys.stdout.write(f"== cluster {view.name} ==\n{text}\n")
    if fmt == "json":  # one cluster: the single-input shape plus its name; several: a list
        out = docs[0] if len(docs) == 1 else {"clusters": docs}
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    return code
