"""Write a rendered tree safely, or check it (``--check``).

:func:`write_tree` never leaves a mix of old and new files in ``--out``:

1. take a lock (``.<out>.gitops-gen.lock`` beside ``--out``; ``flock``, so a killed render never
   leaves a stale lock): a second render at the same time is refused with a clear message;
2. recover from a render that was killed earlier (remove its temporary directories; if it died
   between the two renames of the fallback swap, put the old tree back);
3. scan ``--out`` without following symlinks: a file whose first line is the gitops-gen header is
   ours; anything else (hand-written files, symlinks, other file types) is carried over untouched.
   A hand-written file where we want to write is an error, never overwritten;
4. build the complete new tree in a temporary sibling directory (same file system): generated files
   are written (or hard-linked from the old tree when unchanged, keeping their timestamps), carried
   over files are hard-linked (copied where links are not possible), symlinks are recreated as
   symlinks (their targets are never read or written);
5. swap it in: ``renameat2(RENAME_EXCHANGE)`` on Linux (one atomic step), else two renames with
   crash recovery in step 2; then delete the old tree. Stale generated files simply are not in the
   new tree.

An exception or a kill at any point before the swap leaves ``--out`` byte-identical.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from gitops_gen.errors import Location, Problem, UserError
from gitops_gen.render.engine import HEADER_PREFIX

_HEADER_BYTES = HEADER_PREFIX.encode("utf-8")
TMP_MARK = ".gitops-gen-tmp-"
OLD_MARK = ".gitops-gen-old-"
LOCK_SUFFIX = ".gitops-gen.lock"


@dataclass
class Entry:
    """Something found in the existing ``--out``."""

    rel: str  # posix path relative to --out
    kind: str  # "generated" | "file" (hand-written) | "symlink" | "other" | "dir"


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)  # new or changed generated files
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # stale generated files
    carried: list[str] = field(default_factory=list)  # hand-written files and symlinks kept

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


@dataclass
class CheckReport:
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


# ------------------------------------------------------------------------------------- scanning


def is_generated(path: Path | str) -> bool:
    """True when the regular file at ``path`` starts with the gitops-gen header (no symlink follow)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        return os.read(fd, len(_HEADER_BYTES)) == _HEADER_BYTES
    finally:
        os.close(fd)


def scan(out: Path) -> dict[str, Entry]:
    """Everything below ``out``, without following symlinks (directories included, as kind 'dir')."""
    entries: dict[str, Entry] = {}
    if not os.path.lexists(out):
        return entries

    def walk(directory: Path, prefix: str) -> None:
        try:
            with os.scandir(directory) as it:
                items = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            raise UserError.at(
                str(directory), f"cannot read directory: {exc.strerror or exc}", hint="check its permissions"
            ) from None
        for item in items:
            rel = f"{prefix}{item.name}"
            if item.is_symlink():
                entries[rel] = Entry(rel, "symlink")
            elif item.is_dir(follow_symlinks=False):
                entries[rel] = Entry(rel, "dir")
                walk(Path(item.path), rel + "/")
            elif item.is_file(follow_symlinks=False):
                entries[rel] = Entry(rel, "generated" if is_generated(item.path) else "file")
            else:
                entries[rel] = Entry(rel, "other")

    walk(out, "")
    return entries


