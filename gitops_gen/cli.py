"""Command line interface. Thin: parse options, call the library, map errors to exit codes.

Exit codes: 0 clean; 1 findings at error severity (or stale output); 2 bad input or usage.
Imports of the heavy modules happen inside the commands so that ``--help`` starts fast.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from gitops_gen import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from gitops_gen.errors import UserError

F = TypeVar("F", bound=Callable[..., Any])


class PathParam(click.Path):
    """``click.Path`` whose values are :class:`pathlib.Path`. pathlib (and what it imports: ~15 ms) is
    imported when a value is converted, not when the command line is loaded: ``--help`` and
    ``--version`` stay quick."""

    def coerce_path_result(self, value: str | os.PathLike[str]) -> Any:
        from pathlib import Path

        return value if isinstance(value, Path) else Path(value)


#: the one instance every path option shares (a type holds no state; each ``click.Path()`` asks gettext
#: for its name, which searches the locale directories: 21 instances were ~1.5 ms of every start)
PATH = PathParam()


EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def node_options(command: F) -> F:
    """The node-size flags of ``lint`` and ``budget`` (one semantics: ``capacity.nodes.resolve_cluster``)."""
    command = click.option(
        "--nodes",
        "node_count",
        type=int,
        default=None,
        help="Number of nodes of that size (default: the spec's node count, else 1).",
    )(command)
    command = click.option(
        "--node-cpu", default=None, help="CPU of each node, e.g. 4 (overrides the spec's)."
    )(command)
    return click.option(
        "--node-memory", default=None, help="Memory of each node, e.g. 12Gi (overrides the spec's)."
    )(command)


def schema_options(command: F) -> F:
    """The schema flags of ``lint`` and ``diff`` (its lint delta): one meaning, one help text."""
    command = click.option(
        "--crd-dir",
        "crd_dirs",
        multiple=True,
        type=PATH,
        help="Directories of CRD manifests whose schemas validate custom kinds (beside the bundled ones).",
    )(command)
    command = click.option(
        "--schema-dir",
        "schema_dirs",
        multiple=True,
        type=PATH,
        help="Extra JSON schemas (kubeconform layout), e.g. from `gitops-gen schemas import`.",
    )(command)
    return click.option(
        "--kubernetes-version", default=None, help="Kubernetes schemas to use (default: platform spec's)."
    )(command)


def chart_options(command: F) -> F:
    """The chart flags of ``lint`` (its budget rules) and ``budget``."""
    command = click.option(
        "--chart-cache",
        "chart_cache",
        type=PATH,
        default=None,
        help="Chart cache filled by `gitops-gen charts pull` (default: the user cache dir, or "
        "$GITOPS_GEN_CHART_CACHE). Releases whose chart is cached are rendered with `helm template`, offline.",
    )(command)
    return click.option(
        "--chart-dir",
        "chart_dirs",
        multiple=True,
        help="NAME=DIR (chart dir or .tgz) or DIR (chart cache): use `helm template` for that chart "
        "instead of its built-in profile.",
    )(command)


def specs_option(command: F) -> F:
    """``--specs`` of ``lint`` and ``budget``: where the platform's nodes (and Kubernetes version) come from."""
    return click.option(
        "--specs",
        "specs_dir",
        type=PATH,
        default=None,
        help="Platform spec directory (node sizes, Kubernetes version). "
        "Default: ./specs/ when the given paths are inside the current directory.",
    )(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="gitops-gen")
def cli() -> None:
    """Render a Flux GitOps repository from typed specs, and lint manifests before they hurt."""


