"""Where the rendered tree sits in the git repository Flux syncs.

Flux resolves a Kustomization's ``spec.path`` from the root of the git repository. When ``--out``
lives inside a git work tree (``output/`` in this repository), every path carries the directory of
``--out`` relative to the work tree's root: ``./output/clusters/vps``. Rules, in order:

1. ``spec.git.path`` in the platform spec, when set (e.g. ``.`` when ``--out`` is pushed as a
   repository of its own, or a path in another repository);
2. otherwise the directory of ``--out`` relative to the nearest enclosing git work tree (found by
   looking for ``.git`` upwards, without running git);
3. otherwise (``--out`` is not in a git work tree) the tree is assumed to be the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

from gitops_gen.paths import git_root


def derive_prefix(out_dir: Path) -> str:
    """The posix path of ``out_dir`` inside its git work tree ('' when it is the root or no repo)."""
    out_abs = Path(os.path.abspath(out_dir))
    root = git_root(out_abs)
    if root is None:
        return ""
    # compare real paths so that a symlinked checkout gives the same answer
    try:
        rel = Path(os.path.realpath(out_abs)).relative_to(os.path.realpath(root))
    except ValueError:
        rel = out_abs.relative_to(root)
    text = rel.as_posix()
    return "" if text == "." else text
