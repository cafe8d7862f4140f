"""`gitops-gen lint` from the command line: flags, the config file and the platform spec merged into
:class:`~gitops_gen.lint.run.RunSettings`, the run (:func:`~gitops_gen.lint.run.lint_paths`), printing
and the exit code."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from msgspec import Struct

from gitops_gen.errors import UserError
from gitops_gen.lint.model import LintOptions, Severity
from gitops_gen.lint.run import RunSettings, lint_paths
from gitops_gen.paths import git_root

if TYPE_CHECKING:
    from gitops_gen.capacity.nodes import Cluster, NodePlan
    from gitops_gen.lint.config import Config as LintConfig
    from gitops_gen.lint.engine import LintResult
    from gitops_gen.spec.facts import PlatformFacts
    from gitops_gen.spec.files import SpecDocs
    from gitops_gen.spec.models import Platform

DEFAULT_PATH = Path("output")
T = TypeVar("T")


class LintFlags(Struct):
    """The command line of ``gitops-gen lint`` (click's option names); ``None``: not given."""

    fmt: str = "text"
    validator: str | None = None
    kubernetes_version: str | None = None
    schema_dirs: tuple[Path, ...] = ()
    crd_dirs: tuple[Path, ...] = ()
    specs_dir: Path | None = None
    node_memory: str | None = None
    node_cpu: str | None = None
    node_count: int | None = None
    build: bool = False
    config_file: Path | None = None
    fail_on: str | None = None
    show_ignored: bool = False
    verbose: bool = False
    jobs: int | None = None
    cache_dir: Path | None = None
    no_cache: bool = False
    chart_dirs: tuple[str, ...] = ()
    clusters: tuple[Path, ...] = ()  # --cluster DIR
    all_files: bool = False
    no_clusters: bool = False


def run_lint(paths: list[Path], flags: LintFlags) -> int:
    """CLI entry: lint, print in ``flags.fmt``, return 0 (clean), 1 (findings at the fail-on level)."""
    from gitops_gen.lint.output import render

    fmt = flags.fmt or "text"
    settings = settings_from_options(paths, flags)
    result = lint_paths(paths or [DEFAULT_PATH], settings)
    skipped = _hide_skipped_cel(result) if not flags.verbose else 0
    text = render(result, fmt, show_ignored=flags.show_ignored, color=_color(fmt), verbose=flags.verbose)
    sys.stdout.write(text)
    sys.stdout.flush()
    if skipped:
        sys.stderr.write(
            f"{skipped} CEL rule evaluation(s) skipped: `gitops-gen lint --verbose` lists them\n"
        )
    threshold = Severity.WARNING if settings.fail_on == "warning" else Severity.ERROR
    return 1 if any(f.severity >= threshold for f in result.findings) else 0


def _hide_skipped_cel(result: LintResult) -> int:
    """Drop the infos of CEL rules that could not be evaluated (listed with --verbose); their count."""
    from gitops_gen.lint.rules.cel import ID, NOT_EVALUATED

    kept = [f for f in result.findings if not (f.rule == ID and f.message.startswith(NOT_EVALUATED))]
    hidden = len(result.findings) - len(kept)
    result.findings = kept
    return hidden


def _color(fmt: str) -> bool:
    return fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def settings_from_options(
    paths: list[Path], flags: LintFlags, *, platforms: list[Platform] | None = None
) -> RunSettings:
    """Merge CLI flags (win), the config file and the platform spec into :class:`RunSettings`.

    ``platforms``: the platform specs of ``flags.specs_dir`` when the caller has loaded them already
    (``diff`` lints both sides with the specs it rendered): not loaded again.
    """
    from gitops_gen.lint.config import load_config
    from gitops_gen.lint.registry import rules

    cwd = Path.cwd()
    first = (paths or [DEFAULT_PATH])[0]
    repo_root = git_root(first if first.exists() else cwd)
    cfg = load_config(flags.config_file, cwd=cwd, repo_root=repo_root, rule_ids=set(rules()))
    options = LintOptions(repo_root=repo_root)

    cache_dir: Path | None = None
    if not flags.no_cache:
        from gitops_gen.lint.cache import default_root

        cache_dir = Path(flags.cache_dir) if flags.cache_dir else default_root()
    specs_dir = flags.specs_dir
    facts: list[PlatformFacts] = []
    loaded: dict[Path, SpecDocs | None] = {}  # specs read in full here, for the findings' spec locations
    if platforms is not None:
        from gitops_gen.lint.specfacts import facts_of_all

        specs_dir = None  # given, not discovered or loaded
        facts = facts_of_all(platforms)
    elif specs_dir is None:
        from gitops_gen.discover import default_specs_dir

        specs_dir = default_specs_dir(list(paths) or [DEFAULT_PATH], cwd)
    if specs_dir is not None:
        from gitops_gen.lint.specfacts import load_platforms

        facts = load_platforms(Path(specs_dir), cache_dir, loaded)
    platform = facts[0] if facts else None
    options.platform = platform
    spec_version = platform.kubernetes_version if platform is not None else None
    from gitops_gen.lint.schema.versions import resolve_version

    options.kubernetes_version = resolve_version(
        flags.kubernetes_version or cfg.kubernetes_version or spec_version
    )
    options.schema_dirs = [Path(p) for p in flags.schema_dirs] + cfg.schema_dirs
    options.crd_dirs = [Path(p) for p in flags.crd_dirs] + cfg.crd_dirs
    for d in options.schema_dirs + options.crd_dirs:
        if not d.exists():
            raise UserError.at(str(d), "no such directory", hint="check --schema-dir/--crd-dir or the config")
    for d in options.schema_dirs:  # CRD manifests may be files; a schema directory must be one
        if not d.is_dir():
            raise UserError.at(
                str(d),
                "not a directory",
                hint="give --schema-dir a directory written by `gitops-gen schemas import`",
            )
    flag_validator = flags.validator
    options.validator = _pick_validator(
        str(flag_validator) if flag_validator not in (None, "embedded") else (cfg.validator or "embedded")
    )
    options.cluster = _cluster(flags, cfg, platform, options.kubernetes_version)
    nodes = _node_plan(flags, cfg, facts, options.kubernetes_version)
    options.chart_dirs = _chart_dirs(flags.chart_dirs)

    jobs = flags.jobs
    if jobs is not None and jobs < 1:
        raise UserError("--jobs must be at least 1")
    return RunSettings(
        options=options,
        jobs=jobs,
        cache_dir=cache_dir,
        build=flags.build,
        exclude=cfg.exclude,
        severity=cfg.severity,
        disabled=cfg.disable,
        clusters=list(flags.clusters),
        all_files=flags.all_files,
        plain=flags.no_clusters,
        nodes=nodes,
        fail_on=str(flags.fail_on) if flags.fail_on not in (None, "error") else (cfg.fail_on or "error"),
        spec_docs=loaded,
    )


def _pick_validator(choice: str) -> str:
    if choice not in ("auto", "kubeconform"):
        return choice
    import shutil  # only here: it imports bz2, lzma and zlib (~5 ms of a one-file lint that needs none)

    if choice == "auto":
        return "kubeconform" if shutil.which("kubeconform") else "embedded"
    if choice == "kubeconform" and not shutil.which("kubeconform"):
        raise UserError(
            "--validator kubeconform: kubeconform is not on PATH",
            hint="install it (https://github.com/yannh/kubeconform) or use --validator embedded",
        )
    return choice


def _cluster(
    flags: LintFlags, cfg: LintConfig, platform: PlatformFacts | None, kubernetes_version: str
) -> Cluster | None:
    """The nodes from the flags (else the config's ``nodes``) and the platform spec, with the one
    semantics lint and budget share (:func:`gitops_gen.capacity.nodes.resolve_cluster`)."""

    def pick(value: T | None, configured: T | None) -> T | None:
        return value if value not in (None, "") else (configured if configured not in (None, "") else None)

    memory = pick(flags.node_memory, cfg.node_memory)
    cpu = pick(flags.node_cpu, cfg.node_cpu)
    count = pick(flags.node_count, cfg.node_count)
    if platform is None and memory is None and cpu is None and count is None:
        return None  # resolve_cluster gives None here: skip importing the capacity model (~20 ms)
    from gitops_gen.capacity.nodes import resolve_cluster

    return resolve_cluster(platform, memory, cpu, count, kubernetes_version=kubernetes_version)


def _node_plan(
    flags: LintFlags, cfg: LintConfig, platforms: list[PlatformFacts], kubernetes_version: str
) -> NodePlan | None:
    """The nodes of each cluster in cluster mode (None: no size known anywhere, nothing to budget)."""
    given = (flags.node_memory, flags.node_cpu, flags.node_count)
    if not platforms and not cfg.clusters and not cfg.nodes_given and all(v in (None, "") for v in given):
        return None  # skip importing the capacity model (~20 ms)
    from gitops_gen.capacity.nodes import NodeSizes

    return cfg.node_plan(
        platforms,
        NodeSizes(flags.node_memory or None, flags.node_cpu or None, flags.node_count),
        kubernetes_version,
    )


def _chart_dirs(items: tuple[str, ...]) -> tuple[str, ...]:
    """``--chart-dir`` entries (NAME=DIR or a chart cache DIR), checked as ``budget`` checks them."""
    entries = tuple(str(e) for e in items if str(e).strip())
    if not entries:
        return entries  # nothing to check: skip importing the capacity model
    from gitops_gen.capacity.helm import parse_chart_dirs

    parse_chart_dirs(entries)
    return entries
