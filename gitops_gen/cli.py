"""Command line interface. Thin: parse options, call the library, map errors to exit codes.

Exit codes: 0 clean; 1 findings at error severity (or stale output); 2 bad input or usage.
Imports of the heavy modules happen inside the commands so that ``--help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from gitops_gen import __version__

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="gitops-gen")
def cli() -> None:
    """Render a Flux GitOps repository from typed specs, and lint manifests before they hurt."""


# --------------------------------------------------------------------------------------- render
@cli.command()
@click.option(
    "--specs",
    "specs_dir",
    type=click.Path(path_type=Path),
    default=Path("specs"),
    show_default=True,
    help="Directory with platform.yaml and apps/*.yaml.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("output"),
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
    from gitops_gen.render.api import run_render

    sys.exit(run_render(specs_dir, out_dir, check=check))


# --------------------------------------------------------------------------------------- schema
@cli.command()
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
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
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
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
@click.option(
    "--kubernetes-version", default=None, help="Kubernetes schemas to use (default: platform spec's)."
)
@click.option(
    "--schema-dir",
    "schema_dirs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra JSON schemas (kubeconform layout), e.g. from `gitops-gen schemas import`.",
)
@click.option(
    "--crd-dir",
    "crd_dirs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Directories of CRD manifests whose schemas validate custom kinds.",
)
@click.option(
    "--specs",
    "specs_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Platform spec directory (node sizes, Kubernetes version). Default: ./specs/ when the given paths are inside the current directory.",
)
@click.option("--node-memory", default=None, help="Memory of each node, e.g. 12Gi (overrides the spec's).")
@click.option("--node-cpu", default=None, help="CPU of each node, e.g. 4 (overrides the spec's).")
@click.option(
    "--nodes",
    "node_count",
    type=int,
    default=None,
    help="Number of nodes of that size (default: the spec's node count, else 1).",
)
@click.option(
    "--build", is_flag=True, help="Lint what `kubectl kustomize` builds for each kustomization dir."
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Config file (default: .gitops-gen.yaml, or [tool.gitops-gen] in pyproject.toml).",
)
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error", show_default=True)
@click.option("--show-ignored", is_flag=True, help="Also list findings silenced by annotations.")
@click.option(
    "--verbose", "-v", is_flag=True, help="Also list CEL validation rules that could not be evaluated."
)
@click.option("--jobs", "-j", type=int, default=None, help="Worker processes (default: automatic).")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None, help="On-disk result cache.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option(
    "--chart-dir",
    "chart_dirs",
    multiple=True,
    help="NAME=DIR (chart dir or .tgz) or DIR (chart cache): budget rules use `helm template`.",
)
def lint(paths: tuple[Path, ...], **options: Any) -> None:
    """Lint manifests (default: output/) against schemas and the small-cluster rules."""
    from gitops_gen.lint.api import run_lint

    sys.exit(run_lint(list(paths), **options))


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
@click.argument("crds", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Directory for the schemas (kubeconform layout: {group}/{kind}_{version}.json).",
)
def schemas_import(crds: tuple[Path, ...], out_dir: Path) -> None:
    """Turn CRD manifests into JSON schemas usable by gitops-gen and kubeconform."""
    from gitops_gen.lint.schema.crd_import import run_import

    sys.exit(run_import(list(crds), out_dir))


# --------------------------------------------------------------------------------------- budget
@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True
)
@click.option(
    "--specs",
    "specs_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Platform spec directory (nodes). Default: ./specs/ when the given paths are inside the current directory.",
)
@click.option("--node-memory", default=None, help="Memory of each node, e.g. 12Gi (overrides the spec's).")
@click.option("--node-cpu", default=None, help="CPU of each node, e.g. 4 (overrides the spec's).")
@click.option(
    "--nodes",
    "node_count",
    type=int,
    default=None,
    help="Number of nodes of that size (default: the spec's node count, else 1).",
)
@click.option(
    "--chart-dir",
    "chart_dirs",
    multiple=True,
    help="NAME=DIR (chart dir or .tgz) or DIR (chart cache): use `helm template` for that chart "
    "instead of its built-in profile. Needs helm on PATH.",
)
def budget(paths: tuple[Path, ...], **options: Any) -> None:
    """Memory/CPU budget of everything the manifests will run (default: output/), and which pods stay Pending.

    Exit 1 when the scheduling simulation leaves pods Pending. See docs/capacity.md.
    """
    from gitops_gen.capacity.api import run_budget

    sys.exit(run_budget(list(paths), **options))


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
    type=click.Path(path_type=Path),
    default=Path("specs"),
    show_default=True,
    help="Spec directory; the 'after' side is its work-tree content.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Where `render` writes (only its place in the repository matters: Flux paths).",
)
@click.option(
    "--output-dir",
    "output_dirs",
    nargs=2,
    type=click.Path(path_type=Path),
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
def diff(base: str, specs_dir: Path, out_dir: Path, output_dirs: tuple[Path, Path] | None, fmt: str) -> None:
    """What a change does to the cluster: objects and fields, lint and budget deltas.

    Renders the specs at --base and in the work tree (in memory; nothing is written) and compares
    the objects by Kind/namespace/name. Exit 0 whatever changed; 2 for a bad ref or bad specs.
    """
    from gitops_gen.diff import run_diff

    sys.exit(run_diff(base=base, specs_dir=specs_dir, output_dirs=output_dirs, fmt=fmt, out_dir=out_dir))


def main(argv: list[str] | None = None) -> None:
    """Entry point: never lets a traceback reach the user."""
    from gitops_gen.errors import UserError

    if (sys.argv[1:] if argv is None else argv)[:1] == ["lint"]:
        import gc

        gc.disable()  # lint makes no cyclic garbage worth collecting; its lazy imports run ~10% faster
    try:
        cli.main(args=argv, prog_name="gitops-gen", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except UserError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except OSError as exc:
        if exc.filename is None:
            _report_internal(exc)
        # a path the user gave (or its parent) is missing, not writable, a directory...: not a bug
        click.echo(
            f"error: {exc.filename}: {exc.strerror or exc}; check the path and its permissions", err=True
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


def _report_internal(exc: Exception) -> None:
    """Report a bug without a traceback (exit 2); re-raise it with GITOPS_GEN_DEBUG set."""
    if os.environ.get("GITOPS_GEN_DEBUG"):
        raise exc
    click.echo(
        f"internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in gitops-gen; rerun with GITOPS_GEN_DEBUG=1 for the traceback "
        "and report it.",
        err=True,
    )
    sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()
