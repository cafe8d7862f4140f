"""Reading YAML safely, with positions.

Two readers share the same limits:

* :func:`load_positioned` — ruamel.yaml round-trip load. Slow, but every mapping and sequence
  knows the line and column of its keys and items. Used for specs (few, small files) and to
  recover exact positions of findings in manifests.
* the fast manifest reader lives in :mod:`gitops_gen.k8s.loader` (Rust-backed ``yaml_rs``).

Limits (:class:`Limits`) guard against hostile input: file size, nesting depth and alias
expansion (a "billion laughs" document is refused, not expanded).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from msgspec import Struct

from gitops_gen.errors import UserError


class Limits(Struct, frozen=True):
    """Bounds on input. Defaults are generous for real manifests and small for attacks."""

    max_file_bytes: int = 8 * 1024 * 1024
    max_depth: int = 100
    max_nodes: int = 2_000_000  # nodes visited, counting every alias expansion

    @classmethod
    def from_env(cls) -> Limits:
        raw = os.environ.get("GITOPS_GEN_MAX_FILE_BYTES")
        if raw and raw.isdigit():
            return cls(max_file_bytes=int(raw))
        return cls()


DEFAULT_LIMITS = Limits.from_env()


def read_text(path: Path | str, *, display: str | None = None, limits: Limits = DEFAULT_LIMITS) -> str:
    """Read a file as UTF-8 text, refusing huge, binary and non-UTF-8 files with a located error."""
    name = display or str(path)
    p = Path(path)
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):  # FIFO, /dev/zero: never read
            raise UserError.at(
                name, "not a regular file (FIFO, device or socket)", line=1, column=1, hint="give a YAML file"
            )
        size = st.st_size
        if size > limits.max_file_bytes:
            raise UserError.at(
                name,
                f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,}",
                line=1,
                column=1,
                hint="split it, or raise the limit with the environment variable GITOPS_GEN_MAX_FILE_BYTES",
            )
        data = p.read_bytes()
    except UserError:
        raise
    except IsADirectoryError:
        raise UserError.at(name, "is a directory, expected a YAML file") from None
    except OSError as exc:
        raise UserError.at(name, f"cannot read: {exc.strerror or exc}") from None
    return decode_text(data, name)


def decode_text(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise UserError.at(
            name,
            "binary file (contains NUL bytes), not YAML",
            line=1,
            column=1,
            hint="exclude it from the paths given to gitops-gen",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UserError.at(
            name,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x})",
            line=line,
            column=col,
            hint="save the file as UTF-8",
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _yaml() -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    return y


def load_positioned(text: str, name: str, *, limits: Limits = DEFAULT_LIMITS) -> list[Any]:
    """Load every document of ``text`` with ruamel.yaml round-trip (positions kept).

    Raises :class:`UserError` with ``file:line:col`` for syntax errors, duplicate keys,
    too-deep nesting and alias bombs.
    """
    import warnings

    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    too_deep = flow_too_deep(text, limits.max_depth)
    if too_deep is not None:  # before ruamel: its scanner is quadratic in flow nesting depth
        raise UserError.at(
            name,
            f"nesting deeper than {limits.max_depth} levels",
            line=too_deep[0],
            column=too_deep[1],
            hint="flatten the document",
        )
    try:
        with warnings.catch_warnings():  # a re-used anchor is legal YAML; do not print a warning
            warnings.simplefilter("ignore")
            docs = list(_yaml().load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        col = mark.column + 1 if mark else 0
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        hint = "fix the YAML syntax"
        if "duplicate key" in problem or "found duplicate key" in str(exc):
            problem = "duplicate key" + (f" {_dup_key(str(exc))}" if _dup_key(str(exc)) else "")
            hint = "remove one of the duplicate keys"
        raise UserError.at(name, problem, line=line, column=col, hint=hint) from None
    except YAMLError as exc:
        raise UserError.at(name, f"invalid YAML: {exc}", line=1, column=1) from None
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        # ruamel's constructor raises plain exceptions for explicit tags it cannot honour
        # (`!!int x`, `!!float .`, `!!set` on a scalar) and for integers past Python's digit limit
        line, col, what = _bad_node(text)
        raise UserError.at(
            name,
            what or f"cannot load a value ({exc})",
            line=line,
            column=col,
            hint="fix the value or remove its explicit !!tag",
        ) from None
    except NotImplementedError as exc:  # ruamel's round-trip comments: "overlap in comment" on valid YAML
        where = re.search(_COMMENT_AT, str(exc))
        raise UserError.at(
            name,
            "a comment the YAML reader (ruamel.yaml) cannot place",
            line=int(where.group(1)) + 1 if where else 1,
            column=int(where.group(2)) + 1 if where else 1,
            hint="move the comment to a line of its own, or remove it",
        ) from None
    except RecursionError:
        raise UserError.at(
            name,
            f"nesting deeper than {limits.max_depth} levels",
            line=1,
            column=1,
            hint="flatten the document",
        ) from None
    for doc in docs:
        check_bounds(doc, name, limits)
    return docs


_BRACKET = re.compile(r"[\[\]{}]")
_COMMENT_AT = r"CommentToken\(.*?line: (\d+), col: (\d+)"  # rare paths: compiled (and cached by re) when used


def flow_too_deep(text: str, max_depth: int) -> tuple[int, int] | None:
    """(line, column) where flow collections (``[[[...``, ``{{{...``) nest deeper than ``max_depth``.

    A cheap pre-scan: a bracket opens a collection when it starts a value (after a line start,
    ``[``, ``{``, ``,``, ``:``, ``-`` or ``?``), so brackets inside plain scalars (``^[a-z]+$``)
    are not counted. Files with few brackets are not scanned at all.
    """
    if text.count("[") + text.count("{") <= max_depth:
        return None
    depth = 0
    for match in _BRACKET.finditer(text):
        pos = match.start()
        if match.group() in "]}":
            depth = max(depth - 1, 0)
            continue
        back = pos - 1
        while back >= 0 and text[back] in " \t":
            back -= 1
        if back >= 0 and text[back] not in "\n[{,:-?":
            continue
        depth += 1
        if depth > max_depth:
            line = text.count("\n", 0, pos) + 1
            return (line, pos - (text.rfind("\n", 0, pos) + 1) + 1)
    return None


#: block nesting a native parser is trusted with: yaml_rs overflows its stack (the process ends with
#: SIGSEGV, no exception) at 10,000-15,000 levels of compact block collections (``- - - ... x``)
NATIVE_SAFE_DEPTH = 2000
_SAFE_INDENT = "\n" + " " * (NATIVE_SAFE_DEPTH // 4)  # a substring search
_BLOCK_PREFIX = r"(?m)^( *)((?:[-?][ \t]+)*)"


def native_depth_hazard(text: str, max_depth: int) -> tuple[int, int, str] | None:
    """``None`` when ``text`` cannot nest deeper than :data:`NATIVE_SAFE_DEPTH` levels in block style,
    so that a native parser (yaml_rs) can be given it; else (line, column, problem) when it nests deeper
    than ``max_depth`` or is not YAML, as an iterative reader (libyaml's events) finds; else ``None``.

    Flow collections (``[[[``) are bounded by yaml_rs itself. Block nesting costs a column a level of
    indentation (a sequence may sit at its key's column: two levels per indentation step) or two
    characters a level of compact collections on one line (``- - -``, ``? ? ?``, YAML 1.2 6.1 and 8.2.1).
    So a text with no line indented by a quarter of the bound (under half the bound from indentation)
    is safe when it has few ``- ``/``? `` (two substring counts: most files) or no line of the bound's
    length (a big CRD: thousands of list items on short lines); else each line's indentation and
    compact indicators bound the depth, and only a text over the bound is read for its real depth."""
    if _SAFE_INDENT not in text and not text.startswith(_SAFE_INDENT[1:]):
        if text.count("- ") + text.count("? ") < NATIVE_SAFE_DEPTH // 2:
            return None
        if max(map(len, text.split("\n"))) < NATIVE_SAFE_DEPTH:
            return None
    bound = 0
    for m in re.finditer(_BLOCK_PREFIX, text):
        bound = max(bound, 2 * len(m.group(1)) + m.group(2).count("-") + m.group(2).count("?") + 2)
    if bound <= NATIVE_SAFE_DEPTH:
        return None
    import yaml

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):  # events one at a time: no recursion
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    start = event.start_mark
                    where = (start.line + 1, start.column + 1) if start is not None else (1, 1)
                    return (*where, f"nesting deeper than {max_depth} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return (*where, f"invalid YAML: {(exc.problem or exc.context or 'syntax error').strip()}")
    except yaml.YAMLError as exc:
        return (1, 1, f"invalid YAML: {exc}")
    return None


_COLLECTION_TAGS = {
    "map": "MappingNode",
    "set": "MappingNode",
    "seq": "SequenceNode",
    "omap": "SequenceNode",
    "pairs": "SequenceNode",
}


def _bad_node(text: str) -> tuple[int, int, str]:
    """Find the node ruamel could not construct: an explicit core tag its value does not fit."""
    import base64
    import binascii

    from ruamel.yaml.nodes import ScalarNode

    y = _yaml()
    try:
        roots = list(y.compose_all(text))
    except Exception:
        return (1, 1, "")
    seen: set[int] = set()
    stack = [r for r in roots if r is not None]
    while stack:
        node = stack.pop(0)
        if id(node) in seen:
            continue
        seen.add(id(node))
        tag = str(getattr(node.tag, "value", node.tag) or "")
        short = tag.removeprefix("tag:yaml.org,2002:")
        where = (node.start_mark.line + 1, node.start_mark.column + 1)
        kind = type(node).__name__
        if short in _COLLECTION_TAGS and kind != _COLLECTION_TAGS[short]:
            return (
                *where,
                f"!!{short} needs a {_COLLECTION_TAGS[short][:-4].lower()}, not a {kind[:-4].lower()}",
            )
        if isinstance(node, ScalarNode):
            value = str(node.value)
            if short in ("int", "float", "bool", "null", "timestamp"):
                if y.resolver.resolve(ScalarNode, value, (True, False)) != tag:
                    return (*where, f"{value[:40]!r} is not a valid !!{short}")
                if sum(c.isdigit() for c in value) > 4000:
                    return (*where, "number with more than 4000 digits")
            elif short == "binary":
                try:
                    base64.decodebytes(value.encode("ascii"))
                except (binascii.Error, UnicodeEncodeError):
                    return (*where, "!!binary value is not base64")
            elif short in ("str", "map", "seq") or not tag.startswith("tag:yaml.org,2002:"):
                continue
        elif short in ("int", "float", "bool", "null", "timestamp", "str", "binary"):
            return (*where, f"!!{short} needs a scalar, not a {kind[:-4].lower()}")
        if isinstance(node.value, list):
            for item in node.value:
                stack.extend(item if isinstance(item, tuple) else (item,))
    return (1, 1, "")


def _dup_key(text: str) -> str:
    marker = 'found duplicate key "'
    if marker in text:
        return '"' + text.split(marker, 1)[1].split('"', 1)[0] + '"'
    return ""


def check_bounds(doc: Any, name: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Walk ``doc`` counting nodes (alias expansions included) and depth; raise when over a bound.

    Shared sub-trees (YAML aliases) are counted every time they are reached, which is exactly the
    work any consumer would do, so a billion-laughs document is refused here in bounded time.
    """
    budget = limits.max_nodes
    stack: list[tuple[Any, int]] = [(doc, 0)]
    visited = 0
    while stack:
        node, depth = stack.pop()
        visited += 1
        if visited > budget:
            raise UserError.at(
                name,
                f"document expands to more than {budget:,} nodes (YAML alias/anchor bomb?)",
                line=1,
                column=1,
                hint="remove the recursive anchors/aliases",
            )
        if depth > limits.max_depth:
            line, col = node_position(node)
            raise UserError.at(
                name,
                f"nesting deeper than {limits.max_depth} levels",
                line=line,
                column=col,
                hint="flatten the document",
            )
        if isinstance(node, dict):
            for value in node.values():
                if isinstance(value, dict | list):
                    stack.append((value, depth + 1))
                else:
                    visited += 1
        elif isinstance(node, list):
            for value in node:
                if isinstance(value, dict | list):
                    stack.append((value, depth + 1))
                else:
                    visited += 1


def node_position(node: Any) -> tuple[int, int]:
    """1-based (line, column) where a ruamel mapping or sequence starts; (0, 0) if unknown."""
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return (0, 0)
    return (lc.line + 1, lc.col + 1)


def position_of(root: Any, path: tuple[str | int, ...]) -> tuple[int, int]:
    """1-based (line, column) of the deepest existing element of ``path`` below ``root``.

    For a mapping key, the key's position; for a sequence index, the item's position. Falls back
    to the nearest existing ancestor, so a finding about a *missing* field points at its parent.
    """
    best = node_position(root)
    node = root
    for part in path:
        lc = getattr(node, "lc", None)
        if isinstance(node, dict) and part in node:
            if lc is not None:
                try:
                    line, col = lc.key(part)
                    best = (line + 1, col + 1)
                except (KeyError, TypeError):
                    pass
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            if lc is not None:
                try:
                    line, col = lc.item(part)
                    best = (line + 1, col + 1)
                except (KeyError, TypeError, IndexError):
                    pass
            node = node[part]
        else:
            break
    return best


def to_plain(node: Any) -> Any:
    """Convert ruamel containers to plain dict/list/scalars (after :func:`check_bounds`)."""
    if isinstance(node, dict):
        return {
            str(k) if not isinstance(k, str | int | float | bool) else k: to_plain(v) for k, v in node.items()
        }
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    from ruamel.yaml.scalarstring import ScalarString

    if isinstance(node, ScalarString):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return str(node)  # timestamps and other tagged scalars: keep their text form


def iter_paths(node: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Yield (path, scalar) for every leaf below ``node``."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from iter_paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from iter_paths(v, (*prefix, i))
    else:
        yield prefix, node


# The fast path of spec loading (issue 15 item 4): libyaml's C parser, and only documents whose every
# scalar means the same in any reading. ruamel (round trip, YAML 1.2) stays the reference: it is used
# for everything else, and for positions (errors, spec locations) read again when needed.
_FAST_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FAST_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")
_FAST_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_FAST_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_MAYBE_SPECIAL = frozenset("0123456789+-.=<")  # a plain scalar starting so may be a number, date, merge key
# every character a YAML number (any base, exponent, .inf/.nan) or timestamp can hold: a scalar with any
# other character (``100m``, ``128Mi``) is a string in every reading
_NUMERIC_CHARS = frozenset("0123456789abcdefABCDEFxXoObB_.+-: eEtTzZinINfF")
_VERSION = re.compile(r"[0-9]+(?:\.[0-9]+){2,}")  # 1.4.2: not a number or a date in any reading
# after a leading digit, a hex digit other than e/E belongs to a number only in hex (0x...) or binary
# (0b...) notation: ``7d`` (a retention) and ``1f``, unlike ``1e3`` or ``0x1F``, are strings in every reading
_HEX_LETTERS = frozenset("abcdfABCDF")


class _NotFast(Exception):
    """The document needs the reference (round-trip) loader."""


def _plain_scalar(value: str) -> Any:
    if value in _FAST_NULL:
        return None
    if value in _FAST_BOOL:
        return _FAST_BOOL[value]
    if value[0] in _MAYBE_SPECIAL:
        if len(value) <= 18 and _FAST_INT.fullmatch(value):
            return int(value)
        if _FAST_FLOAT.fullmatch(value) and repr(float(value)) == value:  # not 1.10, 0.30000000000000001
            return float(value)
        if value[0] not in "=<" and (not _NUMERIC_CHARS.issuperset(value) or _VERSION.fullmatch(value)):
            return value
        if (
            value[0].isdigit()
            and value[1:2] not in ("x", "X", "b", "B")
            and not _HEX_LETTERS.isdisjoint(value)
        ):
            return value
        raise _NotFast(value)  # 1e3, 0x1F, 017, 1_000, .inf, 2024-01-01, 1:20, <<, = ...
    return value


def load_fast(text: str) -> list[Any] | None:
    """Every document of ``text`` as plain data, or ``None`` when the round-trip loader must read it.

    ``None`` for: anything libyaml rejects, an explicit tag, a duplicate or non-string key, a merge key,
    and any plain scalar that is not unambiguously a string, null, boolean, decimal integer or simple
    decimal (``1.5``): numbers in other notations, dates, ``.inf``... where YAML 1.1 and 1.2 or the two
    libraries could differ. What it returns is what :func:`load_positioned` gives, without positions.

    Most spec files are read by yaml_rs (:func:`_load_native`, a sixth of the time); the rest by
    libyaml's events here.
    """
    native = _load_native(text)
    if native is not None:
        return native
    return _load_events(text)


#: an integer past this many digits steps aside (as :func:`_plain_scalar` does for libyaml's path)
_FAST_INT_MAX = 10**18
#: integer notations only the text shows (yaml_rs reads them all as integers; the readers may differ):
#: ``0x1F``, ``0o17``, ``0b1``, ``017``, ``0_1`` at the start of a scalar (:data:`_TOKEN_START` before
#: it), and ``+5`` or ``1_000`` anywhere
_ZERO_PREFIX = re.compile(r"0[0-9xXoObB_]")  # compiled: every spec file is searched for it
_SIGNED = r"\+[0-9.]|[0-9]_|_[0-9]"
_TOKEN_START = frozenset(" \n[{,:")
#: indicators a scalar may not start with that begin a YAML construct the two readers handle apart in
#: corner cases (aliases and anchors, explicit keys, block scalars, reserved ``@`` and backquote: YAML
#: 1.2 5.3): a text that has one where a node starts (a line's first, after ``: ``, ``- ``, ``? ``, in a
#: flow collection) steps aside
_INDICATORS = ("*", "&", "?", "|", ">", "@", "`")
_INDICATOR = r"(?m)(?:^[ ]*|[:?-][ ]+|[\[{,][ ]*)[*&?|>@`]"  # where a node starts
#: an implicit key with an empty value inside a flow collection (``[a:]``, ``{a:, b}``)
_FLOW_EDGES = (":]", ":,", ":}")
#: a JSON-like key with its value right after the colon (``{"a":1}``: YAML 1.2 7.4, ruamel refuses it)
_ADJACENT_VALUE = r"[\"']:\S"
#: a line whose first character is ``#``: a comment (or a line of a block or quoted scalar)
_COMMENT_LINE = r"(?m)^[ ]*#.*$"


def _starts_a_node(text: str) -> bool:
    """Whether one of :data:`_INDICATORS` starts a node in ``text``, not counting comment lines (a
    line whose first character is ``#`` is a comment, or a line of a block or quoted scalar: its
    indicator, elsewhere, is seen)."""
    return (
        re.search(_INDICATOR, text) is not None
        and re.search(_INDICATOR, re.sub(_COMMENT_LINE, "", text)) is not None
    )


def _has_any(text: str, needles: tuple[str, ...]) -> bool:
    return any(n in text for n in needles)


def _load_native(text: str) -> list[Any] | None:
    """:func:`load_fast` by yaml_rs, or ``None`` (libyaml's events then decide) where its reading could
    differ from the round-trip reader's and its result cannot show it: yaml_rs resolves plain scalars
    itself and does not say how a value was written. So the text is refused outright for what only it
    shows (tags ``!``, merge keys, directives, a second document, anchors and aliases, explicit keys,
    block scalars, empty values in flow collections, integers in other notations, characters outside
    printable text but line breaks), and the result for what its values show: every
    float (``1e3``, ``.inf``, ``1.10`` are all floats), an integer of 19 digits or more, a key that is
    not a string, and a string that read as a plain scalar could be something else (``"8080"``,
    ``"true"``, ``"2024-01-01"``: :func:`_plain_scalar`). Booleans and nulls are read alike: yaml_rs
    knows the same spellings (YAML 1.2 core schema, 10.3.2)."""
    if (
        "!" in text
        or "<<" in text
        or text.startswith(("%", "..."))
        or "\n%" in text
        or "\n---" in text
        or "\n..." in text
        or not text.replace("\n", "").isprintable()  # tabs, CR, controls, NEL/LS/PS, BOM
        or (_has_any(text, _INDICATORS) and _starts_a_node(text))
        or _has_any(text, _FLOW_EDGES)
        or (_has_any(text, ('":', "':")) and re.search(_ADJACENT_VALUE, text) is not None)
        or (("+" in text or "_" in text) and re.search(_SIGNED, text) is not None)
    ):
        return None
    for m in _ZERO_PREFIX.finditer(text):
        i = m.start() - 1
        if i >= 0 and text[i] == "-":
            i -= 1
        if i < 0 or text[i] in _TOKEN_START:
            return None
    if native_depth_hazard(text, DEFAULT_LIMITS.max_depth) is not None:
        return None
    import yaml_rs

    try:
        doc = yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # any error: libyaml's events, then ruamel, say what it is
        return None
    if doc is None:  # an empty stream or a null document: not told apart here
        return None
    if not isinstance(doc, dict | list):
        return [doc] if _plain_value(doc, text) else None
    # the common cases inline (this walk is most of the time after yaml_rs), the rest by _plain_value
    special, null, boolean = _MAYBE_SPECIAL, _FAST_NULL, _FAST_BOOL
    todo: list[Any] = [doc]
    while todo:
        node = todo.pop()
        if type(node) is dict:
            for key in node:
                if type(key) is not str or (
                    (key[:1] in special or key in null or key in boolean) and not _plain_value(key, text)
                ):
                    return None
            values = node.values()
        else:
            values = node
        for value in values:
            kind = type(value)
            if kind is str:
                if (value[:1] in special or value in null or value in boolean or value.isspace()) and (
                    not _plain_value(value, text)
                ):
                    return None
            elif kind is dict or kind is list:
                todo.append(value)
            elif value is not None and kind is not bool and not _plain_value(value, text):
                return None
    return [doc]


def _plain_value(value: Any, text: str) -> bool:
    """Whether a scalar yaml_rs read in ``text`` reads the same in the round-trip reader.

    A string that written plain would be something else (``8080``, ``true``, ``1.34``) is a string in
    both readers when it was quoted: so it is when ``text`` quotes it somewhere and never has it as a
    plain scalar (after a space, ``[``, ``{`` or ``,``, before the end of the line, a comment, ``,``,
    ``]``, ``}`` or ``:``). A string with white space steps aside (a plain scalar folded over lines
    could make it; yaml_rs reads a block scalar of empty lines as a line break, the others as empty)."""
    kind = type(value)
    if kind is str:
        if value == "":  # quoted: a plain empty scalar is null in both readers
            return True
        try:
            if _plain_scalar(value) is value and not value.isspace():
                return True
        except _NotFast:
            pass
        if any(c.isspace() for c in value):
            return False
        quoted = text.count(f'"{value}"') + text.count(f"'{value}'")
        plain = re.compile(r"(?:^|[\s\[{,])" + re.escape(value) + r"[ ]*(?:$|#|[,\]}:])", re.M)
        return quoted > 0 and plain.search(text) is None
    if kind is int:
        return bool(-_FAST_INT_MAX < value < _FAST_INT_MAX)
    return kind is bool or value is None


def _load_events(text: str) -> list[Any] | None:
    """:func:`load_fast` by libyaml's events (any text libyaml reads, with anchors and several
    documents), each plain scalar resolved by :func:`_plain_scalar`."""
    try:
        import yaml
        from yaml._yaml import CParser
    except ImportError:
        return None
    docs: list[Any] = []
    stack: list[Any] = []  # open containers; a mapping's pending key is kept as a (dict, [key]) pair
    anchors: dict[str, Any] = {}

    def add(value: Any) -> None:
        if not stack:
            docs.append(value)
            return
        top = stack[-1]
        if isinstance(top, list):
            top.append(value)
            return
        mapping, pending = top
        if not pending:
            if not isinstance(value, str) or value in mapping or value == "<<":
                raise _NotFast("key")
            pending.append(value)
        else:
            mapping[pending.pop()] = value

    # the parser makes events of exactly these classes: dispatch on the type (the loop is the cost)
    scalar_event, alias_event, document_start = yaml.ScalarEvent, yaml.AliasEvent, yaml.DocumentStartEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    try:
        parser = CParser(text)
        get_event = parser.get_event
        try:
            while True:
                event: Any = get_event()  # typed by the type test below
                if event is None:
                    break
                kind = type(event)
                if kind is scalar_event:
                    tag = event.tag
                    if tag is not None and tag != "!":
                        raise _NotFast("tag")
                    value = event.value if event.style or tag == "!" else _plain_scalar(event.value)
                    if event.anchor:
                        anchors[event.anchor] = value
                    add(value)
                elif kind is mapping_start or kind is sequence_start:
                    if event.tag is not None:
                        raise _NotFast("tag")
                    container: Any = {} if kind is mapping_start else []
                    if event.anchor:
                        anchors[event.anchor] = container
                    add(container)
                    stack.append((container, []) if kind is mapping_start else container)
                elif kind in ends:
                    stack.pop()
                elif kind is alias_event:
                    if event.anchor not in anchors:
                        raise _NotFast("alias")
                    add(anchors[event.anchor])
                elif kind is document_start:
                    if event.version is not None or event.tags:  # %YAML / %TAG directives
                        raise _NotFast("directive")
                    anchors = {}
        finally:
            parser.dispose()
    except (_NotFast, yaml.YAMLError, RecursionError, ValueError):
        return None
    return docs
