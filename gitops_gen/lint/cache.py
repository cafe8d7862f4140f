"""On-disk cache of per-file lint results (phase 1: parse + local rules), for fast re-lints.

Keyed by the file's content hash (BLAKE2b) and its role (resource / partial / kustomization), inside a
directory named by a digest of everything else the result depends on: the tool version, the lint code
itself (size, mtime, ctime and inode of every file of ``gitops_gen``: its code and the bundled
schemas), the Kubernetes version, the validator and the schema/CRD directories' files. A file is
re-hashed only when its size, mtime or inode changed (or its mtime is too recent to be trusted, as git
does).

Each per-file entry is two separately marshalled blobs: a *slim* record (findings and, per object,
only what the finishing step reads: kind, namespace, name, the ignore annotation, position) and the
*full* result (object bodies). Layout: ``index.marshal`` (file stats, every slim record, where each
full record lies in the bodies file, the phase-2 partitions), ``bodies-*.bin`` (the full records,
end to end) and ``journal.marshal`` (one record appended per run with only what changed, full
records inline), so a re-lint after a one-file change writes a few KB. Index and bodies are rewritten
together now and then (compaction: a new bodies file, then the index that names it). A warm re-lint
reads the index (slim records only: ~1/10 of the bytes), unmarshals the slim records, and reads from
the bodies file only the full records of the files whose namespaces must be re-checked.
Besides files, the cache holds the cross-object (phase 2) findings per partition (see
:mod:`gitops_gen.lint.run`), keyed by the digest of the files that make up the partition.
Anything unreadable (another version, a torn write) is dropped: a cache can only make a run faster,
never different — a test checks that results are identical with and without it.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import stat
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from gitops_gen import __version__
from gitops_gen.digest import blake2b
from gitops_gen.yamlio import DEFAULT_LIMITS

if TYPE_CHECKING:  # render imports this module for default_root (lint's model is not needed there)
    from gitops_gen.lint.model import LintOptions
    from gitops_gen.paths import Walk

FORMAT = 5  # 5: sealed records (length + checksum), ctime in file stats, no Secret bodies
RACY_NS = 2_000_000_000  # mtimes this close to "now" may hide a same-second edit: always re-hash


def _walk_files(paths: list[Path], suffixes: tuple[str, ...] = ()) -> list[str]:
    out: list[str] = []
    for root in paths:
        if root.is_file():
            out.append(str(root))
            continue
        for dirpath, _dirs, files in os.walk(root):
            out.extend(os.path.join(dirpath, n) for n in files if not suffixes or n.endswith(suffixes))
    return sorted(out)


def _fingerprint_content(paths: list[Path], suffixes: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(path, content hash) of every file: an edit that keeps size and mtime (``cp -p``,
    ``rsync -a``, ``tar x``) still changes it."""
    out = []
    for p in _walk_files(paths, suffixes):
        h = blake2b(digest_size=16)
        try:
            with open(p, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
        except OSError:
            continue
        out.append((p, h.hexdigest()))
    return out


@functools.cache
def code_stats() -> tuple[tuple[str, int, int, int, int], ...]:
    """:func:`fingerprint_stat` of gitops-gen's own files (its code and bundled schemas), once per
    process: what a cached result or cached spec facts depend on besides their input. Stats, not
    contents: an edit, a reinstall or a copy that keeps size and mtime (``cp -p``, ``tar x``) still
    changes the ctime and usually the inode, and stat costs a fraction of reading every file."""
    root = Path(__file__).resolve().parent.parent
    return tuple(fingerprint_stat([root], (".py", ".so", ".json.gz")))


def fingerprint_stat(
    paths: list[Path], suffixes: tuple[str, ...] = ()
) -> list[tuple[str, int, int, int, int]]:
    """(path, size, mtime, ctime, inode) of every file (ending in one of ``suffixes``, when given): for
    big trees (chart caches, installed code). The ctime and inode change with every write, whatever a
    tool does to the mtime."""
    out = []
    for p in _walk_files(paths, suffixes):
        try:
            st = os.stat(p)
        except OSError:
            continue
        out.append((p, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return out


def _chart_paths(chart_dirs: tuple[str, ...]) -> list[Path]:
    return [
        Path(d.split("=", 1)[1] if "=" in d and not os.path.exists(d) else d).absolute() for d in chart_dirs
    ]


def settings_digest(options: LintOptions) -> str:
    """Everything besides the files themselves that a cached result depends on."""
    parts = [
        FORMAT,
        __version__,
        code_stats(),  # all of gitops_gen (rules read capacity, k8s...) and the bundled schemas
        options.kubernetes_version,
        options.validator,
        _fingerprint_content([Path(p).absolute() for p in options.schema_dirs]),
        _fingerprint_content([Path(p).absolute() for p in options.crd_dirs]),
        repr(
            options.cluster
            and (options.cluster.nodes, options.cluster.distribution, sorted(options.cluster.k3s_disable))
        ),
        repr(options.platform),
        str(options.repo_root),
        repr(options.chart_dirs),
        fingerprint_stat(_chart_paths(options.chart_dirs)),
        # not diff's capacity baseline: only the cross-object capacity rules read it, and a cluster's
        # stored findings are keyed by it (lint.run._cluster_key); a file's phase-1 record is the same
        # for both sides of a diff, which then share one directory
    ]
    return blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def directories_digest(root: Path | None) -> str:
    """The directories that exist under ``root`` (the repository being linted): a Flux
    Kustomization's ``spec.path`` is checked against them, so creating or deleting one changes the
    cross-object results although no linted file changed."""
    return walk_digests(root, files=False)[1] if root is not None else ""


def tree_digest(root: Path) -> str:
    """Every directory and file name under ``root`` (``.git`` skipped): what a build may find by
    listing directories (the kustomization Flux generates lists every YAML file of its path)."""
    return walk_digests(root)[0]


def walk_digests(root: Path, files: bool = True, walk: Walk | None = None) -> tuple[str, str]:
    """:func:`tree_digest` (``""`` unless ``files``) and :func:`directories_digest` of ``root``, from one
    walk (``walk``: ``os.walk``'s, or a :class:`~gitops_gen.paths.KnownTree`'s)."""
    tree, dirs = blake2b(digest_size=16), blake2b(digest_size=16)
    for dirpath, subdirs, names in (walk or os.walk)(str(root)):
        subdirs[:] = sorted(d for d in subdirs if d != ".git")
        name = os.fsencode(dirpath)
        if files:
            tree.update(name + b"\0" + b"\1".join(os.fsencode(f) for f in sorted(names)) + b"\0")
        dirs.update(name + b"\0")
    return tree.hexdigest() if files else "", dirs.hexdigest()


_MAGIC = b"GGLC\x00\x05\r\n"
_SUM = 16  # bytes of the BLAKE2b checksum in front of every stored record


def _sum(data: bytes) -> bytes:
    return blake2b(data, digest_size=_SUM).digest()


def _seal(payload: bytes) -> bytes:
    """``length + checksum + payload``: a torn or altered record is recognised before it is read."""
    return len(payload).to_bytes(8, "little") + _sum(payload) + payload


def _unseal(data: bytes, offset: int = 0) -> tuple[bytes, int] | None:
    """The payload sealed at ``offset`` and the offset after it, or None (torn, altered, foreign)."""
    head = data[offset : offset + 8 + _SUM]
    if len(head) < 8 + _SUM:
        return None
    n = int.from_bytes(head[:8], "little")
    start = offset + 8 + _SUM
    payload = data[start : start + n]
    if len(payload) != n or _sum(payload) != head[8:]:
        return None
    return payload, start + n


def _private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) readable by the user only; tighten it if it exists."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.stat(path)
    if stat.S_IMODE(st.st_mode) & 0o077 and st.st_uid == os.getuid():
        os.chmod(path, 0o700)


def _write_private(path: Path, data: bytes, *, append: bool = False) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def keep_newest(files: list[Path], keep: int) -> None:
    """Remove all but the ``keep`` most recently written of ``files``: records that a later version of
    their input (specs changed, gitops-gen upgraded) replaced and nothing reads again."""
    for old in sorted(files, key=lambda p: p.stat().st_mtime_ns)[:-keep]:
        old.unlink(missing_ok=True)


def _holds_secret_payload(result: Any) -> bool:
    """Does a file's phase-1 result hold a Secret's data or a credential the ``secrets`` rule
    found? Then its object bodies are not stored (the slim record, without bodies, is)."""
    try:
        objects, findings, _counted = result
        for o in objects:
            body = o[0]
            if body.get("kind") == "Secret" and (body.get("data") or body.get("stringData")):
                return True
        return any(f[0] == "secrets" for f in findings)
    except (TypeError, ValueError, IndexError, AttributeError, KeyError):
        return True  # an unexpected shape: do not store what we cannot judge


_NOT_STORED = b""  # the full record of a file holding secrets: parsed again when needed


def default_root() -> Path | None:
    """The lint cache of a run without ``--cache-dir``: the user's cache directory, None when
    ``GITOPS_GEN_NO_CACHE`` is set."""
    if os.environ.get("GITOPS_GEN_NO_CACHE"):
        return None
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("gitops-gen")) / "lint"


class ResultCache:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.stat: dict[str, tuple[int, int, int, int, str, bool]] = {}
        # key -> (slim blob, full blob or its (offset, length, checksum) in the bodies file)
        self.entries: dict[str, tuple[bytes, bytes | tuple[int, int, bytes]]] = {}
        self.parts: dict[str, bytes] = {}
        self.new_stat: dict[str, tuple[int, int, int, int, str, bool]] = {}
        self.new_entries: dict[str, tuple[bytes, bytes]] = {}
        self.new_parts: dict[str, bytes] = {}
        self.used_parts: set[str] = set()
        self.journal_bytes = 0
        self.index_bytes = 0
        self.bodies: BinaryIO | None = None  # opened at load: a compaction elsewhere may unlink it
        self.bodies_name = ""
        self.disabled = False
        #: the text of files the caller wrote, by real path (as written, UTF-8): such a file's key is the
        #: hash of that text, with no stat and no read (``diff`` rewrites its trees on every run, so their
        #: stat never matches a recorded one, and reading them back would only give that text again)
        self.written: Mapping[str, str] = {}
        self._written_keys: dict[str, tuple[str, bytes]] = {}  # of those texts (a file is keyed 2-3 times)
        self._walks: dict[str, tuple[str, str]] = {}  # walk_digests by root, once per run
        self.walk: Walk | None = None  # how a tree is walked (None: os.walk)

    @classmethod
    def open(
        cls,
        root: Path,
        options: LintOptions,
        written: Mapping[str, str] | None = None,
        walk: Walk | None = None,
    ) -> ResultCache | None:
        """The cache of ``options`` below ``root``; ``written``: :attr:`written`; ``walk``: how the
        trees it digests are walked (``os.walk``'s when None)."""
        try:
            _private_dir(Path(root))
            directory = Path(root) / settings_digest(options)
            cache = cls(directory)
            cache._load()
            cache.written = written or {}
            cache.walk = walk
            return cache
        except OSError:
            return None

    def _load(self) -> None:
        index = self.dir / "index.marshal"
        journal = self.dir / "journal.marshal"
        try:
            try:
                with open(index, "rb") as fh:
                    data = fh.read()
            except FileNotFoundError:
                data = b""
            if data:
                sealed = _unseal(data, len(_MAGIC)) if data.startswith(_MAGIC) else None
                if sealed is None:
                    raise ValueError("torn or foreign index")
                self.index_bytes = len(data)
                self.stat, self.entries, self.parts, self.bodies_name = marshal.loads(sealed[0])
                try:  # kept open: a compaction by a concurrent run may unlink it
                    self.bodies = open(self.dir / self.bodies_name, "rb")  # noqa: SIM115
                except OSError:  # already gone: slim records still serve, full ones are parsed again
                    self.bodies = None
            try:
                with open(journal, "rb") as fh:
                    jdata = fh.read()
            except FileNotFoundError:
                jdata = b""
            offset = 0
            while offset < len(jdata):
                rec = _unseal(jdata, offset)
                if rec is None:  # a torn tail (killed while appending): what came before stands
                    break
                stat_, entries, parts = marshal.loads(rec[0])
                self.stat.update(stat_)
                self.entries.update(entries)
                self.parts.update(parts)
                offset = rec[1]
            self.journal_bytes = offset
        except Exception:  # torn, altered or foreign, whatever the error: start afresh (a miss)
            self.stat, self.entries, self.parts = {}, {}, {}
            self.bodies = None
            self.journal_bytes = self.index_bytes = 0
            for p in (index, journal):
                with contextlib.suppress(OSError):
                    p.unlink()

    def key_for(self, path: str, role: str) -> str | None:
        """Cache key of ``path`` (content hash + role), or None when the file cannot be read."""
        key, _data = self.key_and_bytes(path, role)
        return key

    def key_and_bytes(self, path: str, role: str) -> tuple[str | None, bytes | None]:
        """Cache key of ``path``, and its bytes when they had to be read to hash them (else None).

        The content hash is reused without reading the file only when size, mtime, ctime and inode
        all match (ctime: an edit that restores size and mtime, ``cp -p``, still changes it)."""
        hashed = self._written_keys.get(path) if self.written else None  # as given: no abspath
        if hashed is not None:
            return f"{hashed[0]}:{role}", hashed[1]
        absp = os.path.abspath(path)
        text = self.written.get(absp) if self.written else None
        if text is not None:
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError:  # not what was written: read it
                pass
            else:
                if len(data) <= DEFAULT_LIMITS.max_file_bytes:
                    digest = blake2b(data, digest_size=16).hexdigest()
                    self._written_keys[absp] = self._written_keys[path] = (digest, data)
                    return f"{digest}:{role}", data
        try:
            st = os.stat(absp)
        except OSError:
            return None, None
        if not stat.S_ISREG(st.st_mode) or st.st_size > DEFAULT_LIMITS.max_file_bytes:
            return None, None  # FIFO, /dev/zero (would block or never end), over-size: not cached, not read
        known = self.stat.get(absp)
        if (
            known is not None
            and known[5]
            and known[:4] == (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        ):
            return f"{known[4]}:{role}", None
        try:
            with open(absp, "rb") as fh:
                data = fh.read()
        except OSError:
            return None, None
        digest = blake2b(data, digest_size=16).hexdigest()
        self._stat_seen(absp, st, digest)
        return f"{digest}:{role}", data

    def _stat_seen(self, absp: str, st: os.stat_result, digest: str) -> None:
        """Record that the file ``absp`` with stat ``st`` holds the content ``digest``."""
        now = time.time_ns()
        trusted = now - st.st_mtime_ns > RACY_NS and now - st.st_ctime_ns > RACY_NS
        entry = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, digest, trusted)
        if self.stat.get(absp) != entry:
            self.stat[absp] = entry
            self.new_stat[absp] = entry

    def directories_digest(self, root: Path | None) -> str:
        """:func:`directories_digest` of ``root``, once per run (the cache is opened for one run, in
        which the tree does not change)."""
        if root is None:
            return ""
        return self._walk(root)[1]

    def tree_digest(self, root: Path) -> str:
        """:func:`tree_digest` of ``root``, once per run (from the same walk as its directories')."""
        return self._walk(root)[0]

    def _walk(self, root: Path) -> tuple[str, str]:
        name = str(root)
        got = self._walks.get(name)
        if got is None:
            got = self._walks[name] = walk_digests(root, walk=self.walk)
        return got

    def has(self, key: str) -> bool:
        return key in self.entries

    def get_slim(self, key: str) -> Any:
        """The slim record of a file (see :func:`gitops_gen.lint.run.slim`), or None."""
        e = self.entries.get(key)
        if e is None:
            return None
        try:
            return marshal.loads(e[0])
        except Exception:
            return None

    def _full_blob(self, ref: bytes | tuple[int, int, bytes]) -> bytes | None:
        if isinstance(ref, bytes):
            return ref or None  # _NOT_STORED
        if self.bodies is None:
            return None
        try:
            offset, length, checksum = ref
            self.bodies.seek(offset)
            blob = self.bodies.read(length)
        except (OSError, ValueError, TypeError, OverflowError):
            return None
        return blob if len(blob) == length and _sum(blob) == checksum else None

    def get(self, key: str) -> Any:
        """The full phase-1 result of a file, or None (unknown, not stored, or unreadable)."""
        e = self.entries.get(key)
        blob = None if e is None else self._full_blob(e[1])
        if blob is None:
            return None
        try:
            return marshal.loads(blob)
        except Exception:
            return None

    def put(self, key: str, slim_record: Any, result: Any) -> None:
        full = _NOT_STORED if _holds_secret_payload(result) else marshal.dumps(result)
        e = (marshal.dumps(slim_record), full)
        self.entries[key] = e
        self.new_entries[key] = e

    def get_part(self, key: str) -> Any:
        """Cached phase-2 findings of a partition, or None."""
        blob = self.parts.get(key)
        if blob is None:
            return None
        try:
            found = marshal.loads(blob)
        except Exception:
            return None
        self.used_parts.add(key)
        return found

    def put_part(self, key: str, findings: Any) -> None:
        blob = marshal.dumps(findings)
        self.used_parts.add(key)
        if self.parts.get(key) != blob:
            self.parts[key] = blob
            self.new_parts[key] = blob

    def save(self) -> None:
        if not self.new_stat and not self.new_entries and not self.new_parts:
            return
        try:
            _private_dir(self.dir)
            record = _seal(marshal.dumps((self.new_stat, self.new_entries, self.new_parts)))
            if self.journal_bytes + len(record) > max(self.index_bytes, 1_000_000):
                self._compact()
            else:
                _write_private(self.dir / "journal.marshal", record, append=True)
            self.new_stat, self.new_entries, self.new_parts = {}, {}, {}
        except (OSError, ValueError):
            pass  # a cache that cannot be written is no cache; the run's results are unaffected

    def close(self) -> None:
        if self.bodies is not None:
            self.bodies.close()
            self.bodies = None

    def _compact(self) -> None:
        """Rewrite everything: the bodies (full records) to a new file, then the index naming it.
        Entries of files that no longer exist go (with them, whatever they held)."""
        live = {f"{v[4]}:" for p, v in self.stat.items() if os.path.exists(p)}
        live.update(f"{digest}:" for digest, _data in self._written_keys.values())  # the caller's files
        self.stat = {p: v for p, v in self.stat.items() if f"{v[4]}:" in live}
        entries: dict[str, tuple[bytes, bytes | tuple[int, int, bytes]]] = {}
        name = f"bodies-{os.getpid()}-{time.time_ns()}.bin"
        tmp = self.dir / f"{name}.tmp"
        offset = 0
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as out:
            for k, (slim_blob, ref) in self.entries.items():
                if k[: k.index(":") + 1] not in live:
                    continue
                blob = self._full_blob(ref)
                if blob is None:
                    entries[k] = (slim_blob, _NOT_STORED)
                    continue
                out.write(blob)
                entries[k] = (slim_blob, (offset, len(blob), _sum(blob)))
                offset += len(blob)
        os.replace(tmp, self.dir / name)
        parts = {k: v for k, v in self.parts.items() if k in self.used_parts}
        index = _MAGIC + _seal(marshal.dumps((self.stat, entries, parts, name)))
        tmp = self.dir / f"index.{os.getpid()}.tmp"
        _write_private(tmp, index)
        os.replace(tmp, self.dir / "index.marshal")
        with contextlib.suppress(OSError):
            (self.dir / "journal.marshal").unlink()
        for old in self.dir.glob("bodies-*.bin"):
            if old.name != name:
                with contextlib.suppress(OSError):
                    old.unlink()
