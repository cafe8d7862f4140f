"""`KnownTree` walks a tree written in full (diff's scratch trees) as `os.walk` walks the disk, and the
walkers that take it (discover, the cache's tree digests, the cluster entries) find the same (issue 15)."""

from __future__ import annotations

import os
from pathlib import Path

from gitops_gen.cluster.view import find_entries
from gitops_gen.k8s.loader import discover_names
from gitops_gen.lint.cache import walk_digests
from gitops_gen.paths import KnownTree


def _tree(tmp_path: Path) -> tuple[Path, list[str]]:
    root = tmp_path / "repo"
    files = [
        "clusters/dev/flux-system/gotk-sync.yaml",
        "clusters/dev/flux-system/kustomization.yaml",
        "clusters/dev/apps.yaml",
        "apps/base/web/deploy.yaml",
        "apps/base/web/.hidden.yaml",
        "apps/base/web/notes.txt",
        "apps/.cache/x.yaml",
        "apps/dev/kustomization.yaml",
        "README.md",
    ]
    for rel in files:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", encoding="utf-8")
    (root / "empty" / "deeper").mkdir(parents=True)
    real = os.path.realpath(root)
    return root, [os.path.join(real, *rel.split("/")) for rel in files]


def _walked(walk: object, top: str) -> list[tuple[str, list[str], list[str]]]:
    assert callable(walk)
    return sorted((d, sorted(s), sorted(n)) for d, s, n in walk(top))


def test_it_walks_as_os_walk_the_disk(tmp_path: Path) -> None:
    root, files = _tree(tmp_path)
    real = os.path.realpath(root)
    known = KnownTree(real, files, [os.path.join(real, "empty", "deeper")])
    for top in (str(root), str(root / "apps"), str(root / "clusters" / "dev"), str(root / "empty")):
        assert _walked(known.walk, top) == _walked(os.walk, top)
    # a path below the root that is no directory of the tree (missing, or a file): nothing, as os.walk
    assert list(known.walk(str(root / "nowhere"))) == list(os.walk(root / "nowhere")) == []
    assert list(known.walk(str(root / "README.md"))) == []
    # reached through a link (a temporary directory below a linked /tmp): named as reached
    link = tmp_path / "link"
    link.symlink_to(root, target_is_directory=True)
    assert _walked(known.walk, str(link / "apps")) == _walked(os.walk, str(link / "apps"))
    # outside the root: the disk's
    outside = tmp_path / "elsewhere"
    (outside / "a").mkdir(parents=True)
    assert _walked(known.walk, str(outside)) == _walked(os.walk, str(outside))


def test_pruning_in_place_is_obeyed(tmp_path: Path) -> None:
    root, files = _tree(tmp_path)
    known = KnownTree(os.path.realpath(root), files)
    seen = []
    for dirpath, dirs, _names in known.walk(str(root)):
        dirs[:] = [d for d in dirs if d != "apps"]
        seen.append(os.path.relpath(dirpath, root))
    assert "apps" not in seen and not any(s.startswith("apps/") for s in seen)
    assert "clusters/dev/flux-system" in seen


def test_the_walkers_find_the_same_from_the_list(tmp_path: Path) -> None:
    root, files = _tree(tmp_path)
    known = KnownTree(
        os.path.realpath(root), files, [os.path.join(os.path.realpath(root), "empty", "deeper")]
    )
    assert discover_names([root], ["apps/dev/*"], known.walk) == discover_names([root], ["apps/dev/*"])
    assert walk_digests(root, walk=known.walk) == walk_digests(root)
    assert find_entries(str(root), known.walk) == find_entries(str(root))
    assert find_entries(str(root)), "the fixture has a Flux entry point"


def test_a_file_left_out_of_the_list_changes_the_digest(tmp_path: Path) -> None:
    """The digests are keys of cached results: a list that differs from the disk must not pass for it."""
    root, files = _tree(tmp_path)
    partial = KnownTree(
        os.path.realpath(root), files[1:], [os.path.join(os.path.realpath(root), "empty", "deeper")]
    )
    assert walk_digests(root, walk=partial.walk)[0] != walk_digests(root)[0]


def test_walk_once_lists_the_disk_once_and_replays_it(tmp_path: Path) -> None:
    """Lint's discovery and its search for entry points share one listing of the linted directory."""
    from gitops_gen.paths import WalkOnce

    root, _files = _tree(tmp_path)
    once = WalkOnce()

    def visible(walk: object, top: str) -> list[tuple[str, list[str], list[str]]]:
        assert callable(walk)
        out = []
        for d, subdirs, names in walk(top):
            subdirs[:] = [s for s in subdirs if not s.startswith(".")]
            out.append((d, sorted(subdirs), sorted(names)))
        return sorted(out)

    first = visible(once.walk, str(root))
    assert first == visible(os.walk, str(root))
    assert not any("/." in d for d, _s, _n in first)  # hidden directories left out
    (root / "apps" / "dev" / "kustomization.yaml").unlink()  # the disk changes: the replay does not
    assert visible(once.walk, str(root)) == first
    assert discover_names([root], [], once.walk) != discover_names([root], [])
    assert find_entries(str(root), once.walk) == find_entries(str(root))
    assert list(once.walk(str(tmp_path / "missing"))) == []
