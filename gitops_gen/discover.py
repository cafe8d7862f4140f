"""Where gitops-gen looks for things it is not told about (kept free of heavy imports: used at start-up)."""

from __future__ import annotations

import os
from pathlib import Path


def _is_specs(candidate: Path) -> bool:
    """A spec directory: ``platform.yaml``, or ``clusters/*.yaml`` for several clusters."""
    if (candidate / "platform.yaml").is_file():
        return True
    fleet = candidate / "clusters"
    try:
        return fleet.is_dir() and any(p.suffix in (".yaml", ".yml") for p in fleet.iterdir())
    except OSError:
        return False


def default_specs_dir(paths: list[Path], cwd: Path | None = None) -> Path | None:
    """The ``specs/`` lint and budget use when no ``--specs`` is given (one holding ``platform.yaml``, or
    ``clusters/*.yaml`` for several clusters), or None.

    The specs describe the manifests *of their repository*: they are used only when every linted path
    lies inside the current directory, so linting another tree from here is not checked against this
    platform's node size. Inside it, the nearest ``specs/`` wins: from the deepest directory holding
    every linted path up to the current directory (``lint examples/fleet/output`` from a repository
    root reads ``examples/fleet/specs/``, not the root's ``specs/``).
    """
    cwd = cwd or Path.cwd()
    root = cwd.resolve()
    resolved: list[str] = []
    for p in paths:
        try:
            rp = (cwd / p).resolve()
            rp.relative_to(root)
        except (ValueError, OSError, RuntimeError):
            return None
        resolved.append(str(rp))
    if not resolved:
        return None
    d = Path(os.path.commonpath(resolved))
    while True:
        if _is_specs(d / "specs"):
            rel = d.relative_to(root)
            return cwd / rel / "specs" if rel.parts else cwd / "specs"
        if d == root or d.parent == d:
            return None
        d = d.parent