# --------------------------------------------------------------------------------------- render
@cli.command()
@click.option(
    "--specs",
    "specs_dir",
    type=PATH,
    default="specs",
    show_default=True,
    help="Directory with platform.yaml and apps/*.yaml.",
)
@click.option(
    "--out",
    "out_dir",
    type=PATH,
    default="output",
    show_default=True,
    help="Directory of the rendered repository. Flux paths are relative "
    "to the git repository around it (./output/...) unless spec.git.path says otherwise.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; list missing, stale and extra files and exit 1 if there are any.",
)
def render(specs_dir: Path, out_dir: Path, check: bool) -> None:
    """Render the specs into a Flux repository (atomically: all of it or nothing).

    Files in --out without the gitops-gen header are kept as they are; generated files the
    specs no longer produce are removed.
    """
    from gitops_gen.lint.cache import default_root
    from gitops_gen.lint.specfacts import keeper
    from gitops_gen.render.api import run_render

    # the platform facts of specs render validated, kept where lint reads them: the next lint (the
    # pre-commit hook after `render --check`) then need not load the specs with Pydantic again
    root = default_root()
    keep = keeper(specs_dir, root) if root is not None else None
    sys.exit(run_render(specs_dir, out_dir, check=check, loaded=keep.store if keep is not None else None))


# --------------------------------------------------------------------------------------- init
@cli.command()
@click.option(
    "--specs",
    "specs_dir",
    type=PATH,
    default="specs",
    show_default=True,
    help="Directory to write the specs into (refused if it already holds specs).",
)
@click.option("--yes", "-y", is_flag=True, help="Take the default for every question not given as a flag.")
@click.option("--name", default=None, help="Cluster name (default: the directory's name).")
@click.option("--git-url", default=None, help="Git URL Flux syncs (default: the origin remote).")
@click.option("--branch", default=None, help="Git branch (default: the current branch, else main).")
@click.option("--distribution", type=click.Choice(["k3s", "kubernetes"]), default=None, help="Default: k3s.")
@click.option("--node-cpu", default=None, help="CPU of the node (default: 2).")
@click.option("--node-memory", default=None, help="Memory of the node (default: 4Gi).")
@click.option(
    "--components",
    default=None,
    help="Comma-separated: ingress-nginx, cert-manager, sealed-secrets, monitoring, logging, or none "
    "(default: the first three).",
)
@click.option("--acme-email", default=None, help="Let's Encrypt e-mail (a ClusterIssuer; default: none).")
@click.option("--app", default=None, help="First app's name ('none' for no app; default: hello).")
@click.option("--image", default=None, help="Its image (default: podinfo).")
@click.option("--port", type=int, default=None, help="Its port (default: 9898).")
@click.option("--host", default=None, help="Its public host: an ingress (default: none).")
def init(specs_dir: Path, yes: bool, **given: Any) -> None:
    """Write the first specs of a new repository (platform, one app, editor schema).

    Asks for each value not given as a flag, unless --yes or standard input is not a terminal (then
    the defaults are taken). Never overwrites: a spec directory that already holds specs is refused.
    """
    from pathlib import Path

    from gitops_gen.spec.scaffold import PLACEHOLDER_URL, Answers, complete, interactive, scaffold
    from gitops_gen.textsafe import escape_control

    answers = complete(Answers(**given), Path.cwd(), ask=not yes and interactive())
    for path in scaffold(specs_dir, answers):
        click.echo(escape_control(f"wrote {path.as_posix()}", keep_newlines=False))
    if answers.git_url == PLACEHOLDER_URL:
        click.echo(f"note: spec.git.url is a placeholder ({PLACEHOLDER_URL}): set your repository's URL")
    click.echo(
        "next: gitops-gen render && gitops-gen lint; then `flux bootstrap git` with "
        f"--path=output/clusters/{answers.name} (see README: The rendered repository)"
    )


# --------------------------------------------------------------------------------------- schema
@cli.command()
@click.option(
    "--out",
    "out_file",
    type=PATH,
    default=None,
    help="Write to this file instead of stdout.",
)
def schema(out_file: Path | None) -> None:
    """Print the JSON Schema of the spec kinds (Platform, App) for editors."""
    from gitops_gen.spec.schema import schema_text

    text = schema_text()
    if out_file is None:
        click.echo(text, nl=False)
    else:
        out_file.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------- lint
