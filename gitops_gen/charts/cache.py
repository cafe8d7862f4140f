"""The chart cache: chart archives stored by content, and what each chart reference resolved to.

Layout of the cache directory (default ``<user cache dir>/gitops-gen/charts``, ``--chart-cache DIR``
or ``$GITOPS_GEN_CHART_CACHE``)::

    blobs/sha256/<hex>.tgz   a chart archive, named by the SHA-256 of its bytes
    refs.json                {"<url>#<chart>@<version or range>": {"chart", "version", "digest"}}

``refs.json`` is written sorted and atomically, so the directory is the same for the same pulls and
can be cached between CI runs as a whole. Reading needs no network: a HelmRelease whose reference
(URL, chart, version range) was pulled renders from the archive it resolved to then.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from msgspec import Struct

from gitops_gen.charts.sources import ChartRef

ENV = "GITOPS_GEN_CHART_CACHE"


def default_dir() -> Path:
    """``$GITOPS_GEN_CHART_CACHE``, else ``<user cache dir>/gitops-gen/charts``."""
    env = os.environ.get(ENV, "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("gitops-gen")) / "charts"


class Entry(Struct, frozen=True):
    """One chart archive in the cache, by name, version and content digest."""

    chart: str
    version: str
    digest: str  # "sha256:<hex>"


class ChartCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._refs: dict[str, Entry] | None = None

    @property
    def refs_file(self) -> Path:
        return self.root / "refs.json"

    def refs(self) -> dict[str, Entry]:
        if self._refs is None:
            self._refs = {}
            try:
                raw = json.loads(self.refs_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raw = {}
            for key, e in raw.items() if isinstance(raw, dict) else ():
                if isinstance(e, dict) and all(
                    isinstance(e.get(k), str) for k in ("chart", "version", "digest")
                ):
                    self._refs[str(key)] = Entry(e["chart"], e["version"], e["digest"])
        return self._refs

    def blob(self, digest: str) -> Path:
        algo, _, hexdigest = digest.partition(":")
        return self.root / "blobs" / algo / f"{hexdigest}.tgz"

    def lookup(self, ref: ChartRef) -> tuple[Path, Entry] | None:
        """The cached archive a reference resolved to (``None`` when it was never pulled)."""
        entry = self.refs().get(ref.key)
        if entry is None:
            return None
        path = self.blob(entry.digest)
        return (path, entry) if path.is_file() else None

    def store(self, ref: ChartRef, archive: Path, version: str) -> Entry:
        """Copy ``archive`` into the cache by content and remember what ``ref`` resolved to."""
        data = archive.read_bytes()
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        target = self.blob(digest)
        if not target.is_file():
            _write_atomic(target, data)
        entry = Entry(ref.chart, version, digest)
        refs = dict(self.refs())
        refs[ref.key] = entry
        text = json.dumps(
            {k: {"chart": e.chart, "version": e.version, "digest": e.digest} for k, e in refs.items()},
            indent=1,
            sort_keys=True,
        )
        _write_atomic(self.refs_file, (text + "\n").encode("utf-8"))
        self._refs = refs
        return entry


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
