"""`gitops-gen lint` entry points: :func:`run_lint` (CLI: prints, returns the exit code) and
:func:`lint_paths` (library: returns a :class:`LintResult`)."""

from __future__ import annotations

import gc
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_gen.errors import UserError
from gitops_gen.lint.engine import LintResult, Task
from gitops_gen.lint.model import LintOptions, NodeSize, Severity

DEFAULT_PATH = Path("output")


@dataclass
class RunSettings:
    """Everything a lint run needs beyond the paths (flags merged with the config file)."""

    options: LintOptions = field(default_factory=LintOptions)
    jobs: int | None = None
    cache_dir: Path | None = None  # None: no cache
    build: bool = False
    exclude: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    disabled: set[str] = field(default_factory=set)
    fail_on: str = "error"


def run_lint(paths: list[Path], **opts: Any) -> int:
    """CLI entry: lint, print in ``fmt``, return 0 (clean), 1 (findings at the fail-on level)."""
    from gitops_gen.lint.output import render

    fmt = opts.get("fmt") or "text"
    settings = settings_from_options(paths, opts)
    result = lint_paths(paths or [DEFAULT_PATH], settings)
    skipped = _hide_skipped_cel(result) if not opts.get("verbose") else 0
    text = render(result, fmt, show_ignored=bool(opts.get("show_ignored")), color=_color(fmt))
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


def settings_from_options(paths: list[Path], opts: dict[str, Any]) -> RunSettings:
    """Merge CLI flags (win), the config file and the platform spec into :class:`RunSettings`."""
    from gitops_gen.lint.config import load_config
    from gitops_gen.lint.registry import rules

    cwd = Path.cwd()
    first = (paths or [DEFAULT_PATH])[0]
    repo_root = git_root(first if first.exists() else cwd)
    cfg = load_config(opts.get("config_file"), cwd=cwd, repo_root=repo_root, rule_ids=set(rules()))
    options = LintOptions(repo_root=repo_root)

    specs_dir = opts.get("specs_dir")
    platform = None
    if specs_dir is None:
        from gitops_gen.discover import default_specs_dir

        specs_dir = default_specs_dir(list(paths) or [DEFAULT_PATH], cwd)
    if specs_dir is not None:
        platform = _load_platform(Path(specs_dir))
    options.platform = platform
    spec_version = None
    if platform is not None:
        spec_version = _get(platform, "spec", "kubernetesVersion")
    from gitops_gen.lint.schema.embedded import resolve_version

    options.kubernetes_version = resolve_version(
        opts.get("kubernetes_version") or cfg.kubernetes_version or spec_version
    )
    options.schema_dirs = [Path(p) for p in (opts.get("schema_dirs") or ())] + cfg.schema_dirs
    options.crd_dirs = [Path(p) for p in (opts.get("crd_dirs") or ())] + cfg.crd_dirs
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
    flag_validator = opts.get("validator")
    options.validator = _pick_validator(
        str(flag_validator) if flag_validator not in (None, "embedded") else (cfg.validator or "embedded")
    )
    options.nodes = _nodes(opts, cfg, platform, options.kubernetes_version)
    options.chart_dirs = _chart_dirs(opts.get("chart_dirs") or ())

    cache_dir: Path | None = None
    if not opts.get("no_cache"):
        if opts.get("cache_dir"):
            cache_dir = Path(opts["cache_dir"])
        elif not os.environ.get("GITOPS_GEN_NO_CACHE"):
            from platformdirs import user_cache_dir

            cache_dir = Path(user_cache_dir("gitops-gen")) / "lint"
    jobs = opts.get("jobs")
    if jobs is not None and jobs < 1:
        raise UserError("--jobs must be at least 1")
    return RunSettings(
        options=options,
        jobs=jobs,
        cache_dir=cache_dir,
        build=bool(opts.get("build")),
        exclude=cfg.exclude,
        severity=cfg.severity,
        disabled=cfg.disable,
        fail_on=str(opts.get("fail_on"))
        if opts.get("fail_on") not in (None, "error")
        else (cfg.fail_on or "error"),
    )


def _get(obj: Any, *names: str) -> Any:
    for n in names:
        obj = getattr(obj, n, None)
        if obj is None:
            return None
    return obj


def _load_platform(specs_dir: Path) -> Any:
    from gitops_gen.spec.loader import load_specs

    return load_specs(specs_dir).platform


def _pick_validator(choice: str) -> str:
    if choice == "auto":
        return "kubeconform" if shutil.which("kubeconform") else "embedded"
    if choice == "kubeconform" and not shutil.which("kubeconform"):
        raise UserError(
            "--validator kubeconform: kubeconform is not on PATH",
            hint="install it (https://github.com/yannh/kubeconform) or use --validator embedded",
        )
    return choice


