"""On-disk cache of per-file lint results (phase 1: parse + local rules), for fast re-lints.

Keyed by the file's content hash (BLAKE2b) and its role (resource / partial / kustomization), inside a
directory named by a digest of everything else the result depends on: the tool version, the lint code
itself (sizes and mtimes of ``gitops_gen/lint/**.py`` and the bundled schemas), the Kubernetes version, the validator and the
schema/CRD directories' files. A file is re-hashed only when its size, mtime or inode changed (or its
mtime is too recent to be trusted, as git does).

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
:mod:`gitops_gen.lint.incremental`), keyed by the digest of the files that make up the partition.
Anything unreadable (another version, a torn write) is dropped: a cache can only make a run faster,
never different — a test checks that results are identical with and without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import stat
import time
from pathlib import Path
from typing import Any, BinaryIO

from gitops_gen import __version__
from gitops_gen.lint.model import LintOptions
from gitops_gen.yamlio import DEFAULT_LIMITS

FORMAT = 4  # 4: objects carry their path in the document (List items)
RACY_NS = 2_000_000_000  # mtimes this close to "now" may hide a same-second edit: always re-hash


def _fingerprint_tree(paths: list[Path]) -> list[tuple[str, int, int]]:
    out = []
    for root in paths:
        if root.is_file():
            st = root.stat()
            out.append((str(root), st.st_size, st.st_mtime_ns))
            continue
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                p = os.path.join(dirpath, name)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                out.append((p, st.st_size, st.st_mtime_ns))
    return sorted(out)


def settings_digest(options: LintOptions) -> str:
    code_root = Path(__file__).resolve().parent
    code = _fingerprint_tree([code_root])
    code = [c for c in code if c[0].endswith((".py", ".json.gz"))]  # code and bundled schemas
    parts = [
        FORMAT,
        __version__,
        code,
        options.kubernetes_version,
        options.validator,
        _fingerprint_tree([Path(p).absolute() for p in options.schema_dirs]),
        _fingerprint_tree([Path(p).absolute() for p in options.crd_dirs]),
        repr(options.nodes),
        str(options.repo_root),
        repr(options.chart_dirs),
    ]
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


class ResultCache:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.stat: dict[str, tuple[int, int, int, str, bool]] = {}
        # key -> (slim blob, full blob or its (offset, length) in the bodies file)
        self.entries: dict[str, tuple[bytes, bytes | tuple[int, int]]] = {}
        self.parts: dict[str, bytes] = {}
        self.new_stat: dict[str, tuple[int, int, int, str, bool]] = {}
        self.new_entries: dict[str, tuple[bytes, bytes]] = {}
        self.new_parts: dict[str, bytes] = {}
        self.used_parts: set[str] = set()
        self.journal_bytes = 0
        self.index_bytes = 0
        self.bodies: BinaryIO | None = None  # opened at load: a compaction elsewhere may unlink it
        self.bodies_name = ""
        self.disabled = False

    @classmethod
    def open(cls, root: Path, options: LintOptions) -> ResultCache | None:
        try:
            directory = Path(root) / settings_digest(options)
            cache = cls(directory)
            cache._load()
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
                self.index_bytes = len(data)
                self.stat, self.entries, self.parts, self.bodies_name = marshal.loads(data)
                try:  # kept open: a compaction by a concurrent run may unlink it
                    self.bodies = open(self.dir / self.bodies_name, "rb")  # noqa: SIM115
                except OSError:  # already gone: slim records still serve, full ones are parsed again
                    self.bodies = None
            if journal.is_file():
                with open(journal, "rb") as fh:
                    while True:
                        try:
                            stat, entries, parts = marshal.load(fh)
                        except EOFError:
                            break
                        self.stat.update(stat)
                        self.entries.update(entries)
                        self.parts.update(parts)
                    self.journal_bytes = fh.tell()
        except (ValueError, TypeError, EOFError, OSError):  # torn or foreign: start afresh
            self.stat, self.entries, self.parts = {}, {}, {}
            self.bodies = None
            for p in (index, journal):
                with contextlib.suppress(OSError):
                    p.unlink()

    def key_for(self, path: str, role: str) -> str | None:
        """Cache key of ``path`` (content hash + role), or None when the file cannot be read."""
        key, _data = self.key_and_bytes(path, role)
        return key

    def key_and_bytes(self, path: str, role: str) -> tuple[str | None, bytes | None]:
        """Cache key of ``path``, and its bytes when they had to be read to hash them (else None)."""
        absp = os.path.abspath(path)
        try:
            st = os.stat(absp)
        except OSError:
            return None, None
        if not stat.S_ISREG(st.st_mode) or st.st_size > DEFAULT_LIMITS.max_file_bytes:
            return None, None  # FIFO, /dev/zero (would block or never end), over-size: not cached, not read
        known = self.stat.get(absp)
        if (
            known is not None
            and known[4]
            and known[0] == st.st_size
            and known[1] == st.st_mtime_ns
            and known[2] == st.st_ino
        ):
            return f"{known[3]}:{role}", None
        try:
            with open(absp, "rb") as fh:
                data = fh.read()
        except OSError:
            return None, None
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        trusted = time.time_ns() - st.st_mtime_ns > RACY_NS
        entry = (st.st_size, st.st_mtime_ns, st.st_ino, digest, trusted)
        if known != entry:
            self.stat[absp] = entry
            self.new_stat[absp] = entry
        return f"{digest}:{role}", data

    def has(self, key: str) -> bool:
        return key in self.entries

    def get_slim(self, key: str) -> Any:
        """The slim record of a file (see :func:`gitops_gen.lint.incremental.slim`), or None."""
        e = self.entries.get(key)
        return None if e is None else marshal.loads(e[0])

    def _full_blob(self, ref: bytes | tuple[int, int]) -> bytes | None:
        if isinstance(ref, bytes):
            return ref
        if self.bodies is None:
            return None
        offset, length = ref
        try:
            self.bodies.seek(offset)
            blob = self.bodies.read(length)
        except (OSError, ValueError):
            return None
        return blob if len(blob) == length else None

    def get(self, key: str) -> Any:
        """The full phase-1 result of a file, or None (unknown, or its stored copy is unreadable)."""
        e = self.entries.get(key)
        blob = None if e is None else self._full_blob(e[1])
        if blob is None:
            return None
        try:
            return marshal.loads(blob)
        except (ValueError, TypeError, EOFError):
            return None

    def put(self, key: str, slim_record: Any, result: Any) -> None:
        e = (marshal.dumps(slim_record), marshal.dumps(result))
        self.entries[key] = e
        self.new_entries[key] = e

    def get_part(self, key: str) -> Any:
        """Cached phase-2 findings of a partition, or None."""
        blob = self.parts.get(key)
        if blob is None:
            return None
        self.used_parts.add(key)
        return marshal.loads(blob)

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
            self.dir.mkdir(parents=True, exist_ok=True)
            record = marshal.dumps((self.new_stat, self.new_entries, self.new_parts))
            if self.journal_bytes + len(record) > max(self.index_bytes, 1_000_000):
                self._compact()
            else:
                with open(self.dir / "journal.marshal", "ab") as fh:
                    fh.write(record)
            self.new_stat, self.new_entries, self.new_parts = {}, {}, {}
        except (OSError, ValueError):
            pass  # a cache that cannot be written is no cache; the run's results are unaffected

    def close(self) -> None:
        if self.bodies is not None:
            self.bodies.close()
            self.bodies = None

    def _compact(self) -> None:
        """Rewrite everything: the bodies (full records) to a new file, then the index naming it."""
        live = {f"{v[3]}:" for v in self.stat.values()}
        entries: dict[str, tuple[bytes, int, int]] = {}
        name = f"bodies-{os.getpid()}-{time.time_ns()}.bin"
        tmp = self.dir / f"{name}.tmp"
        offset = 0
        with open(tmp, "wb") as out:
            for k, (slim_blob, ref) in self.entries.items():
                if k[: k.index(":") + 1] not in live:
                    continue
                blob = self._full_blob(ref)
                if blob is None:
                    continue
                out.write(blob)
                entries[k] = (slim_blob, offset, len(blob))
                offset += len(blob)
        os.replace(tmp, self.dir / name)
        parts = {k: v for k, v in self.parts.items() if k in self.used_parts}
        index = marshal.dumps((self.stat, {k: (e[0], (e[1], e[2])) for k, e in entries.items()}, parts, name))
        tmp = self.dir / f"index.{os.getpid()}.tmp"
        tmp.write_bytes(index)
        os.replace(tmp, self.dir / "index.marshal")
        with contextlib.suppress(OSError):
            (self.dir / "journal.marshal").unlink()
        for old in self.dir.glob("bodies-*.bin"):
            if old.name != name:
                with contextlib.suppress(OSError):
                    old.unlink()
