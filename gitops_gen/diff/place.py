"""Where ``diff`` writes the rendered trees: the same place from one diff of a repository to the next.

The lint of each side keys its cached results by the files' paths (findings name them), so trees
written to a new random directory each time never meet their results again. The place is a private
directory named after the user and the repository below the scratch directory
(``gitops-gen-diff-<uid>-<digest of the repository path>``), held under a lock while a diff uses
it. When it cannot be had - another diff of the same repository holds it, something not ours has
its name, no ``flock`` (not POSIX) - a fresh temporary directory is used, as before, and the lint
results are not cached (nothing would find them). Either way the place is emptied and removed at
the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gitops_gen import forked
from gitops_gen.digest import blake2b

__all__ = ["LOCK", "scratch_place"]

LOCK = ".lock"


@contextlib.contextmanager
def scratch_place(base: str | None, repo: Path) -> Iterator[tuple[str, bool]]:
    """A directory for the trees of a diff of ``repo``, below ``base`` (tempfile's default when None):
    (its path, True) when it is the repository's own place (the same for the next diff), else
    (a fresh temporary directory, False). Removed with what was written in it when done."""
    held = _hold(Path(base or tempfile.gettempdir()), repo)
    if held is None:
        with tempfile.TemporaryDirectory(prefix="gitops-gen-diff-", dir=base) as tmp:
            yield tmp, False
        return
    place, fd = held
    try:
        _empty(place)  # a diff that was killed may have left its trees
        yield str(place), True
    finally:
        _empty(place)
        with contextlib.suppress(OSError):
            os.unlink(place / LOCK)  # before the lock is released: a diff waiting on it sees it gone
            os.rmdir(place)
        os.close(fd)


def _hold(base: Path, repo: Path) -> tuple[Path, int] | None:
    """The repository's place, created if needed and locked (its lock file's descriptor), or None."""
    try:
        import fcntl

        uid = os.getuid()
    except (ImportError, AttributeError):  # not POSIX
        return None
    digest = blake2b(os.fsencode(str(repo.resolve())), digest_size=8).hexdigest()
    place = base / f"gitops-gen-diff-{uid}-{digest}"
    try:
        with contextlib.suppress(FileExistsError):
            os.mkdir(place, 0o700)
        st = os.lstat(place)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid or st.st_mode & 0o077:
        return None  # not a directory of this user's alone (a link, another user's): not used
    try:
        fd = os.open(place / LOCK, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another diff of this repository: not waited for
        mine, there = os.fstat(fd), os.stat(place / LOCK, follow_symlinks=False)
        if (mine.st_dev, mine.st_ino) != (there.st_dev, there.st_ino):
            raise OSError("the place was removed by the diff that held it")
    except OSError:
        os.close(fd)
        return None
    return place, fd


def _empty(place: Path) -> None:
    """Remove everything in ``place`` but its lock file."""
    try:
        names = os.listdir(place)
    except OSError:
        return
    remove([place / name for name in names if name != LOCK])


#: a tree with this many entries at one of its first levels is removed by two processes
SPLIT_MIN = 64
_SPLIT_DEPTH = 8


def remove(paths: list[Path]) -> None:
    """Remove ``paths`` (files, links, whole directories). Unlinking is the kernel's time (~20 us a
    file): a large tree (1,000 apps: 7,000 files, ~0.15 s) is split in two, and a forked child removes
    one half while this process removes the other. Whatever is left (a half the child could not do,
    the directories above the halves) is removed here."""
    spread = _spread(paths)
    child = forked.start(lambda: _remove_all(spread[1::2])) if len(spread) >= SPLIT_MIN else None
    _remove_all(spread[::2] if child is not None else spread)
    if child is not None:
        child.result()
    _remove_all(paths)


def _spread(paths: list[Path]) -> list[Path]:
    """``paths`` with their directories replaced by what they hold, level by level, until there are
    :data:`SPLIT_MIN` of them (or the first levels are exhausted): halves of similar size to remove."""
    level = list(paths)
    for _ in range(_SPLIT_DEPTH):
        if len(level) >= SPLIT_MIN:
            break
        deeper: list[Path] = []
        expanded = False
        for p in level:
            if p.is_dir() and not p.is_symlink():
                try:
                    deeper.extend(p / n for n in sorted(os.listdir(p)))
                    expanded = True
                    continue
                except OSError:
                    pass
            deeper.append(p)
        if not expanded:
            break
        level = deeper
    return level


def _remove_all(paths: list[Path]) -> bool:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
    return True
