"""A small, deterministic YAML emitter for rendered manifests.

Why not ruamel or PyYAML: the renderer must start and finish fast (the whole reference platform in
well under half a second including interpreter start), and its output must be byte-stable across
library versions. The data we emit is plain JSON-like (dict, list, str, int, float, bool, None), so
a few dozen lines suffice.

Rules:

* mappings keep their insertion order unless ``sort_keys`` is true (Helm values are emitted sorted,
  so the same values give the same text whatever order they were merged in);
* a string is emitted plain only when YAML 1.1 *and* 1.2 parsers both read it back as the same
  string (no ``yes``/``no``/``on``/``off``, no numbers, no octal, no timestamps, no indicators);
  otherwise it is double-quoted with JSON escapes, which are valid YAML double-quoted escapes;
* multi-line strings become literal blocks (``|``/``|-``) when that is lossless, else double-quoted.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from gitops_gen.memo import short_string_cache

_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./@:=+-]*$")
_RESERVED = frozenset(
    {
        "y",
        "n",
        "yes",
        "no",
        "on",
        "off",
        "true",
        "false",
        "null",
        "~",
        "Y",
        "N",
        "Yes",
        "No",
        "On",
        "Off",
        "True",
        "False",
        "Null",
        "YES",
        "NO",
        "ON",
        "OFF",
        "TRUE",
        "FALSE",
        "NULL",
        ".nan",
        ".NaN",
        ".NAN",
        ".inf",
        ".Inf",
        ".INF",
    }
)
_NUMBERISH = re.compile(
    # everything YAML 1.1 or 1.2 would read as an int, float or timestamp (full match)
    r"^[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*|[1-9][0-9_]*(:[0-5]?[0-9])+)$"
    r"|^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?$"
    r"|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"
    r"|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*$"
    r"|^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
)


def scalar(value: Any) -> str:
    """One scalar as YAML text (no trailing newline)."""
    if type(value) is str:  # the common case first
        return quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        if "." not in mantissa:
            mantissa += ".0"  # YAML 1.1 reads 1e-05 as a string: it wants a dot (and a signed exponent)
        return mantissa + e + exponent
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"cannot emit {type(value).__name__} as YAML")


# JSON leaves these unescaped, but YAML either reads them as line breaks (NEL, LS, PS) or does not
# allow them in a stream at all (DEL, C1 controls, BOM, non-characters, lone surrogates).
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


# keys and values repeat across a tree's objects (``app.kubernetes.io/name``, ``ClusterIP``, ``100m``)
@short_string_cache(max_len=128, maxsize=8192)
def quote(text: str) -> str:
    """A string scalar: plain when unambiguous, otherwise JSON-style double quoted."""
    if _is_plain(text):
        return text
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def _is_plain(text: str) -> bool:
    if not text or text in _RESERVED or not _PLAIN_SAFE.fullmatch(text):
        return False
    if _NUMBERISH.match(text):
        return False
    # ': ' cannot appear (no spaces allowed); a trailing ':' would read as a mapping key.
    return not text.endswith(":")


def dump(value: Any, *, indent: int = 0, sort_keys: bool = False) -> str:
    """Emit ``value`` as a block YAML node, every line indented by ``indent`` spaces.

    A mapping or sequence gives one or more full lines ending with a newline; a scalar gives
    its text followed by a newline. Use :func:`dump_field` to emit ``key: value`` pairs.
    """
    out: list[str] = []
    _emit(value, indent, out, sort_keys)
    return "".join(out)


def dump_field(key: str, value: Any, *, indent: int = 0, sort_keys: bool = False) -> str:
    """``key: value`` (block style for collections) as full lines."""
    out: list[str] = []
    _emit_pair(key, value, indent, out, sort_keys)
    return "".join(out)


def _sorted_items(mapping: dict[Any, Any]) -> list[tuple[Any, Any]]:
    return sorted(mapping.items(), key=lambda kv: str(kv[0]))


def _key(key: Any) -> str:
    if isinstance(key, str):
        return quote(key)
    return scalar(key)


# tuples, not ``dict | list``: isinstance is the emitter's most frequent call, and a union is slower
_COLLECTION = (dict, list, tuple)
_SEQUENCE = (list, tuple)


def _emit(value: Any, indent: int, out: list[str], sort_keys: bool) -> None:
    if isinstance(value, dict):
        if not value:
            out.append(" " * indent + "{}\n")
            return
        for k, v in _sorted_items(value) if sort_keys else value.items():
            _emit_pair(k, v, indent, out, sort_keys)
    elif isinstance(value, _SEQUENCE):
        if not value:
            out.append(" " * indent + "[]\n")
            return
        for item in value:
            _emit_item(item, indent, out, sort_keys)
    else:
        out.append(" " * indent + _scalar_or_block(value, indent) + "\n")


def _emit_pair(key: Any, value: Any, indent: int, out: list[str], sort_keys: bool) -> None:
    head = " " * indent + (quote(key) if type(key) is str else _key(key)) + ":"
    if not isinstance(value, _COLLECTION):
        out.append(head + " " + _scalar_or_block(value, indent + 2) + "\n")
    elif value:
        out.append(head + "\n")
        # sequences inside mappings are indented by two, as kubectl and Helm write them
        _emit(value, indent + 2, out, sort_keys)
    elif isinstance(value, dict):
        out.append(head + " {}\n")
    else:
        out.append(head + " []\n")


def _emit_item(item: Any, indent: int, out: list[str], sort_keys: bool) -> None:
    pad = " " * indent
    if not isinstance(item, _COLLECTION):
        out.append(pad + "- " + _scalar_or_block(item, indent + 2) + "\n")
    elif item:
        inner: list[str] = []
        _emit(item, indent + 2, inner, sort_keys)
        out.append(pad + "- " + inner[0][indent + 2 :])
        out.extend(inner[1:])
    elif isinstance(item, dict):
        out.append(pad + "- {}\n")
    else:
        out.append(pad + "- []\n")


def _scalar_or_block(value: Any, indent: int) -> str:
    """A scalar; multi-line strings as a literal block indented by ``indent`` when lossless."""
    if type(value) is str and "\n" not in value:  # the common case
        return quote(value)
    if isinstance(value, str) and "\n" in value and _block_ok(value):
        body = value[:-1] if value.endswith("\n") else value
        indicator = "|" if value.endswith("\n") else "|-"
        pad = " " * indent
        lines = [(pad + line) if line else "" for line in body.split("\n")]
        return indicator + "\n" + "\n".join(lines)
    return scalar(value)


def _block_ok(text: str) -> bool:
    """A literal block keeps ``text`` exactly: no leading blank/space line, one final newline at most,
    no trailing spaces, only printable characters."""
    if text.startswith((" ", "\n", "\t")) or text.endswith("\n\n"):
        return False
    if any(line != line.rstrip(" \t") for line in text.split("\n")):
        return False
    return all(ch == "\n" or (ch.isprintable() and ch not in "\ufeff\u2028\u2029\x85") for ch in text)
