"""The platform facts lint takes from ``specs/`` (:class:`~gitops_gen.spec.facts.PlatformFacts`: node
sizes, Kubernetes version, enabled components), kept in the lint cache so that a lint inside a
repository with specs does not import Pydantic and the spec models while the specs are unchanged.

A record is written only after the specs were loaded and validated in full
(:func:`~gitops_gen.spec.loader.load_specs`), under a key made of everything that validation depends
on: the spec files (names and contents), the file-size limit from the environment, the code of
gitops-gen and of the libraries that read and validate specs (their files' size, mtime, ctime and
inode: a reinstall or an edit changes the ctime). So a hit answers exactly what the full load would
answer, and a spec that changed (or is broken) is loaded and validated as before, with its errors
located. The facts hold no secret (names, sizes, versions); records are sealed (a torn or foreign
record is a miss) and private to the user, like the rest of the cache.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_gen import __version__
from gitops_gen.digest import blake2b
from gitops_gen.errors import UserError
from gitops_gen.spec.facts import PlatformFacts, facts_of, from_plain, to_plain
from gitops_gen.spec.files import SpecDocs, spec_files, spec_files_at_most, valid_spec_docs

if TYPE_CHECKING:
    from gitops_gen.spec.models import Platform

FORMAT = 1
KEEP = 16  # records kept (one per version of the specs): the oldest beyond are removed
# the libraries whose code decides whether a spec is valid and what it holds
_LIBRARIES = ("pydantic", "pydantic_core", "yaml", "ruamel.yaml")


def load_platforms(
    specs_dir: Path, cache_root: Path | None, loaded: dict[Path, SpecDocs | None] | None = None
) -> list[PlatformFacts]:
    """The facts of every Platform of ``specs_dir``, sorted by name (as :func:`load_specs` sorts
    them). With ``cache_root``, read from the cache when the specs are unchanged, else loaded in full
    (raising :class:`UserError` on a broken spec, as :func:`load_specs` does) and stored. ``loaded``:
    the specs of a full load are put there, by resolved directory (what locates findings in the specs
    then needs no second load)."""
    key = spec_key(specs_dir) if cache_root is not None else None
    if key is not None and cache_root is not None:
        got = _read(cache_root / "specs" / key)
        if got is not None:
            return got
    from gitops_gen.spec.loader import load_specs

    specs = load_specs(specs_dir)
    if loaded is not None:
        loaded[specs_dir.resolve()] = specs
    facts = facts_of_all(specs.platforms)
    if key is not None and cache_root is not None:
        _write(cache_root / "specs", key, facts)
    return facts


def facts_of_all(platforms: list[Platform]) -> list[PlatformFacts]:
    return [facts_of(p) for p in platforms]


class Keeper:
    """The facts of specs that another command loads and validates in full (``render``), stored as
    :func:`load_platforms` stores its own: the next lint of the repository then finds them, and does
    not import Pydantic and the models (in the pre-commit hooks, the lint after ``render --check``).
    The key is taken from the files as they are before that load, as :func:`load_platforms` takes it."""

    __slots__ = ("_directory", "_key")

    def __init__(self, directory: Path, key: str) -> None:
        self._directory, self._key = directory, key

    def store(self, platforms: list[Platform]) -> None:
        """Store the facts of ``platforms``, the specs' full load (after it succeeded)."""
        if not (self._directory / self._key).exists():
            _write(self._directory, self._key, facts_of_all(platforms))


#: above this many spec files, keying them costs the command more than the next lint saves once
KEEP_MAX_FILES = 64


def keeper(specs_dir: Path, cache_root: Path) -> Keeper | None:
    """A :class:`Keeper` of the facts of ``specs_dir`` in the lint cache at ``cache_root``; None when its
    files cannot be read (the command's own load says why) or are many (:data:`KEEP_MAX_FILES`: reading
    1,000 app specs again for the key took ~50 ms of a 1.4 s ``render --check``, whose goal is 1.5 s;
    they are not even all listed, ~10 ms)."""
    try:
        files = spec_files_at_most(specs_dir, KEEP_MAX_FILES)
    except (OSError, UserError):
        return None
    key = spec_key(specs_dir, files) if files is not None else None
    return Keeper(cache_root / "specs", key) if key is not None else None


