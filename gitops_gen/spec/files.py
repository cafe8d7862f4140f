"""The spec files of a specs directory and their documents, without validation (no heavy imports: lint
keys its cached spec facts on the files, and locates findings in specs it knows to be valid).

:class:`SpecDocs` is where each ``Kind/name`` is written; :class:`~gitops_gen.spec.loader.Specs` (the
validated specs) extends it with the models.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec.structs
from msgspec import Struct, field

from gitops_gen.errors import Location, UserError
from gitops_gen.paths import display_path
from gitops_gen.yamlio import DEFAULT_LIMITS, decode_text, load_fast, load_positioned, position_of, read_text

if TYPE_CHECKING:
    from gitops_gen.forked import Forked

SPEC_SUFFIXES = (".yaml", ".yml")
# Specs are small hand-written files; the round-trip reader that gives exact positions reads flow-style
# YAML at ~100-150 KB/s, so a spec at the manifests' 8 MiB limit would take a minute. 1 MiB is far above
# any real spec (the reference platform spec is ~10 KB); GITOPS_GEN_MAX_FILE_BYTES still overrides it.
SPEC_MAX_BYTES = 1024 * 1024
SPEC_LIMITS = (
    DEFAULT_LIMITS
    if os.environ.get("GITOPS_GEN_MAX_FILE_BYTES")
    else msgspec.structs.replace(
        DEFAULT_LIMITS, max_file_bytes=min(SPEC_MAX_BYTES, DEFAULT_LIMITS.max_file_bytes)
    )
)


class SpecDocs(Struct):
    """The documents of a specs directory and where each ``Kind/name`` is written."""

    sources: dict[str, str] = field(default_factory=dict)  # "Kind/name" -> spec file (as shown in errors)
    # "Kind/name" -> spec file named from the specs directory ("specs/apps/x.yaml"): the same whatever
    # the working directory, so rendered headers are deterministic.
    names: dict[str, str] = field(default_factory=dict)
    # "Kind/name" -> its document: ruamel's (with positions) or plain data (read by the fast path)
    docs: dict[str, Any] = field(default_factory=dict)
    # "Kind/name" -> (spec file, document index): where a plain document's positions are read when asked
    origins: dict[str, tuple[Path, int]] = field(default_factory=dict)

    def __repr__(self) -> str:
        """Which documents, not their contents."""
        return f"{type(self).__name__}(sources={self.sources!r}, names={self.names!r})"

    @property
    def platform_names(self) -> list[str]:
        """Every Platform's name, sorted."""
        return sorted(k.split("/", 1)[1] for k in self.names if k.startswith("Platform/"))

    def source_of(self, kind: str, name: str) -> str:
        return self.sources.get(f"{kind}/{name}", "")

    def name_of(self, kind: str, name: str) -> str:
        """The spec file of an object, as named in rendered headers (``specs/platform.yaml``)."""
        return self.names.get(f"{kind}/{name}") or self.sources.get(f"{kind}/{name}", "")

    def locate(self, kind: str, name: str, path: tuple[str | int, ...]) -> Location:
        """file:line:col of ``path`` (e.g. ``("spec", "ingress", "host")``) in an object's spec file."""
        key = f"{kind}/{name}"
        doc = self.docs.get(key)
        if doc is not None and getattr(doc, "lc", None) is None and key in self.origins:
            doc = self._positioned(key)  # read by the fast path: positions read now, once
        line, col = position_of(doc, path) if doc is not None else (1, 1)
        return Location(self.sources.get(key, ""), line or 1, col or 1)

    def _positioned(self, key: str) -> Any:
        path, index = self.origins[key]
        try:
            name = self.sources.get(key, str(path))
            doc = load_positioned(
                read_text(path, display=name, limits=SPEC_LIMITS), name, limits=SPEC_LIMITS
            )[index]
        except (UserError, IndexError):
            return self.docs.get(key)  # changed since: positions unknown (the caller falls back)
        self.docs[key] = doc
        return doc


def spec_namer(specs_dir: Path, base: Path) -> Callable[[Path], tuple[str, str]]:
    """For a spec file of ``specs_dir``: its name as shown (relative to ``base``) and as named in
    rendered headers. The directory is looked at (and resolved) once, not once per file."""
    is_dir = specs_dir.is_dir()
    names_root = specs_dir if is_dir else specs_dir.parent
    names_prefix = names_root.resolve().name

    def names(path: Path) -> tuple[str, str]:
        rel = path.relative_to(names_root).as_posix() if is_dir else path.name
        return display_path(path, base), (f"{names_prefix}/{rel}" if names_prefix else rel)

    return names


