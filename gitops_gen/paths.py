"""Paths as gitops-gen shows and finds them: one ``display_path`` and one ``git_root`` for every command."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(p: Path | str, base: Path | str) -> str:
    """``p`` as shown to the user: relative to ``base`` (the current directory, usually) when it lies
    inside it, else as given; always with ``/`` separators. Symlinks are not resolved, so a file is
    named the way the user reached it."""
    s = os.path.normpath(str(p))
    if os.path.isabs(s):
        prefix = os.path.normpath(str(base)).rstrip(os.sep) + os.sep
        if s.startswith(prefix):
            return s[len(prefix) :].replace(os.sep, "/")
    return s.replace(os.sep, "/")


def git_root(start: Path | str) -> Path | None:
    """The nearest directory at or above ``start`` that holds ``.git`` (dir or file), or None.

    ``start`` may be a file, or not exist yet (``render --out`` before the first render): the search
    starts from its nearest existing ancestor."""
    current = Path(os.path.abspath(start))
    while not current.exists() and current != current.parent:
        current = current.parent
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None
