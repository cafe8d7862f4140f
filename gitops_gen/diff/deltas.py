"""Adapters to the other layers: rendering, lint and capacity, as the diff needs them.

Kept in one place so that ``diff`` depends on each layer through one small function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops_gen.diff.model import BudgetDelta, DiffReport, LintDelta
from gitops_gen.lint.model import Finding


def render(specs: Any, out_dir: Path) -> dict[str, str]:
    """The rendered tree ``{relpath: text}`` of ``specs``, in memory, as ``render`` would write it."""
    from gitops_gen.render.engine import render_tree

    return dict(render_tree(specs, path_prefix(specs, out_dir)))


def path_prefix(specs: Any, out_dir: Path) -> str:
    """The prefix of Flux ``spec.path``s (the output directory as seen from the git repository root)."""
    git_path = specs.platform.spec.git.path
    if git_path:
        return str(git_path)
    return "./" + output_relpath(out_dir, None) if output_relpath(out_dir, None) else "./"


def output_relpath(out_dir: Path, repo_root: Path | None) -> str:
    """``out_dir`` relative to the repository root, POSIX style ('' when it is the root)."""
    if repo_root is None:
        return out_dir.as_posix().strip("./") if not out_dir.is_absolute() else out_dir.name
    try:
        rel = out_dir.resolve().relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        rel = out_dir.name
    return "" if rel == "." else rel


def lint_findings(tree: Path, specs: Any, repo_root: Path | None) -> list[Finding]:
    """Every finding of ``gitops-gen lint`` on ``tree``, files shown relative to ``tree``."""
    raise NotImplementedError


def add_deltas(report: DiffReport, old_tree: Path, new_tree: Path, old_specs: Any, new_specs: Any,
               repo_roots: tuple[Path | None, Path | None] = (None, None)) -> None:
    """Fill the lint and budget deltas of ``report``; what cannot be computed becomes a note."""
    try:
        before = lint_findings(old_tree, old_specs, repo_roots[0])
        after = lint_findings(new_tree, new_specs, repo_roots[1])
        report.lint = LintDelta.between(before, after)
    except (ImportError, NotImplementedError):
        report.notes.append("lint delta unavailable: the linter is not installed in this build")
    report.budget = _budget_delta(old_tree, new_tree, old_specs, new_specs, report)


def _budget_delta(old_tree: Path, new_tree: Path, old_specs: Any, new_specs: Any,
                  report: DiffReport) -> BudgetDelta | None:
    report.notes.append("budget delta unavailable: the capacity model is not installed in this build")
    return None