def valid_spec_docs(specs_dir: Path, contents: list[tuple[Path, bytes]]) -> SpecDocs | None:
    """The documents of ``specs_dir`` (its files' ``contents``), named and indexed exactly as
    :func:`~gitops_gen.spec.loader.load_specs` names them, for specs known to be valid (they were
    validated with these very contents): nothing is checked here, and None is returned on anything a
    valid spec does not hold."""
    namer = spec_namer(specs_dir, Path.cwd())
    platforms: list[tuple[str, str, str, Any, tuple[Path, int]]] = []
    apps: list[tuple[str, str, str, Any, tuple[Path, int]]] = []
    for path, data in contents:
        name, spec_name = namer(path)
        try:
            text = decode_text(data, name)
            plain = load_fast(text)  # as load_specs reads it: libyaml, else ruamel where they could differ
            docs = plain if plain is not None else load_positioned(text, name, limits=SPEC_LIMITS)
        except UserError:
            return None
        for index, doc in enumerate(docs):
            if doc is None:
                continue
            meta = doc.get("metadata") if isinstance(doc, dict) else None
            own = meta.get("name") if isinstance(meta, dict) else None
            kind = doc.get("kind") if isinstance(doc, dict) else None
            if not isinstance(own, str) or kind not in ("Platform", "App"):
                return None  # not what a valid spec holds: let the full load answer
            entry = (f"{kind}/{own}", name, spec_name, doc, (path, index))
            (platforms if kind == "Platform" else apps).append(entry)
    out = SpecDocs()
    # in the order load_specs fills them in (the platforms by name, then the apps as read): a file holding
    # several documents is named by the last of them in rendered headers' reverse lookup
    for key, name, spec_name, doc, origin in [*sorted(platforms, key=lambda e: e[0]), *apps]:
        out.sources[key], out.names[key], out.docs[key], out.origins[key] = name, spec_name, doc, origin
    return out


#: what was read of spec files ahead of the loader: ``str(path)`` -> its text and fast-path documents
SpecReads = dict[str, tuple[str, list[Any] | None]]


class Preread(NamedTuple):
    """Spec files read ahead (:func:`read_ahead`)."""

    files: list[Path]  # every spec file, as :func:`spec_files` listed them
    read: SpecReads


class ReadAhead:
    """The spec files of a directory, listed here and read in a forked child."""

    __slots__ = ("_child", "_files")

    def __init__(self, files: list[Path], child: Forked[SpecReads]) -> None:
        self._files, self._child = files, child

    def result(self) -> Preread:
        """The files, and what the child read of them (nothing when it failed: the loader reads them)."""
        return Preread(self._files, self._child.result() or {})

    def cancel(self) -> None:
        self._child.cancel()


#: below this many spec files, reading them ahead in a forked child costs more than it saves
READ_AHEAD_MIN_FILES = 64


def read_ahead(specs_dir: Path) -> ReadAhead | None:
    """Every spec file's text and fast-path documents, read in a forked child (:mod:`gitops_gen.forked`)
    while this process imports the models and the renderer (at 1,000 apps, each takes about a third of
    ``render``); None for a few files. The loader takes the list of files from here (one walk of the
    directory); a file the child cannot read is left out: the loader reads it again and reports its
    error where it did before."""
    from gitops_gen import forked

    try:
        files = spec_files(specs_dir)
    except UserError:
        return None  # the loader reports it, after what is checked before the specs
    if len(files) < READ_AHEAD_MIN_FILES:
        return None

    child = forked.start(lambda: read_spec_files(files))
    return ReadAhead(files, child) if child is not None else None


def read_spec_files(files: list[Path]) -> SpecReads:
    """:attr:`Preread.read` of ``files``: each one's text and fast-path documents; a file that cannot
    be read is left out (the loader reads it again and reports why)."""
    out: SpecReads = {}
    for path in files:
        try:
            text = read_text(path, display=str(path), limits=SPEC_LIMITS)
        except UserError:
            continue
        out[str(path)] = (text, load_fast(text))
    return out


def spec_files(specs_dir: Path) -> list[Path]:
    return _in_order(_found(specs_dir))


def spec_files_at_most(specs_dir: Path, most: int) -> list[Path] | None:
    """:func:`spec_files`, or None as soon as more than ``most`` are found (the rest is not listed)."""
    found = list(itertools.islice(_found(specs_dir), most + 1))
    return _in_order(found) if len(found) <= most else None


def _in_order(found: Iterable[tuple[str, Path]]) -> list[Path]:
    return [p for _, p in sorted(found, key=lambda f: f[0])]


def _found(specs_dir: Path) -> Iterator[tuple[str, Path]]:
    """The spec files of ``specs_dir`` (path below it, POSIX; the file), in the walk's order."""
    if not specs_dir.exists():
        raise UserError.at(
            str(specs_dir),
            "specs directory does not exist",
            hint="pass --specs DIR pointing at your platform.yaml and apps/",
        )
    if specs_dir.is_file():
        yield "", specs_dir
        return

    # os.walk's walk (links to directories not followed, hidden names skipped) on the directory entries
    # themselves: their types come with the listing, and the sort key is built on the way down
    pending = [(str(specs_dir), "")]
    while pending:
        top, below = pending.pop()
        try:
            with os.scandir(top) as listing:
                entries = list(listing)
        except OSError as exc:
            raise UserError.at(
                str(exc.filename), f"cannot read directory: {exc.strerror or exc}", hint="fix its permissions"
            ) from None
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    if not entry.is_symlink():
                        pending.append((entry.path, f"{below}{name}/"))
                    continue
                if name.endswith(SPEC_SUFFIXES) and entry.is_file():
                    yield f"{below}{name}", Path(entry.path)
            except OSError:
                continue  # gone, or unreadable metadata: os.walk and Path.is_file skip it too
