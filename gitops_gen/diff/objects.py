"""Rendered trees as objects: ``{relpath: text}`` -> objects keyed by ``Kind/namespace/name``.

A file's place in the tree is not part of an object's identity (moving a file is not a change),
and comments (the generated-file header included) are not part of its content.
Documents that are not Kubernetes objects with a name (kustomize's ``kustomization.yaml``, stray
YAML) are kept too, keyed by their file, so a change to them is still seen.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from gitops_gen.errors import UserError
from gitops_gen.yamlio import read_text

if TYPE_CHECKING:
    from gitops_gen.k8s.loader import ParsedFile

YAML_SUFFIXES = (".yaml", ".yml")

# Parses one file's text into its documents (None for empty ones); raises UserError with a location.
DocumentParser = Callable[[str, str], list[Any]]


class Obj(Struct, frozen=True):
    """One document of a rendered tree."""

    key: str  # Kind/namespace/name, Kind/name, or "<kind>@<file>" for documents without a name
    body: Any
    file: str  # path inside the tree, POSIX style
    doc_index: int = 0

    @property
    def kind(self) -> str:
        kind = self.body.get("kind") if isinstance(self.body, dict) else None
        return kind if isinstance(kind, str) else ""


def object_ref(body: Any) -> str | None:
    """``Kind/namespace/name`` (``Kind/name`` without a namespace); None if it is not a named object."""
    if not isinstance(body, dict):
        return None
    kind, meta = body.get("kind"), body.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(kind, str) or not kind or not isinstance(name, str) or not name:
        return None
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    return f"{kind}/{ns}/{name}" if isinstance(ns, str) and ns else f"{kind}/{name}"


def parse_yaml_documents(text: str, name: str) -> list[Any]:
    """Every document of ``text`` as plain data, with the linter's fast loader and its input bounds.

    Raises :class:`UserError` at ``name:line:col`` for the first unreadable document.
    """
    from gitops_gen.k8s.loader import parse_documents

    return [doc.body for doc in parse_documents(text, name)]


class SharedParses:
    """The documents of each distinct text, parsed once for both sides of a diff (most files are the
    same on both: their documents are then the same objects, only read), then handed over
    (:meth:`take`) to a reader that may change them, the cluster views, which would parse the same
    text again: the parse itself the first time, a copy made before that reader changed it the next
    times (each side's views read nearly the same files)."""

    def __init__(self) -> None:
        self._parsed: dict[str, ParsedFile] = {}
        # per text handed over: its documents as they were parsed (marshal: ~6x faster than parsing
        # again) and each document's place
        self._given: dict[str, tuple[bytes, list[tuple[int, int, int, int, int]]]] = {}

    def documents(self, text: str, name: str) -> list[Any]:
        """A :data:`DocumentParser`: raises :class:`UserError` at ``name:line:col`` as
        :func:`parse_yaml_documents` does."""
        from gitops_gen.k8s.loader import parse_documents, parse_text

        got = self._parsed.get(text)
        if got is None:
            got = parse_text(text)
            if got.problems:
                return [doc.body for doc in parse_documents(text, name)]  # raises the located problem
            self._parsed[text] = got
        return [doc.body for doc in got.documents]

    def keep(self, texts: Iterable[str]) -> None:
        """Never hand over the parses of ``texts`` (a report shows their documents)."""
        for text in texts:
            self._parsed.pop(text, None)

    def take(self, text: str) -> ParsedFile | None:
        """The parse of ``text``, the caller's to change (a fresh copy when it was taken before); None
        when not parsed here."""
        from gitops_gen.k8s.loader import Document, ParsedFile

        got = self._parsed.pop(text, None)
        if got is not None:
            try:  # plain data, unless the YAML held what marshal cannot write (then: parsed again)
                blob = marshal.dumps([d.body for d in got.documents])
            except ValueError:
                return got
            self._given[text] = (blob, [(d.line, d.column, d.index, d.start, d.end) for d in got.documents])
            return got
        given = self._given.get(text)
        if given is None:
            return None
        bodies = marshal.loads(given[0])
        docs = [Document(b, *place) for b, place in zip(bodies, given[1], strict=True)]
        return ParsedFile(documents=docs, text=text)


def parse_tree(
    files: Mapping[str, str],
    *,
    display: Callable[[str], str] = str,
    parser: DocumentParser = parse_yaml_documents,
) -> dict[str, Obj]:
    """Objects of a tree given as ``{relpath: text}``; non-YAML paths are ignored.

    ``display`` turns a relpath into the name used in error messages.
    """
    objects: dict[str, Obj] = {}
    seen: dict[str, int] = {}
    for rel in sorted(files):
        if not rel.endswith(YAML_SUFFIXES):
            continue
        for index, body in enumerate(parser(files[rel], display(rel))):
            if body is None:
                continue
            ref = object_ref(body)
            if ref is None:
                kind = body.get("kind") if isinstance(body, dict) else None
                label = kind if isinstance(kind, str) and kind else "document"
                ref = f"{label}@{rel}" + (f"#{index}" if index else "")
            count = seen.get(ref, 0)
            seen[ref] = count + 1
            key = ref if count == 0 else f"{ref} (duplicate {count + 1})"
            objects[key] = Obj(key=key, body=body, file=rel, doc_index=index)
    return objects


def read_tree(root: Path) -> dict[str, str]:
    """``{relpath: text}`` of every YAML file under ``root`` (hidden directories skipped).

    Symlinks are not followed out of ``root``.
    """
    if not root.exists():
        raise UserError.at(str(root), "does not exist", hint="pass two directories of rendered manifests")
    if root.is_file():
        return {root.name: read_text(root, display=str(root))}
    files: dict[str, str] = {}
    real_root = root.resolve()

    def unreadable(exc: OSError) -> None:
        raise UserError.at(
            str(exc.filename), f"cannot read directory: {exc.strerror or exc}", hint="fix its permissions"
        )

    found: list[Path] = []
    for d, dirs, names in os.walk(root, onerror=unreadable):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        found.extend(Path(d) / n for n in names)
    for path in sorted(found):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.name.endswith(YAML_SUFFIXES):
            continue
        if not path.is_file():
            continue
        if path.is_symlink():
            try:
                path.resolve().relative_to(real_root)
            except ValueError:
                continue  # a link out of the tree is not part of it
        files[rel.as_posix()] = read_text(path, display=str(path))
    return files