@cli.command()
@click.argument("paths", nargs=-1, type=PATH)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
)
@click.option(
    "--validator",
    type=click.Choice(["embedded", "kubeconform", "auto"]),
    default="embedded",
    show_default=True,
    help="Schema back end ('auto': kubeconform if on PATH).",
)
@schema_options
@specs_option
@node_options
@click.option(
    "--build", is_flag=True, help="Lint what `kubectl kustomize` builds for each kustomization dir."
)
@click.option(
    "--cluster",
    "clusters",
    multiple=True,
    type=PATH,
    help="Lint what this cluster directory applies (default: every */flux-system/gotk-sync.yaml found).",
)
@click.option(
    "--all-files", is_flag=True, help="Also lint files no cluster applies (they are reported as not applied)."
)
@click.option(
    "--no-clusters", is_flag=True, help="Plain file mode: lint every file as written, not per cluster."
)
@click.option(
    "--config",
    "config_file",
    type=PATH,
    default=None,
    help="Config file (default: .gitops-gen.yaml, or [tool.gitops-gen] in pyproject.toml).",
)
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error", show_default=True)
@click.option("--show-ignored", is_flag=True, help="Also list findings silenced by annotations.")
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Text output: list every finding (no folding), info and 'no schema' findings included, "
    "and the CEL validation rules that could not be evaluated.",
)
@click.option("--jobs", "-j", type=int, default=None, help="Worker processes (default: automatic).")
@click.option("--cache-dir", type=PATH, default=None, help="On-disk result cache.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@chart_options
def lint(paths: tuple[Path, ...], chart_cache: Path | None, **options: Any) -> None:
    """Lint manifests (default: output/) against schemas and the small-cluster rules."""
    from gitops_gen.lint.api import LintFlags, run_lint

    if chart_cache is not None:  # read by the budget rules (gitops_gen.charts.cache.default_dir)
        os.environ["GITOPS_GEN_CHART_CACHE"] = str(chart_cache)
    sys.exit(run_lint(list(paths), LintFlags(**options)))


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True
)
def rules(fmt: str) -> None:
    """Document every lint rule: id, severity, what it checks and why."""
    from gitops_gen.lint.registry import describe_rules

    click.echo(describe_rules(fmt), nl=False)


# --------------------------------------------------------------------------------------- schemas
@cli.group()
def schemas() -> None:
    """Manage JSON schemas for custom resources."""


@schemas.command("list")
def schemas_list() -> None:
    """Say which projects' CRD schemas are bundled (version, license, kinds)."""
    from gitops_gen.lint.schema.bundle import listing

    click.echo(listing(), nl=False)


@schemas.command("import")
@click.argument("crds", nargs=-1, required=True, type=PATH)
@click.option(
    "--out",
    "out_dir",
    type=PATH,
    required=True,
    help="Directory for the schemas (kubeconform layout: {group}/{kind}_{version}.json).",
)
def schemas_import(crds: tuple[Path, ...], out_dir: Path) -> None:
    """Turn CRD manifests into JSON schemas usable by gitops-gen and kubeconform."""
    from gitops_gen.lint.schema.crd_import import run_import

    sys.exit(run_import(list(crds), out_dir))