def _nodes(opts: dict[str, Any], cfg: Any, platform: Any, kubernetes_version: str) -> list[NodeSize]:
    """Node sizes from the flags (else the config's ``nodes``) and the platform spec, with the one
    semantics lint and budget share (:func:`gitops_gen.capacity.nodes.resolve_cluster`)."""

    def pick(flag: str, configured: Any) -> Any:
        value = opts.get(flag)
        return value if value not in (None, "") else (configured if configured not in (None, "") else None)

    memory, cpu, count = (
        pick("node_memory", cfg.node_memory),
        pick("node_cpu", cfg.node_cpu),
        pick("node_count", cfg.node_count),
    )
    if platform is None and memory is None and cpu is None and count is None:
        return []  # resolve_cluster gives None here: skip importing the capacity model (~20 ms)
    from gitops_gen.capacity.nodes import resolve_cluster

    cluster = resolve_cluster(platform, memory, cpu, count, kubernetes_version=kubernetes_version)
    return [NodeSize(n.name, n.cpu, n.memory) for n in cluster.nodes] if cluster is not None else []


def _chart_dirs(items: Any) -> tuple[str, ...]:
    """``--chart-dir`` entries (NAME=DIR or a chart cache DIR), checked as ``budget`` checks them."""
    entries = tuple(str(e) for e in items if str(e).strip())
    if not entries:
        return entries  # nothing to check: skip importing the capacity model
    from gitops_gen.capacity.helm import parse_chart_dirs

    parse_chart_dirs(entries)
    return entries


def git_root(start: Path) -> Path | None:
    d = start.resolve()
    if d.is_file():
        d = d.parent
    while True:
        if (d / ".git").exists():
            return d
        if d.parent == d:
            return None
        d = d.parent


def display_path(p: Path | str, cwd: Path) -> str:
    """``p`` as shown to the user: relative to the current directory when inside it."""
    s = os.path.normpath(str(p))
    if os.path.isabs(s):
        prefix = str(cwd).rstrip(os.sep) + os.sep
        if s.startswith(prefix):
            return s[len(prefix) :].replace(os.sep, "/")
    return s.replace(os.sep, "/")


# ------------------------------------------------------------------------------------ library
def lint_paths(paths: list[Path], settings: RunSettings | None = None) -> LintResult:
    """Lint ``paths`` (files/directories) and return every finding (config and ignores applied)."""
    gc_was = gc.isenabled()
    gc.disable()  # the loaded objects are acyclic trees: collecting them is pure overhead
    try:
        return _lint(paths, settings or RunSettings())
    finally:
        if gc_was:
            gc.enable()


def _lint(paths: list[Path], settings: RunSettings) -> LintResult:
    import time

    from gitops_gen.k8s.loader import ROLE_RESOURCE, discover_names, kustomize_roles
    from gitops_gen.lint import engine
    from gitops_gen.lint.registry import rules

    timing = bool(os.environ.get("GITOPS_GEN_TIMING"))
    t0 = time.perf_counter()

    def mark(what: str) -> None:
        if timing:
            sys.stderr.write(f"timing: {what}: {time.perf_counter() - t0:.3f} s\n")

    cwd = Path.cwd()
    files = discover_names(paths, settings.exclude)
    roles = kustomize_roles(files)
    tasks: list[Task] = []
    build_dirs: list[Path] = []
    if settings.build:
        build_dirs = _root_kustomizations(roles)
    # every kustomization directory is linted through the build of the root that includes it
    covered = (
        [os.path.normpath(str(d.absolute())) + os.sep for d in roles.kustomization_dirs] if build_dirs else []
    )
    cwd_s = str(cwd)
    for f in files:
        fs = str(f)
        absf = os.path.normpath(fs if os.path.isabs(fs) else os.path.join(cwd_s, fs))
        if covered and any(absf.startswith(c) for c in covered):
            continue
        role = roles.roles.get(absf, ROLE_RESOURCE)
        tasks.append(Task(fs, display_path(fs, cwd), role))
    for d in build_dirs:
        tasks.append(_build_task(d, cwd))
    options = settings.options
    from gitops_gen.lint.cache import ResultCache

    if settings.cache_dir:
        from gitops_gen.lint.schema import embedded

        embedded.DEFINITIONS_CACHE_DIR = Path(settings.cache_dir) / "schemas"

    cache = ResultCache.open(settings.cache_dir, options) if settings.cache_dir else None
    if cache is not None:
        from gitops_gen.lint.incremental import run_cached

        asm, raw = run_cached(tasks, options, settings.jobs, cache, mark)  # sizes only what it parses
    else:
        results = engine.run_phase1(tasks, options, settings.jobs, task_sizes(tasks))
        mark(f"phase 1 ({len(tasks)} files parsed)")
        asm = engine.assemble(tasks, results)
        raw, extra = whole_input_schema(tasks, asm, asm.raw, options)
        raw = raw + engine.run_phase2(tasks, asm, options, extra)
        mark("phase 2")
    findings, ignored = engine.finalize(
        tasks, asm, raw, severity=settings.severity, disabled=settings.disabled
    )
    mark("finalized")
    return LintResult(
        findings=findings,
        ignored=ignored,
        resources=sum(1 for r in asm.resources if not r.partial),
        files=asm.files,
        rule_docs={rid: r.summary for rid, r in rules().items()},
    )