def _read(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------- check


def check_tree(out: Path, files: dict[str, str]) -> CheckReport:
    """Compare ``files`` with ``out`` without writing anything."""
    report = CheckReport()
    entries = scan(out) if out.is_dir() and not out.is_symlink() else {}
    for rel, text in sorted(files.items()):
        entry = entries.get(rel)
        if entry is None or entry.kind != "generated":
            if entry is not None and entry.kind != "dir":
                report.stale.append(rel)  # something else is where a generated file belongs
            else:
                report.missing.append(rel)
            continue
        if _read(out / rel) != text.encode("utf-8"):
            report.stale.append(rel)
    for rel, entry in entries.items():
        if entry.kind == "generated" and rel not in files:
            report.extra.append(rel)
    report.extra.sort()
    return report


# ---------------------------------------------------------------------------------------- write


def _conflicts(entries: dict[str, Entry], files: dict[str, str]) -> list[str]:
    """Paths where writing ``files`` would overwrite or hide something that is not ours."""
    problems: list[str] = []
    needed_dirs: set[str] = set()
    for rel in files:
        parts = PurePosixPath(rel).parts
        for i in range(1, len(parts)):
            needed_dirs.add("/".join(parts[:i]))
    for rel in files:
        entry = entries.get(rel)
        if entry is not None and entry.kind in ("file", "symlink", "other", "dir"):
            what = {
                "file": "a file gitops-gen did not generate (no header)",
                "symlink": "a symlink",
                "other": "a special file",
                "dir": "a directory",
            }[entry.kind]
            problems.append(f"{rel}: {what} is where gitops-gen writes a generated file")
    for d in sorted(needed_dirs):
        entry = entries.get(d)
        if entry is not None and entry.kind != "dir":
            what = "a symlink" if entry.kind == "symlink" else "a file"
            problems.append(f"{d}: {what} is where gitops-gen needs a directory")
    return problems


@contextlib.contextmanager
def render_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock for rendering into ``out``; refuse (exit 2) if another render holds it."""
    lock_path = out.parent / f".{out.name}{LOCK_SUFFIX}"
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX: exclusive create instead of flock
        fcntl = None  # type: ignore[assignment]
    while True:
        try:
            fd = os.open(
                lock_path,
                os.O_RDWR | os.O_CREAT | (os.O_EXCL if fcntl is None else 0) | getattr(os, "O_NOFOLLOW", 0),
                0o644,
            )
        except FileExistsError:
            raise _locked(out, lock_path) from None
        except OSError as exc:
            raise UserError.at(
                str(out.parent),
                f"cannot create the render lock {lock_path.name}: {exc.strerror or exc}",
                hint="make the directory writable",
            ) from None
        if fcntl is None:
            break
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise _locked(out, lock_path) from None
            raise
        # the previous holder may have unlinked the file between our open and our flock
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock_path, follow_symlinks=False))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock_path)
        os.close(fd)


def _locked(out: Path, lock_path: Path) -> UserError:
    return UserError.at(
        str(out),
        "another `gitops-gen render` is writing this directory right now",
        hint=f"wait for it to finish and run again (lock: {lock_path})",
    )


def _recover(out: Path) -> None:
    """Clean up after a render that was killed: temp trees go, an orphaned old tree comes back."""
    parent = out.parent
    if not parent.is_dir():
        return
    prefix_tmp = f".{out.name}{TMP_MARK}"
    prefix_old = f".{out.name}{OLD_MARK}"
    olds: list[Path] = []
    for item in sorted(parent.iterdir()):
        if item.name.startswith(prefix_tmp):
            _remove_tree(item)
        elif item.name.startswith(prefix_old):
            olds.append(item)
    for old in olds:
        if not os.path.lexists(out):
            os.rename(old, out)  # died between the two renames of the fallback swap
        else:
            _remove_tree(old)


def _remove_tree(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    shutil.rmtree(path, ignore_errors=True)


def _write_file(path: Path, data: bytes) -> None:
    """Create ``path`` (a new file in the temporary tree) with ``data``. Tests patch this to inject
    failures after N files."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    finally:
        os.close(fd)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False when unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap(tmp: Path, out: Path) -> None:
    """Make ``tmp`` the new ``out``; the previous ``out`` is deleted afterwards."""
    if not os.path.lexists(out):
        os.rename(tmp, out)
        return
    if _exchange(tmp, out):
        _remove_tree(tmp)  # tmp now holds the old tree
        return
    old = out.parent / f".{out.name}{OLD_MARK}{os.getpid()}"
    os.rename(out, old)
    os.rename(tmp, out)  # a crash between these two renames is repaired by _recover()
    _remove_tree(old)


def write_tree(out: Path, files: dict[str, str]) -> WriteReport:
    """Replace the generated files under ``out`` with ``files``, atomically (see module doc)."""
    out = Path(os.path.abspath(out))
    if out.parent == out:  # "/" would be scanned (and hard-linked) whole before the swap fails
        raise UserError.at(
            str(out), "--out is the file-system root", hint="render into a directory such as output/"
        )
    if out.is_symlink():
        raise UserError.at(
            str(out),
            "--out is a symlink; gitops-gen does not write through symlinks",
            hint="pass the directory it points to",
        )
    if os.path.lexists(out) and not out.is_dir():
        raise UserError.at(str(out), "--out exists and is not a directory", hint="pass a directory")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError.at(
            str(out.parent),
            f"cannot create directory: {exc.strerror or exc}",
            hint="check the path and its permissions",
        ) from None
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise UserError.at(
            str(out.parent),
            "directory is not writable",
            hint="gitops-gen writes a temporary tree beside --out and swaps it in",
        )
    with render_lock(out):
        _recover(out)
        entries = scan(out)
        conflicts = _conflicts(entries, files)
        if conflicts:
            raise UserError(
                [
                    Problem(
                        Location(str(out / c.split(":", 1)[0])),
                        c.split(": ", 1)[1],
                        hint="move it away (or delete it) and render again",
                    )
                    for c in conflicts
                ]
            )
        report = WriteReport()
        for rel, entry in entries.items():
            if entry.kind == "generated" and rel not in files:
                report.removed.append(rel)
            elif entry.kind in ("file", "symlink", "other"):
                report.carried.append(rel)
        encoded = {rel: text.encode("utf-8") for rel, text in files.items()}
        for rel, data in encoded.items():
            if rel in entries and _read(out / rel) == data:
                report.unchanged.append(rel)
            else:
                report.written.append(rel)
        if not report.changed and os.path.isdir(out):
            return report  # up to date: touch nothing
        tmp = out.parent / f".{out.name}{TMP_MARK}{os.getpid()}"
        try:
            _build(tmp, out, entries, encoded, set(report.unchanged))
            _swap(tmp, out)
        except OSError as exc:
            _remove_tree(tmp)
            raise UserError.at(
                str(out),
                f"cannot write the rendered tree: {exc.strerror or exc}",
                hint="the previous output is unchanged; fix the cause and render again",
            ) from None
        except BaseException:
            _remove_tree(tmp)
            raise
        return report


def _build(
    tmp: Path, out: Path, entries: dict[str, Entry], encoded: dict[str, bytes], unchanged: set[str]
) -> None:
    tmp.mkdir(mode=0o755)
    if out.is_dir():
        with contextlib.suppress(OSError):
            os.chmod(tmp, stat.S_IMODE(os.stat(out).st_mode))
    # carried-over entries first, directories before their contents (entries are sorted)
    for rel, entry in entries.items():
        src, dst = out / rel, tmp / rel
        if entry.kind == "dir":
            dst.mkdir(exist_ok=True)
            with contextlib.suppress(OSError):
                os.chmod(dst, stat.S_IMODE(os.lstat(src).st_mode))
        elif entry.kind == "symlink":
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.readlink(src), dst)
        elif entry.kind == "file":
            dst.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(src, dst)
        elif entry.kind == "other":  # FIFO, socket, device: never read it, link the inode itself
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.link(src, dst, follow_symlinks=False)
    for rel, data in encoded.items():
        dst = tmp / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if rel in unchanged:
            _link_or_copy(out / rel, dst)
        else:
            _write_file(dst, data)
    # drop directories that only held stale generated files (an empty directory stays empty)
    had_content = {rel.rsplit("/", 1)[0] for rel in entries if "/" in rel}
    for rel in sorted(
        (r for r, e in entries.items() if e.kind == "dir" and r in had_content),
        key=lambda r: r.count("/"),
        reverse=True,
    ):
        with contextlib.suppress(OSError):
            (tmp / rel).rmdir()  # fails (kept) unless empty
