"""Real git for the tests, with an identity, ``main`` as the first branch and no signing, whatever the
user's global configuration says."""

from __future__ import annotations

import subprocess
from pathlib import Path

GIT = (
    "git",
    "-c",
    "user.name=Test",
    "-c",
    "user.email=test@example.com",
    "-c",
    "init.defaultBranch=main",
    "-c",
    "commit.gpgsign=false",
)


def git(cwd: Path, *args: str) -> str:
    """Run ``git ARGS`` in ``cwd`` (raises on failure) and return its standard output."""
    return subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout
