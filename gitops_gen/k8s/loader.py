"""Fast manifest loading: find the files, split documents, parse with the Rust ``yaml_rs``.

* Files: the paths given, directories recursively (``*.yaml``, ``*.yml``), hidden directories
  (``.git``, ``.github``, ...) skipped, in a stable sorted order.
* Documents are split on ``---``/``...`` marker lines *here*, not by the parser, so each document's
  first line is known (the object's position) and a syntax error in one document does not hide the
  others. Each chunk is parsed by ``yaml_rs`` (10x faster than PyYAML's C loader), with its alias
  limits (billion laughs) and duplicate keys refused. Positions of fields are recovered later, only
  for documents with findings (:mod:`gitops_gen.lint.positions`).
* ``kustomization.yaml`` (kustomize's own, ``kustomize.config.k8s.io``) is read to learn the role
  of other files: files under ``patches``/``patchesStrategicMerge``/``patchesJson6902`` are partial
  objects; generator inputs, replacement and configuration files are not Kubernetes objects.

Problems (syntax errors, undecodable files, over-size files) are returned as :class:`FileProblem`,
which the engine reports as ``yaml`` findings — never raised as a traceback.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from gitops_gen.errors import UserError
from gitops_gen.k8s.model import Resource
from gitops_gen.paths import Walk, display_path
from gitops_gen.yamlio import DEFAULT_LIMITS, Limits, check_bounds, decode_text, native_depth_hazard

YAML_SUFFIXES = (".yaml", ".yml")
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_POS = re.compile(r"line (\d+), column (\d+)")
_DEEP_INDENT = "\n" + " " * 160  # a substring search (a regex of it scanned every line break)
# compact collections in a row (``- - - x``) nest a level every two characters without indentation
_COMPACT_CHAINS = ("- - ", "-  -", "? ", "- ?")
# Characters YAML 1.2 does not allow in a stream (c-printable), which Go YAML (and so kubectl, kustomize
# and Flux) refuses with "control characters are not allowed": C0 controls but tab, LF and CR; DEL; C1
# controls but NEL; surrogates; U+FFFE and U+FFFF. Escapes in double-quoted scalars ("\x07") are fine.
# compiled when first needed: its character ranges take ~9 ms to compile, paid by every run otherwise
_NON_PRINTABLE = "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
_GO_BREAKS = re.compile("[\x85\u2028\u2029]")
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r"  # what _NON_PRINTABLE allows of ASCII
_CONTENT = re.compile(r"^[^\S\n]*[^\s#%]", re.M)  # a line that is neither blank, comment nor directive

# Roles of a file, decided from the kustomizations that mention it.
ROLE_RESOURCE = "resource"
ROLE_PARTIAL = "partial"  # a kustomize patch: partial objects
ROLE_KUSTOMIZATION = "kustomization"  # kustomize's own config file
ROLE_AUX = "aux"  # generator input, replacement/configuration file, helm values: not objects


class Document(Struct):
    """One YAML document of a file: its body and where it sits (lines, 1-based first content line)."""

    body: Any
    line: int  # 1-based line of the document's first content line
    column: int
    index: int
    start: int  # 0-based line index where the chunk starts (after the marker)
    end: int  # 0-based line index where the chunk ends (exclusive)


class FileProblem(Struct):
    """Why a file or one of its documents cannot be read, at a 1-based line and column."""

    message: str
    line: int
    column: int
    hint: str = ""
    severity: str = "error"


class ParsedFile(Struct):
    """A file's documents and the problems met reading it."""

    documents: list[Document] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    text: str = ""


def _alias_limits() -> Any:
    import yaml_rs

    return yaml_rs.AliasLimits(max_total_replayed_events=200_000, max_replay_stack_depth=64)


_LIMITS: Any = None


def _first_content_of(chunk: str, start: int) -> tuple[int, int] | None:
    """:func:`_first_content` of the lines of ``chunk`` (which starts at line index ``start``), read
    from the chunk itself; ``(-1, -1)`` when the chunk may start in the middle of a line (after
    ``--- ``), where the whole line is needed."""
    m = _CONTENT.search(chunk)
    if m is None:
        return None
    content = m.end() - 1
    line_start = chunk.rfind("\n", 0, content) + 1
    if line_start == 0 and chunk[:1] in (" ", "\t", "\r"):
        return -1, -1
    head = chunk[line_start : content + 1]
    return start + chunk.count("\n", 0, line_start), len(head) - len(head.lstrip(" ")) + 1


def _non_printable(chunk: str) -> re.Match[str] | None:
    """The first character Go YAML refuses in ``chunk`` (an ASCII chunk is checked by a byte table)."""
    if chunk.isascii() and not chunk.encode().translate(None, _PRINTABLE_ASCII):
        return None
    return _non_printable_re().search(chunk)


@functools.cache
def _non_printable_re() -> re.Pattern[str]:
    return re.compile(_NON_PRINTABLE)


def _first_content(lines: list[str], start: int, end: int) -> tuple[int, int] | None:
    for i in range(start, end):
        raw = lines[i]
        stripped = raw.lstrip()
        if not stripped or stripped.startswith("#") or stripped.startswith("%"):
            continue
        return i, len(raw) - len(raw.lstrip(" ")) + 1
    return None


def marker_lines(text: str) -> list[tuple[int, str]]:
    """(offset, marker) of every document marker of ``text``: ``---`` or ``...`` at the start of a
    line, followed by a blank, a tab, a line break or the end (as a multi-line regex anchored at ``^``
    would), found by substring search: such a regex tried every line start of the file."""
    found: list[tuple[int, str]] = []
    for marker in ("---", "..."):
        if text.startswith(marker) and text[3:4] in ("", " ", "\t", "\r", "\n"):
            found.append((0, marker))
        needle = "\n" + marker
        i = text.find(needle)
        while i >= 0:
            if text[i + 4 : i + 5] in ("", " ", "\t", "\r", "\n"):
                found.append((i + 1, marker))
            i = text.find(needle, i + 1)
    found.sort()
    return found


def split_chunks(text: str) -> list[tuple[int, int, str]]:
    """(start line index, end line index, chunk text) of every document of ``text``."""
    if "\n---" not in text and "\n..." not in text and not text.startswith(("---", "...")):
        return [(0, text.count("\n") + 1, text)]
    out: list[tuple[int, int, str]] = []
    pos = 0
    line = 0
    for at, marker in marker_lines(text):
        chunk = text[pos:at]
        nlines = chunk.count("\n")
        out.append((line, line + nlines, chunk))
        line += nlines
        # the marker line: whatever follows the marker on that line belongs to the next document
        eol = text.find("\n", at + 3)
        rest_end = len(text) if eol < 0 else eol + 1
        rest = text[at + 3 : rest_end]
        pos = rest_end
        if rest.strip() and not rest.strip().startswith("#") and marker == "---":
            # "--- {a: 1}" or "--- |": keep the content, on its own line index
            pos = at + 3
        else:
            line += 1
    chunk = text[pos:]
    out.append((line, line + chunk.count("\n") + 1, chunk))
    return out


def _duplicate_position(chunk: str, start: int) -> tuple[int, int] | None:
    """File line/column of the second occurrence of a duplicated key in ``chunk``."""
    import warnings

    from ruamel.yaml import YAML

    try:
        with warnings.catch_warnings():  # a re-used anchor is legal YAML; never print ruamel's warning
            warnings.simplefilter("ignore")
            YAML(typ="rt").load(chunk)
    except Exception as exc:  # DuplicateKeyError carries the position; anything else: unknown
        mark = getattr(exc, "problem_mark", None)
        if mark is not None and "duplicate" in str(getattr(exc, "problem", "")):
            return start + mark.line + 1, mark.column + 1
    return None


def parse_documents(text: str, name: str, *, limits: Limits = DEFAULT_LIMITS) -> list[Document]:
    """All documents of ``text``; raises :class:`UserError` at the first problem (for CRD dirs)."""
    parsed = parse_text(text, limits=limits)
    if parsed.problems:
        p = parsed.problems[0]
        raise UserError.at(name, p.message, line=p.line, column=p.column, hint=p.hint)
    return parsed.documents


def parse_text(text: str, *, limits: Limits = DEFAULT_LIMITS) -> ParsedFile:
    import yaml_rs

    global _LIMITS
    if _LIMITS is None:
        _LIMITS = _alias_limits()
    out = ParsedFile(text=text)
    lines: list[str] | None = None
    n_lines = text.count("\n") + 1
    maybe_deep = _may_nest_deep(text)
    index = 0
    for start, end, chunk in split_chunks(text):
        if not chunk.strip():
            continue
        first = _first_content_of(chunk, start)
        if first == (-1, -1):
            if lines is None:
                lines = text.split("\n")
            first = _first_content(lines, start, min(end, n_lines))
        if first is None:
            continue  # only comments / directives
        bad = _non_printable(chunk)
        if bad is not None:
            line, col = _position(chunk, start, bad.start())
            out.problems.append(
                FileProblem(
                    f"invalid YAML: control character U+{ord(bad.group()):04X} is not allowed "
                    "(kubectl, kustomize and Flux refuse the file)",
                    line,
                    col,
                    'remove it, or write it as an escape inside a double-quoted string ("\\x07")',
                )
            )
            index += 1
            continue
        # Go YAML (YAML 1.1) breaks lines at NEL, LS and PS; YAML 1.2 does not
        if "\x85" in chunk or "\u2028" in chunk or "\u2029" in chunk:
            chunk = _GO_BREAKS.sub("\n", chunk)
        hazard = native_depth_hazard(chunk, limits.max_depth)  # yaml_rs would end the process on it
        if hazard is not None:
            out.problems.append(
                FileProblem(hazard[2], start + hazard[0], hazard[1], "flatten the document (fix the YAML)")
            )
            index += 1
            continue
        try:
            body = yaml_rs.loads(chunk, parse_datetime=False, alias_limits=_LIMITS)
        except yaml_rs.YAMLDecodeError as exc:
            msg = str(exc)
            m = _POS.search(msg)
            line = start + int(m.group(1)) if m else first[0] + 1
            col = int(m.group(2)) if m else 1
            problem = msg.strip().splitlines()[-1].strip() if msg.strip() else "invalid YAML"
            if "alias" in msg and "limit" in msg:
                problem = "YAML aliases expand too much (alias/anchor bomb?)"
                line, col = first[0] + 1, first[1]
            elif "duplicate" in msg:
                problem = msg.strip().splitlines()[0]
                if not m:  # yaml_rs does not say where: ruamel does (only on this rare error path)
                    line, col = _duplicate_position(chunk, start) or (line, col)
            out.problems.append(FileProblem(f"invalid YAML: {problem}", line, col, "fix the YAML syntax"))
            index += 1
            continue
        except (RecursionError, ValueError, TypeError, OverflowError) as exc:
            out.problems.append(FileProblem(f"cannot read YAML: {exc}", first[0] + 1, first[1]))
            index += 1
            continue
        if body is None:
            continue
        huge = _huge_number_at(chunk, body)
        if huge is not None:  # Python cannot print it (int-to-text limit); no Kubernetes field holds it
            out.problems.append(
                FileProblem(
                    f"invalid value: a number of more than {sys.get_int_max_str_digits()} digits",
                    *_position(chunk, start, huge),
                    "fix the number (Kubernetes' integers are 64-bit), or quote it if it is text",
                )
            )
            index += 1
            continue
        if "<<" in chunk:
            try:
                body = resolve_merge_keys(body)
            except ValueError as exc:
                out.problems.append(FileProblem(f"invalid YAML: {exc}", first[0] + 1, first[1]))
                index += 1
                continue
        if maybe_deep and _may_nest_deep(chunk):
            try:
                check_bounds(body, "<doc>", limits)
            except UserError as exc:
                prob = exc.problems[0]
                out.problems.append(FileProblem(prob.message, first[0] + 1, first[1], prob.hint))
                index += 1
                continue
        out.documents.append(Document(body, first[0] + 1, first[1], index, start, min(end, n_lines)))
        index += 1
    return out


def _may_nest_deep(text: str) -> bool:
    """Whether ``text`` could nest past a depth limit (checked after parsing, only then): a line indented
    160 columns, a thousand brackets or braces, compact collections in a row (``- - x``)."""
    return (
        _DEEP_INDENT in text
        or text.count("[") > 1000
        or text.count("{") > 1000
        or any(chain in text for chain in _COMPACT_CHAINS)
    )


def _position(chunk: str, start: int, offset: int) -> tuple[int, int]:
    """1-based line and column in the file of ``offset`` in ``chunk`` (which starts at line index
    ``start``)."""
    line_start = chunk.rfind("\n", 0, offset) + 1
    return start + chunk.count("\n", 0, offset) + 1, offset - line_start + 1


_DIGIT_RUN = re.compile(r"[0-9]*")


def _huge_number_at(chunk: str, body: Any) -> int | None:
    """Offset in ``chunk`` of an integer ``body`` holds with more digits than Python converts to text
    (``sys.get_int_max_str_digits``: every message and report that shows it would fail), else None.

    Such a number is a run of more digits than that in the text: the chunk is sampled every half that
    many characters (a longer run holds a sample with more than half the limit after it), and only a
    chunk with such a sample is searched and its body walked (never, for real manifests)."""
    limit = sys.get_int_max_str_digits()
    step = limit // 2
    if limit <= 0 or len(chunk) <= limit:
        return None
    digits = "0123456789"
    if not any(
        chunk[i] in digits and _DIGIT_RUN.match(chunk, i).end() - i > step  # type: ignore[union-attr]
        for i in range(0, len(chunk), step)
    ):
        return None
    run = re.search(f"[0-9]{{{limit + 1},}}", chunk)
    if run is None:
        return None
    todo = [body]
    while todo:
        v = todo.pop()
        if isinstance(v, dict):
            todo.extend(v.values())
            todo.extend(k for k in v if isinstance(k, int))
        elif isinstance(v, list):
            todo.extend(v)
        elif isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > limit * 3.3:
            try:
                str(v)
            except ValueError:
                return run.start()
    return None


def resolve_merge_keys(node: Any) -> Any:
    """``node`` with YAML merge keys (``<<: *anchor``, ``<<: [*a, *b]``) resolved as Go YAML does.

    ``yaml_rs`` expands aliases but keeps ``<<`` as a plain key; Go YAML (so kustomize and Flux)
    merges: keys written in the mapping win over merged ones, and in a list of maps an earlier map
    wins over a later one. A merge value that is not a map or a list of maps is an error.
    """
    if isinstance(node, list):
        return [resolve_merge_keys(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: resolve_merge_keys(v) for k, v in node.items() if k != "<<"}
    if "<<" not in node:
        return out
    merged = resolve_merge_keys(node["<<"])
    sources = merged if isinstance(merged, list) else [merged]
    if not all(isinstance(m, dict) for m in sources):
        raise ValueError("map merge requires a map or a sequence of maps as the value of <<")
    for m in sources:
        for k, v in m.items():
            out.setdefault(k, v)
    return out


def read_file(
    path: Path | str, display: str, *, limits: Limits = DEFAULT_LIMITS
) -> tuple[str | None, FileProblem | None]:
    """Text of a manifest, or the problem (too big, binary, not UTF-8, unreadable).

    Opened without blocking (a FIFO would wait for a writer) and checked on the open file: a regular
    file of at most ``limits.max_file_bytes`` is read, anything else is a problem. One path lookup and
    no file object: this runs once per file of a lint."""
    data, problem = _read_bytes(path, limits)
    if data is None:
        return None, problem
    return decode(data, display)


def file_bytes(path: str, limits: Limits = DEFAULT_LIMITS) -> bytes | None:
    """The bytes of the regular file ``path`` (opened as :func:`read_file` opens it), or None when it
    cannot be read, is not a regular file or is over ``limits.max_file_bytes``."""
    return _read_bytes(path, limits)[0]


def check_text(
    text: str, display: str, *, limits: Limits = DEFAULT_LIMITS
) -> tuple[str | None, FileProblem | None]:
    """What :func:`read_file` gives for a file the caller wrote with ``text`` as UTF-8 (``diff``'s
    scratch trees), without reading it back: the same size limit and decoding checks."""
    if text.isascii() and len(text) <= limits.max_file_bytes and "\x00" not in text[:8192]:
        return text, None  # one byte per character, no byte order mark: decoding gives it back
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: no file could hold it
        return None, FileProblem(f"not UTF-8 text: {exc.reason}", 1, 1)
    if len(data) > limits.max_file_bytes:
        return None, _too_big(len(data), limits)
    return decode(data, display)


def _read_bytes(path: Path | str, limits: Limits) -> tuple[bytes | None, FileProblem | None]:
    """The bytes of a regular file of at most ``limits.max_file_bytes``, else the problem."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        return None, FileProblem(f"cannot read: {exc.strerror or exc}", 1, 1)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # a FIFO or /dev/zero would block or never end
            return None, FileProblem(
                "not a regular file (FIFO, device or socket); not read",
                1,
                1,
                "give files or directories of YAML manifests",
            )
        data = _read_at_most(fd, st.st_size, limits.max_file_bytes)
        if data is None:
            return None, _too_big(max(st.st_size, limits.max_file_bytes + 1), limits)
        return data, None
    except OSError as exc:
        return None, FileProblem(f"cannot read: {exc.strerror or exc}", 1, 1)
    finally:
        os.close(fd)


def _too_big(size: int, limits: Limits) -> FileProblem:
    return FileProblem(
        f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,}",
        1,
        1,
        "split it, or raise the limit with GITOPS_GEN_MAX_FILE_BYTES",
    )


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _read_at_most(fd: int, size: int, limit: int) -> bytes | None:
    """The bytes of the open file ``fd`` (``size``: its size when opened, 0 for /proc-like files), or
    None past ``limit`` bytes (a file that grows while it is read is still bounded)."""
    if size > limit:
        return None
    parts: list[bytes] = []
    total = 0
    want = size + 1 if size else 1 << 16  # one more than its size: the next read says the end
    while True:
        got = os.read(fd, min(want, limit + 1 - total))
        if not got:
            return parts[0] if len(parts) == 1 else b"".join(parts)
        parts.append(got)
        total += len(got)
        if total > limit:
            return None
        want = 1 << 20


def decode(data: bytes, display: str) -> tuple[str | None, FileProblem | None]:
    try:
        return decode_text(data, display), None
    except UserError as exc:
        p = exc.problems[0]
        return None, FileProblem(p.message, p.location.line or 1, p.location.column or 1, p.hint)


# ------------------------------------------------------------------------------------ discovery
def discover(paths: list[Path], exclude: list[str] | None = None) -> list[Path]:
    """Every YAML file under ``paths`` (files given explicitly are kept whatever their suffix)."""
    return [Path(p) for p in discover_names(paths, exclude)]


def discover_names(
    paths: list[Path], exclude: list[str] | None = None, walk: Walk | None = None
) -> list[str]:
    """:func:`discover` as strings (no ``Path`` per file: ~10 ms per 3,000 files on a re-lint);
    ``walk``: how directories are walked (``os.walk``; a :class:`~gitops_gen.paths.KnownTree`'s)."""
    from fnmatch import fnmatch

    exclude = exclude or []
    seen: set[str] = set()
    out: list[str] = []

    def excluded(p: str) -> bool:
        if not exclude:
            return False
        name = p.rsplit("/", 1)[-1]
        return any(fnmatch(p, pat) or fnmatch(p, f"*/{pat}") or fnmatch(name, pat) for pat in exclude)

    def add(p: str) -> None:
        key = os.path.normpath(p)
        if key not in seen and not excluded(p):
            seen.add(key)
            out.append(p)

    for root in paths:
        if root.is_dir():
            walked = walk(str(root)) if walk is not None else os.walk(root, onerror=unreadable_directory)
            for dirpath, dirs, files in walked:
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not excluded(f"{dirpath}/{d}"))
                for name in sorted(files):
                    if name.startswith("."):
                        continue  # tool configs (.pre-commit-config.yaml, .sops.yaml, ...), not manifests
                    if name.endswith(YAML_SUFFIXES) or name == "Kustomization":
                        add(f"{dirpath}/{name}" if not dirpath.endswith("/") else f"{dirpath}{name}")
        elif root.exists():
            add(root.as_posix())
        else:
            raise UserError.at(
                str(root),
                "no such file or directory",
                hint="give files or directories of Kubernetes manifests",
            )
    return sorted(out)


def unreadable_directory(exc: OSError) -> None:
    """A directory that cannot be listed is an error, never silently skipped (its manifests would go
    unchecked and lint would pass)."""
    raise UserError.at(
        str(exc.filename),
        f"cannot read directory: {exc.strerror or exc}",
        hint="fix its permissions, or leave it out with --exclude",
    )


def is_kustomize_config(body: Any, filename: str) -> bool:
    """kustomize's own kustomization.yaml (not a Flux ``Kustomization`` object)."""
    if not isinstance(body, dict):
        return False
    api = str(body.get("apiVersion", ""))
    if api.startswith("kustomize.config.k8s.io/"):
        return True
    if filename in KUSTOMIZATION_NAMES and not api.startswith("kustomize.toolkit.fluxcd.io"):
        return "kind" not in body or body.get("kind") in ("Kustomization", "Component")
    return False


class KustomizeRoles(Struct):
    """What kustomizations say of the files beside them: each file's role, and the directories they use."""

    roles: dict[str, str] = field(default_factory=dict)  # normalized abs path -> role
    kustomization_dirs: list[Path] = field(default_factory=list)
    referenced_dirs: set[str] = field(default_factory=set)  # dirs used as resources/components


def _local(base: Path, entry: Any) -> Path | None:
    if (
        not isinstance(entry, str)
        or "\n" in entry
        or "://" in entry
        or entry.startswith(("git@", "github.com/"))
    ):
        return None
    return Path(os.path.normpath(base / entry))


def _items(value: Any) -> list[Any]:
    """A kustomization list field; anything else (a hand-edited ``resources: 5``) counts as empty."""
    return value if isinstance(value, list) else []


def kustomize_roles(files: Sequence[Path | str]) -> KustomizeRoles:
    """Read every kustomization among ``files``; classify the files they mention."""
    out = KustomizeRoles()
    for name in files:
        if os.path.basename(name) not in KUSTOMIZATION_NAMES:
            continue
        f = Path(name)
        text, problem = read_file(f, str(f))
        if text is None or problem:
            continue
        parsed = parse_text(text)
        if not parsed.documents:
            continue
        body = parsed.documents[0].body
        if not is_kustomize_config(body, f.name):
            continue
        base = f.parent.absolute()
        out.roles[os.path.normpath(str(f.absolute()))] = ROLE_KUSTOMIZATION
        out.kustomization_dirs.append(f.parent)

        def mark(entry: Any, role: str, base: Path = base) -> None:
            p = _local(base, entry)
            if p is not None:
                out.roles.setdefault(str(p), role)

        for key in ("resources", "components", "bases"):
            for entry in _items(body.get(key)):
                p = _local(base, entry)
                if p is not None:
                    out.referenced_dirs.add(str(p))
        for entry in _items(body.get("patchesStrategicMerge")):
            mark(entry, ROLE_PARTIAL)
        for key in ("patches", "patchesJson6902"):
            for entry in _items(body.get(key)):
                if isinstance(entry, dict):
                    mark(entry.get("path"), ROLE_PARTIAL)
                else:
                    mark(entry, ROLE_PARTIAL)
        for key in ("configurations", "crds", "transformers", "generators", "validators"):
            for entry in _items(body.get(key)):
                mark(entry, ROLE_AUX)
        for key in ("replacements",):
            for entry in _items(body.get(key)):
                if isinstance(entry, dict):
                    mark(entry.get("path"), ROLE_AUX)
        for key in ("configMapGenerator", "secretGenerator"):
            for gen in _items(body.get(key)):
                if not isinstance(gen, dict):
                    continue
                for entry in [*_items(gen.get("files")), *_items(gen.get("envs")), gen.get("env")]:
                    if isinstance(entry, str) and "=" in entry:
                        entry = entry.split("=", 1)[1]
                    mark(entry, ROLE_AUX)
        for chart in _items(body.get("helmCharts")):
            if isinstance(chart, dict):
                mark(chart.get("valuesFile"), ROLE_AUX)
                for vf in _items(chart.get("additionalValuesFiles")):
                    mark(vf, ROLE_AUX)
        openapi = body.get("openapi")
        if isinstance(openapi, dict):
            mark(openapi.get("path"), ROLE_AUX)
    return out


def load_resources(paths: list[Path]) -> tuple[list[Resource], list[str]]:
    """Kubernetes objects under ``paths`` (kustomize patches marked partial) and file problems."""
    files = discover(paths)
    roles = kustomize_roles(files)
    out: list[Resource] = []
    problems: list[str] = []
    cwd = Path.cwd()
    for f in files:
        role = roles.roles.get(os.path.normpath(str(f.absolute())), ROLE_RESOURCE)
        if role in (ROLE_KUSTOMIZATION, ROLE_AUX):
            continue
        display = display_path(f, cwd)
        text, problem = read_file(f, display)
        if text is None:
            if problem is not None:
                problems.append(f"{display}:{problem.line}:{problem.column}: {problem.message} (not counted)")
            continue
        parsed = parse_text(text)
        problems.extend(f"{display}:{p.line}:{p.column}: {p.message} (not counted)" for p in parsed.problems)
        for d in parsed.documents:
            if isinstance(d.body, dict) and isinstance(d.body.get("kind"), str):
                out.append(Resource(d.body, display, d.line, d.column, d.index, partial=role == ROLE_PARTIAL))
    return out, problems
