"""Semantic diff of two renders (git ref vs work tree, or two rendered trees), with lint and budget deltas.

``run_diff`` is what ``gitops-gen diff`` calls; see :mod:`gitops_gen.diff.api`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO


def run_diff(
    *,
    base: str = "HEAD",
    specs_dir: Path = Path("specs"),
    output_dirs: tuple[Path, Path] | None = None,
    fmt: str = "text",
    out_dir: Path = Path("output"),
    stream: TextIO | None = None,
) -> int:
    """Entry point of ``gitops-gen diff`` (the machinery is imported lazily)."""
    from gitops_gen.diff.api import run_diff as _run_diff

    return _run_diff(
        base=base, specs_dir=specs_dir, output_dirs=output_dirs, fmt=fmt, out_dir=out_dir, stream=stream
    )


__all__ = ["run_diff"]
