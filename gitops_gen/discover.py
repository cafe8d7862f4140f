"""Where gitops-gen looks for things it is not told about (kept free of heavy imports: used at start-up)."""

from __future__ import annotations

from pathlib import Path


def default_specs_dir(paths: list[Path], cwd: Path | None = None) -> Path | None:
    """The ``specs/`` lint and budget use when no ``--specs`` is given (one holding ``platform.yaml``, or
    ``clusters/*.yaml`` for several clusters), or None.

    ``specs/platform.yaml`` in the current directory describes the manifests *of this repository*:
    it is used only when every linted path lies inside the current directory, so linting another
    tree from here is not checked against this platform's node size.
    """
    cwd = cwd or Path.cwd()
    candidate = cwd / "specs"
    fleet = candidate / "clusters"  # several clusters: specs/clusters/<name>.yaml
    if not (candidate / "platform.yaml").is_file() and not (
        fleet.is_dir() and any(p.suffix in (".yaml", ".yml") for p in fleet.iterdir())
    ):
        return None
    root = cwd.resolve()
    for p in paths:
        try:
            p.resolve().relative_to(root)
        except (ValueError, OSError, RuntimeError):
            return None
    return candidate