# --------------------------------------------------------------------------------------- budget
@cli.command()
@click.argument("paths", nargs=-1, type=PATH)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True
)
@specs_option
@node_options
@chart_options
@click.option(
    "--fail-on-unknown",
    is_flag=True,
    default=False,
    help="Exit 1 when a HelmRelease is not counted (unknown footprint).",
)
@click.option(
    "--wide",
    is_flag=True,
    help="Text table: every column, however wide (default: fit the terminal, dropping limits and "
    "shares first, wrapping notes).",
)
@click.option(
    "--config",
    "config_file",
    type=PATH,
    default=None,
    help="Config file for `nodes` and `clusters.<name>.nodes` (default: .gitops-gen.yaml, as lint).",
)
def budget(paths: tuple[Path, ...], config_file: Path | None, **options: Any) -> None:
    """Memory/CPU budget of everything the manifests will run (default: output/), and which pods stay Pending.

    Exit 1 when the scheduling simulation leaves pods Pending. See docs/capacity.md.
    """
    from pathlib import Path

    from gitops_gen.capacity.api import run_budget
    from gitops_gen.capacity.nodes import NodeSizes
    from gitops_gen.lint.config import load_config
    from gitops_gen.lint.registry import rules
    from gitops_gen.paths import git_root

    cwd = Path.cwd()
    first = paths[0] if paths else Path("output")
    cfg = load_config(
        config_file, cwd=cwd, repo_root=git_root(first if first.exists() else cwd), rule_ids=set(rules())
    )
    sys.exit(run_budget(list(paths), **options, config=cfg.node_plan([], NodeSizes())))


# --------------------------------------------------------------------------------------- charts
@cli.group()
def charts() -> None:
    """The chart cache: charts of HelmReleases, pulled once, rendered offline by budget and lint."""


@charts.command("pull")
@click.argument("paths", nargs=-1, type=PATH)
@click.option(
    "--chart-cache",
    "chart_cache",
    type=PATH,
    default=None,
    help="Cache directory (default: the user cache dir, or $GITOPS_GEN_CHART_CACHE).",
)
def charts_pull(paths: tuple[Path, ...], chart_cache: Path | None) -> None:
    """Pull the chart of every HelmRelease under PATHS (default: .) into the chart cache.

    HelmRepository (HTTP(S) index.yaml, or type oci), OCIRepository and HelmChart sources; version
    ranges resolve to the newest match, as Flux does. Needs helm on PATH. Exit 1 when a chart
    could not be pulled. See docs/capacity.md.
    """
    from pathlib import Path

    from gitops_gen.charts.api import run_pull

    sys.exit(run_pull(list(paths) or [Path(".")], chart_cache))