def task_sizes(tasks: list[Task]) -> list[int]:
    """Bytes of each task's input (0 when it cannot be read: the read reports why)."""
    sizes = []
    for t in tasks:
        try:
            sizes.append(os.stat(t.path).st_size if t.text is None else len(t.text))
        except OSError:
            sizes.append(0)
    return sizes


def whole_input_schema(
    tasks: list[Task], asm: Any, raw: list[Any], options: LintOptions
) -> tuple[list[Any], list[Any]]:
    """Schema checks that need the whole input, before phase 2: custom objects validated against the
    CRDs of the input, and the kubeconform validator. Returns ``raw`` without the findings they
    replace, and the extra ``(rule, hit)`` pairs for phase 2 to place."""
    raw, extra = _recheck_with_input_crds(asm, raw, options)
    if options.validator == "kubeconform":
        from gitops_gen.lint.schema.kubeconform import run_kubeconform

        extra.extend(run_kubeconform(tasks, asm, options))
    return raw, extra


def _recheck_with_input_crds(asm: Any, raw: list[Any], options: LintOptions) -> tuple[list[Any], list[Any]]:
    """Custom objects whose CRD is among the input (gotk-components.yaml): validated against that CRD,
    which replaces the bundled schema of the kind (a repository that pins an older Flux brings its own)."""
    from gitops_gen.lint.schema.flux_operator import drop_flux_operator_kinds

    raw = drop_flux_operator_kinds(asm, raw)
    if options.validator == "kubeconform":
        return raw, []
    crds = [r for r in asm.resources if r.kind == "CustomResourceDefinition" and not r.partial]
    if not crds:
        return raw, []
    from gitops_gen.lint.rules import cel, schema
    from gitops_gen.lint.schema.embedded import EmbeddedValidator, split_api_version

    v = EmbeddedValidator(
        options.kubernetes_version, options.schema_dirs, options.crd_dirs, crds=[r.body for r in crds]
    )
    redo = {
        i
        for i, r in enumerate(asm.resources)
        if not r.partial
        and "/" in r.api_version
        and v.user_defines(split_api_version(r.api_version)[0], r.kind)
    }
    if not redo:
        return raw, []
    kept = [x for x in raw if not (x[1][0] in (schema.ID, cel.ID) and x[1][4] in redo)]
    extra: list[Any] = []
    for i in sorted(redo):
        res = asm.resources[i]
        extra.extend((schema.ID, h) for h in schema.check_with(res, v))
        extra.extend((cel.ID, h) for h in cel.hits_for(res, v))
    return drop_flux_operator_kinds(asm, kept, extra), extra


def _root_kustomizations(roles: Any) -> list[Path]:
    """Kustomization directories that no other kustomization of the input includes."""
    out = []
    for d in roles.kustomization_dirs:
        if os.path.normpath(str(d.absolute())) not in roles.referenced_dirs:
            out.append(d)
    return sorted(set(out), key=lambda p: p.as_posix())


def _build_task(d: Path, cwd: Path) -> Task:
    import subprocess

    from gitops_gen.k8s.loader import KUSTOMIZATION_NAMES

    kfile = next((d / n for n in KUSTOMIZATION_NAMES if (d / n).is_file()), d / "kustomization.yaml")
    display = display_path(kfile, cwd)
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise UserError(
            "--build needs kubectl on PATH (it runs `kubectl kustomize`)",
            hint="install kubectl, or lint without --build",
        )
    try:
        proc = subprocess.run(
            [kubectl, "kustomize", str(d)], capture_output=True, text=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired:
        raise UserError.at(display, "kubectl kustomize timed out after 120 s") from None
    if proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip().splitlines()
        raise UserError.at(
            display,
            f"kubectl kustomize failed: {msg[-1] if msg else proc.returncode}",
            line=1,
            column=1,
            hint="fix the kustomization (run `kubectl kustomize` to see it)",
        )
    return Task(str(kfile), display, "resource", text=proc.stdout, pin_position=True)
