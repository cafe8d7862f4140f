"""Paths as gitops-gen shows and finds them: one ``display_path`` and one ``git_root`` for every command,
and :class:`KnownTree`, a tree walked without listing its directories."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

#: ``os.walk`` as the walkers of a tree call it: ``walk(top)`` -> (dirpath, dirnames, filenames), top-down;
#: a caller may prune ``dirnames`` in place
Walk = Callable[[str], Iterator[tuple[str, list[str], list[str]]]]
#: a directory -> (its subdirectories, its files), for every directory of a tree
Listing = dict[str, tuple[list[str], list[str]]]


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


class KnownTree:
    """The files below ``root`` when the caller wrote all of them and nothing else is there (``diff``'s
    scratch trees): :meth:`walk` walks it as ``os.walk`` would, from the list instead of the disk (a
    1,000-app tree: ~2 ms instead of ~30, and each side of a diff walks it three times).

    ``root`` and ``files`` are real, absolute, normalised paths (``os.path.realpath``); ``dirs``:
    directories that exist below ``root`` without a file (an empty tree). A walk of a directory outside ``root`` is
    ``os.walk``'s; one of a path below ``root`` that is no directory of the tree yields nothing, as
    ``os.walk`` of a missing directory or of a file does."""

    def __init__(self, root: str, files: Iterable[str], dirs: Iterable[str] = ()) -> None:
        self.root = os.path.normpath(root)
        self._below = self.root.rstrip(os.sep) + os.sep
        self._entries: Listing = {self.root: ([], [])}
        for d in dirs:
            self._directory(os.path.normpath(d))
        entries = self._entries
        for f in files:
            head, _sep, name = f.rpartition(os.sep)
            entry = entries.get(head) or self._directory(head)
            if entry is not None:
                entry[1].append(name)
        for subdirs, names in self._entries.values():
            subdirs.sort()
            names.sort()

    def _directory(self, d: str) -> tuple[list[str], list[str]] | None:
        """The entry of ``d``, made with those of its parents up to the root; None outside the root."""
        entry = self._entries.get(d)
        if entry is not None:
            return entry
        if not d.startswith(self._below):
            return None
        parent = self._directory(os.path.dirname(d))
        if parent is None:
            return None
        parent[0].append(os.path.basename(d))
        entry = self._entries[d] = ([], [])
        return entry

    def walk(self, top: str | os.PathLike[str]) -> Iterator[tuple[str, list[str], list[str]]]:
        """``os.walk(top)``, answered from the list below the root."""
        top = os.fspath(top)
        real = os.path.realpath(top)
        inside = real == self.root or real.startswith(self._below)
        if not inside:
            yield from os.walk(top)
            return
        if real in self._entries:
            yield from _replay(self._entries, top, real)


class WalkOnce:
    """``os.walk`` of a directory made once and replayed to the next walker of the same directory
    (lint's discovery of the files and its search for Flux entry points both walk the linted
    directories: a 10,000-file tree is ~20 ms a walk). Hidden directories are left out, as both leave
    them out; ``onerror`` is ``os.walk``'s (a directory that cannot be listed)."""

    def __init__(self, onerror: Callable[[OSError], None] | None = None) -> None:
        self.onerror = onerror
        self._walks: dict[str, Listing] = {}

    def walk(self, top: str | os.PathLike[str]) -> Iterator[tuple[str, list[str], list[str]]]:
        """``os.walk(top)`` without its hidden directories, listed once per ``top``."""
        top = os.fspath(top)
        entries = self._walks.get(top)
        if entries is None:
            entries = self._walks[top] = self._list(top)
        if top in entries:
            yield from _replay(entries, top, top)

    def _list(self, top: str) -> Listing:
        entries: Listing = {}
        for dirpath, dirs, names in os.walk(top, onerror=self.onerror):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            entries[dirpath] = (list(dirs), names)
        return entries


def _replay(entries: Listing, shown: str, key: str) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk`` of the directory ``key`` of ``entries``, top-down, its paths named from ``shown``;
    the caller may prune the subdirectories it is given, as with ``os.walk``."""
    subdirs, names = entries[key]
    dirnames = list(subdirs)
    yield shown, dirnames, list(names)
    for d in dirnames:  # as pruned by the caller
        below = os.path.join(key, d)
        if below in entries:
            yield from _replay(entries, os.path.join(shown, d), below)
