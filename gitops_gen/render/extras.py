"""Hand-written manifests that Flux applies: the ``extras/`` directories of a rendered tree.

gitops-gen renders what the specs model; everything else (SealedSecrets, ExternalSecrets, a
ConfigMap of dashboards...) is written by hand, committed in ``--out`` and kept by every render.
It is applied by Flux only when a ``kustomization.yaml`` lists it, so there are two places whose
files the generated kustomizations list:

``apps/<cluster>/<app>/extras/*.yaml``
    listed in the app's kustomization.yaml right after its Namespace, before its workload (the
    app's pull secret and its SealedSecrets are applied with the app, in its namespace);
``clusters/<cluster>/extras/*.yaml``
    applied by the Flux Kustomization ``infra-extras`` (cluster-wide secrets, e.g. Grafana's admin
    Secret in ``monitoring``). It has no ``dependsOn``: it is retried every minute until the
    namespaces and CRDs it needs exist, so a component waiting for its Secret is not deadlocked
    behind it; ``apps`` depends on it.

:func:`find_extras` reads those directories (a render's only input besides the specs);
:func:`unapplied` lists every other hand-written manifest that no kustomization.yaml reaches, so
``render`` can say that Flux never applies it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from gitops_gen.errors import UserError
from gitops_gen.yamlio import load_positioned, to_plain

if TYPE_CHECKING:
    from gitops_gen.render.writer import Entry

EXTRAS_DIR = "extras"
MANIFEST_SUFFIXES = (".yaml", ".yml")
KUSTOMIZATION = "kustomization.yaml"

Extras = Mapping[str, Sequence[str]]  # "apps/vps/web/extras" -> ("ghcr-creds.yaml",)


def is_extras_dir(rel: str) -> bool:
    """``clusters/<c>/extras`` or ``apps/<c>/<app>/extras`` (posix, relative to ``--out``)."""
    parts = PurePosixPath(rel).parts
    if not parts or parts[-1] != EXTRAS_DIR:
        return False
    return (len(parts) == 3 and parts[0] == "clusters") or (
        len(parts) == 4 and parts[0] == "apps" and parts[1] != "base"
    )


def find_extras(out: Path) -> dict[str, tuple[str, ...]]:
    """The hand-written manifests in the extras directories of ``out`` (sorted file names).

    Reads only ``clusters/*/extras`` and ``apps/*/*/extras`` (never the rest of ``--out``, which
    the writer checks first), without following symlinks."""
    from gitops_gen.render.writer import is_generated

    found: dict[str, tuple[str, ...]] = {}
    for top, depth in (("clusters", 1), ("apps", 2)):
        for rel in _subdirs(out, top, depth):
            directory = f"{rel}/{EXTRAS_DIR}"
            if not is_extras_dir(directory):
                continue
            names = [
                e.name
                for e in _entries(out / directory)
                if e.is_file(follow_symlinks=False)
                and PurePosixPath(e.name).suffix in MANIFEST_SUFFIXES
                and e.name != KUSTOMIZATION
                and not is_generated(e.path)
            ]
            if names:
                found[directory] = tuple(sorted(names))
    return dict(sorted(found.items()))


def _entries(directory: Path) -> list[os.DirEntry[str]]:
    if directory.is_symlink() or not directory.is_dir():
        return []
    try:
        with os.scandir(directory) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def _subdirs(out: Path, top: str, depth: int) -> list[str]:
    level = [top] if not (out / top).is_symlink() and (out / top).is_dir() else []
    for _ in range(depth):
        level = [f"{d}/{e.name}" for d in level for e in _entries(out / d) if e.is_dir(follow_symlinks=False)]
    return level


def unapplied(out: Path, files: Mapping[str, str], entries: Mapping[str, Entry] | None = None) -> list[str]:
    """Hand-written ``*.yaml`` files in ``out`` that no kustomization.yaml reaches from a Flux
    Kustomization path, i.e. that Flux never applies (``files``: the rendered tree; ``entries``: a
    scan of ``out`` as it is now, when the caller has one)."""
    from gitops_gen.render.writer import scan

    if not out.is_dir() or out.is_symlink():
        return []
    if entries is None:
        entries = scan(out)
    hand = sorted(
        rel
        for rel, e in entries.items()
        if e.kind == "file" and PurePosixPath(rel).suffix in MANIFEST_SUFFIXES
    )
    if not hand:
        return []
    reached: set[str] = set()
    roots = sorted({PurePosixPath(rel).parent.as_posix() for rel in files if rel.endswith(KUSTOMIZATION)})
    for root in roots:
        _reach(out, root, files, reached, set())
    return [rel for rel in hand if rel not in reached]


def _reach(out: Path, directory: str, files: Mapping[str, str], reached: set[str], seen: set[str]) -> None:
    if directory in seen:
        return
    seen.add(directory)
    kpath = f"{directory}/{KUSTOMIZATION}" if directory != "." else KUSTOMIZATION
    text = files.get(kpath)
    if text is None:
        try:
            text = (out / kpath).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return
    reached.add(kpath)
    try:
        docs = load_positioned(text, kpath)
    except UserError:
        return
    doc = to_plain(docs[0]) if len(docs) == 1 else None
    if not isinstance(doc, dict):
        return
    for key in ("resources", "components", "patches", "patchesStrategicMerge", "configurations"):
        for item in doc.get(key) or []:
            ref = item.get("path") if isinstance(item, dict) else item
            if not isinstance(ref, str) or "://" in ref:
                continue
            target = os.path.normpath(f"{directory}/{ref}").replace(os.sep, "/")
            if target.startswith(".."):
                continue
            if (out / target).is_dir() or any(f.startswith(target + "/") for f in files):
                _reach(out, target, files, reached, seen)
            else:
                reached.add(target)