def spec_key(specs_dir: Path, files: list[Path] | None = None) -> str | None:
    """The digest of everything a full load of ``specs_dir`` depends on; None when a file cannot be
    read (the full load says why). ``files``: its spec files, listed already."""
    contents = _contents(specs_dir, files)
    return _key(specs_dir, contents) if contents is not None else None


def validated_docs(specs_dir: Path, cache_root: Path) -> SpecDocs | None:
    """The documents of ``specs_dir`` when these very contents were validated (their facts are in the
    cache at ``cache_root``), for locating findings without the models; else None."""
    contents = _contents(specs_dir)
    if contents is None or _read(cache_root / "specs" / _key(specs_dir, contents)) is None:
        return None
    return valid_spec_docs(specs_dir, contents)


def _contents(specs_dir: Path, files: list[Path] | None = None) -> list[tuple[Path, bytes]] | None:
    try:
        return [(p, p.read_bytes()) for p in (spec_files(specs_dir) if files is None else files)]
    except (OSError, UserError):
        return None


def _key(specs_dir: Path, contents: list[tuple[Path, bytes]]) -> str:
    h = blake2b(digest_size=20)
    h.update(repr((FORMAT, __version__, os.environ.get("GITOPS_GEN_MAX_FILE_BYTES"))).encode())
    base = specs_dir if specs_dir.is_dir() else specs_dir.parent
    for p, data in contents:
        h.update(repr((p.relative_to(base).as_posix(), len(data))).encode())
        h.update(data)
    h.update(repr(_code_stats()).encode())
    return h.hexdigest()


def _code_stats() -> list[tuple[str, int, int, int, int]]:
    """(path, size, mtime, ctime, inode) of the Python files of gitops-gen, and of each spec library's
    ``__init__.py`` and compiled modules at its top: installing, upgrading or reinstalling a library
    writes them anew (a new inode and ctime), and these ~10 stats cost a tenth of the ~250 of every
    file of pydantic and ruamel (~4 ms of each lint with ``specs/``)."""
    import importlib.util

    from gitops_gen.lint.cache import code_stats

    out = list(code_stats())
    for name in _LIBRARIES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        out.extend(_library_stats(Path(origin).parent if origin else Path(name)))
    return out


def _library_stats(root: Path) -> list[tuple[str, int, int, int, int]]:
    from gitops_gen.lint.cache import fingerprint_stat

    try:
        names = os.listdir(root)
    except OSError:
        return [(str(root), -1, 0, 0, 0)]  # not installed (or not readable): that too is in the key
    return fingerprint_stat([root / n for n in names if n == "__init__.py" or n.endswith((".so", ".pyd"))])


def _read(path: Path) -> list[PlatformFacts] | None:
    from gitops_gen.lint.cache import _unseal

    try:
        with open(path, "rb") as fh:
            sealed = _unseal(fh.read())
        if sealed is None:
            return None
        return [from_plain(d) for d in marshal.loads(sealed[0])]
    except Exception:  # missing, torn, foreign: a miss (the full load answers)
        return None


def _write(directory: Path, key: str, facts: list[PlatformFacts]) -> None:
    from gitops_gen.lint.cache import _private_dir, _seal, _write_private, keep_newest

    try:
        _private_dir(directory)
        tmp = directory / f".{key}.{os.getpid()}.tmp"
        _write_private(tmp, _seal(marshal.dumps([to_plain(f) for f in facts])))
        os.replace(tmp, directory / key)
        keep_newest([p for p in directory.iterdir() if not p.name.startswith(".")], KEEP)  # not a .tmp
    except OSError:
        return  # a cache that cannot be written only makes the next run slower
