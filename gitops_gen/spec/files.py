"""The spec files of a specs directory (no heavy imports: lint keys its cached spec facts on them)."""

from __future__ import annotations

import os
from pathlib import Path

from gitops_gen.errors import UserError

SPEC_SUFFIXES = (".yaml", ".yml")


def spec_files(specs_dir: Path) -> list[Path]:
    if not specs_dir.exists():
        raise UserError.at(
            str(specs_dir),
            "specs directory does not exist",
            hint="pass --specs DIR pointing at your platform.yaml and apps/",
        )
    if specs_dir.is_file():
        return [specs_dir]

    def unreadable(exc: OSError) -> None:
        raise UserError.at(
            str(exc.filename), f"cannot read directory: {exc.strerror or exc}", hint="fix its permissions"
        )

    files: list[Path] = []
    for dirpath, dirs, names in os.walk(specs_dir, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for n in names:
            p = Path(dirpath) / n
            if p.suffix in SPEC_SUFFIXES and not n.startswith(".") and p.is_file():
                files.append(p)
    return sorted(files, key=lambda p: p.relative_to(specs_dir).as_posix())