# --------------------------------------------------------------------------------------- diff
@cli.command()
@click.option(
    "--base",
    default="HEAD",
    show_default=True,
    help="Git ref whose specs are the 'before' side (e.g. origin/main).",
)
@click.option(
    "--specs",
    "specs_dir",
    type=PATH,
    default="specs",
    show_default=True,
    help="Spec directory; the 'after' side is its work-tree content.",
)
@click.option(
    "--out",
    "out_dir",
    type=PATH,
    default="output",
    show_default=True,
    help="Where `render` writes (only its place in the repository matters: Flux paths).",
)
@click.option(
    "--output-dir",
    "output_dirs",
    nargs=2,
    type=PATH,
    default=None,
    help="OLD NEW: compare two already-rendered trees instead of specs.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="markdown: ready to post as a pull-request comment.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default=None,
    help="Exit 1 when the change adds lint findings at this severity or above (default: exit 0).",
)
@schema_options
@click.option(
    "--cache-dir", type=PATH, default=None, help="The lint's result cache (default: the user cache dir)."
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the lint's result cache.")
def diff(
    base: str,
    specs_dir: Path,
    out_dir: Path,
    output_dirs: tuple[Path, Path] | None,
    fmt: str,
    fail_on: str | None,
    kubernetes_version: str | None,
    schema_dirs: tuple[Path, ...],
    crd_dirs: tuple[Path, ...],
    cache_dir: Path | None,
    no_cache: bool,
) -> None:
    """What a change does to the cluster: objects and fields, lint and budget deltas.

    Renders the specs at --base and in the work tree (in memory; nothing is written) and compares
    the objects by Kind/namespace/name. Exit 0 whatever changed, unless --fail-on: then 1 when the
    change adds lint findings at that severity; 2 for a bad ref or bad specs.
    """
    from gitops_gen.diff.api import run_diff
    from gitops_gen.lint.api import LintFlags

    _held_to_exit()
    lint_flags = LintFlags(
        kubernetes_version=kubernetes_version,
        schema_dirs=schema_dirs,
        crd_dirs=crd_dirs,
        cache_dir=cache_dir,
        no_cache=no_cache,
    )
    sys.exit(
        run_diff(
            base=base,
            specs_dir=specs_dir,
            output_dirs=output_dirs,
            fmt=fmt,
            out_dir=out_dir,
            fail_on=fail_on,
            lint_flags=lint_flags,
        )
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: never lets a traceback reach the user. Run as the program (``argv`` None), it ends
    the process itself once the command is done (:func:`_exit_now`)."""
    if argv is not None:  # a caller's process (tests, embedding): SystemExit as usual
        _run(argv)
        return
    try:
        _run(None)
        code = EXIT_OK
    except SystemExit as exc:
        if exc.code is not None and not isinstance(exc.code, int):
            raise
        code = int(exc.code or 0)
    except _Terminated as exc:  # after the command's own handling (while it reported an error, say)
        code = 128 + exc.signum
    _exit_now(code)


def _exit_now(code: int) -> NoReturn:
    """Exit with ``code`` as the interpreter would, without its teardown: the exit handlers run
    (``atexit``: coverage, ``weakref.finalize``, temporary directories), both streams are flushed, and
    the process ends without freeing every object it holds one by one (a 1,000-app ``diff``: ~80 ms;
    a one-file lint: ~10 ms, 5% of it). mypy ends the same way. With another thread running, the
    interpreter's own exit joins it."""
    _terminations(unwind=False)  # the command is over: a termination now need not unwind anything
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        sys.exit(code)
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # stdout's errors were reported when it was flushed last
            stream.flush()
    os._exit(code)


def _run(argv: list[str] | None) -> None:
    """The command line ``argv`` (None: the process's), its errors turned into messages and exit codes."""
    if (sys.argv[1:] if argv is None else argv)[:1] in (["lint"], ["diff"], ["render"], ["budget"]):
        import gc

        # these make little cyclic garbage, and each collection walks every object they hold: lint's
        # lazy imports run ~10% faster, and a 1,000-app diff spent 0.6 s of its 6-7 s in collections
        gc.disable()
    if argv is None:  # the console script (not a caller's process): its exit need not collect
        import atexit
        import gc

        # the interpreter's last collection walks every object still held (a 10,000-object lint: ~40 ms
        # of its exit); frozen objects are skipped, and freed by reference counting as before
        atexit.register(gc.freeze)
        if sys.argv[1:2] and not sys.argv[1].startswith("-"):  # a command (not --help, --version)
            _terminations(unwind=True)
            _as_program()
    _guard_stdout()
    try:
        try:
            cli.main(args=argv, prog_name="gitops-gen", standalone_mode=False)
        finally:
            _flush_stdout()
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except _user_error() as exc:  # evaluated only when an exception gets here: --help imports nothing more
        from gitops_gen.textsafe import escape_control

        for problem in exc.problems:
            click.echo(f"error: {escape_control(str(problem), keep_newlines=False)}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except _Terminated as exc:
        click.echo("terminated", err=True)
        sys.exit(128 + exc.signum)
    except SystemExit:
        raise
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except _StdoutError as exc:
        with contextlib.suppress(OSError):  # nothing more can be written there: drop what is buffered
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        if exc.errno == errno.EPIPE:
            sys.exit(EXIT_OK)
        click.echo(
            f"error: cannot write the output: {exc.strerror or exc}; check where stdout goes", err=True
        )
        sys.exit(EXIT_USAGE)
    except OSError as exc:
        if exc.filename is None:
            _report_internal(exc)
        from gitops_gen.textsafe import escape_control

        # a path the user gave (or its parent) is missing, not writable, a directory...: not a bug
        click.echo(
            f"error: {escape_control(str(exc.filename), keep_newlines=False)}: {exc.strerror or exc}; "
            "check the path and its permissions",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    except RecursionError:
        click.echo("error: input nests too deeply to process; flatten it", err=True)
        sys.exit(EXIT_USAGE)
    except MemoryError:
        click.echo("error: out of memory on this input; split it into smaller files", err=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # last line of defence: a bug, reported without a traceback
        _report_internal(exc)
    sys.exit(EXIT_OK)


class _Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread to unwind the command as Ctrl-C does (not an
    ``Exception``, as ``KeyboardInterrupt`` is not: no handler of errors catches it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_main_pid = 0  # the process whose command a termination unwinds (0: none)
_program = False  # a command run as the program (the console script): the process ends with it


def _as_program() -> None:
    global _program
    _program = True


def _held_to_exit() -> None:
    """What the command holds to its end (:mod:`gitops_gen.ending`) is freed by the exit, not one by one,
    when the process ends with the command; a caller's process (tests, embedding) frees it as usual."""
    if _program:
        from gitops_gen import ending

        ending.until_exit()


def _on_termination(signum: int, _frame: object) -> None:
    if os.getpid() != _main_pid:  # a forked child: the default (it dies; its parent sees it fail)
        import signal

        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise _Terminated(signum)


def _terminations(*, unwind: bool) -> None:
    """With ``unwind``: on SIGTERM (``kill``, a CI job cancelled, a pre-commit timeout) and SIGHUP (the
    terminal closed), unwind the command as Ctrl-C does, so that its temporary directories are removed
    and its locks released (by default the process died on the spot and left ``diff``'s scratch trees
    behind); the exit code is still 128 + the signal's number. A forked child (the lint workers,
    ``forked``) keeps the default. Without: the default again (a signal that was ignored, as under
    ``nohup``, stays ignored)."""
    global _main_pid
    if not unwind and not _main_pid:
        return
    import signal

    _main_pid = os.getpid() if unwind else 0
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        current = signal.getsignal(signum)
        if unwind and current == signal.SIG_DFL:
            signal.signal(signum, _on_termination)
        elif not unwind and current is _on_termination:
            signal.signal(signum, signal.SIG_DFL)


def _user_error() -> type[UserError]:
    from gitops_gen.errors import UserError

    return UserError


class _StdoutError(OSError):
    """Standard output cannot be written (``> /dev/full``, a closed pipe, an I/O error)."""


class _GuardedStdout(io.TextIOWrapper):
    """The process's stdout, whose write errors are told apart from errors on the user's files, and
    which never fails to encode (an undecodable file name held as a lone surrogate is escaped)."""

    def write(self, s: str) -> int:
        try:
            return super().write(s)
        except OSError as exc:
            raise _StdoutError(exc.errno, exc.strerror) from None

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as exc:
            raise _StdoutError(exc.errno, exc.strerror) from None


def _guard_stdout() -> None:
    out = sys.stdout
    if out is not sys.__stdout__ or not isinstance(out, io.TextIOWrapper):
        return  # captured (tests) or replaced by the caller: leave it alone
    with contextlib.suppress(AttributeError, ValueError, OSError):
        out.flush()
        sys.stdout = _GuardedStdout(
            out.detach(),
            encoding=out.encoding,
            errors="backslashreplace",
            line_buffering=out.line_buffering,
        )


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except _StdoutError:
        raise
    except OSError as exc:  # a stream that is not ours (tests, embedding)
        raise _StdoutError(exc.errno, exc.strerror) from None


def _report_internal(exc: Exception) -> None:
    """Report a bug without a traceback (exit 2); re-raise it with GITOPS_GEN_DEBUG set."""
    if os.environ.get("GITOPS_GEN_DEBUG"):
        raise exc
    from gitops_gen.textsafe import escape_control

    click.echo(
        f"internal error: {type(exc).__name__}: {escape_control(str(exc), keep_newlines=False)}\n"
        "This is a bug in gitops-gen; rerun with GITOPS_GEN_DEBUG=1 for the traceback "
        "and report it.",
        err=True,
    )
    sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()
