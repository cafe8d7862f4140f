"""Flux post-build variable substitution (``postBuild.substitute``/``substituteFrom``), offline.

The dialect of ``fluxcd/pkg/envsubst`` as the design note (flux-build-semantics.md §1 #37-#53)
describes it, for the forms repositories use:

* ``${v}``; ``${v:=d}``, ``${v:-d}``, ``${v=d}`` (every default form: the default when ``v`` is
  unset *or empty*; defaults may nest); bare ``$v`` is left alone;
* ``$$`` outside ``${...}`` is one ``$`` (``$${v}`` -> literal ``${v}``);
* strict mode (the controller's default since v1.9): an unset variable without a default is an error;
* values are inserted verbatim and never re-expanded.

Variables marked *opaque* (values of SOPS-encrypted Secrets, unknown offline) leave their
expression as written, so rules keep treating the field as "resolved at apply time".

Flux substitutes the YAML text of each object and parses it again, so a substituted scalar takes
its YAML type (``replicas: ${R}`` with ``R=3`` is the integer 3). Here strings are substituted
one by one (keys and values) and a changed string is read again as a YAML scalar.
"""

from __future__ import annotations

import re
from typing import Any

from msgspec import Struct, field

VAR_NAME = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
_DEFAULT_OPS = (":=", ":-", "=", ":+", ":?")
DISABLED = "kustomize.toolkit.fluxcd.io/substitute"


class SubstitutionError(Exception):
    """A variable is unset in strict mode, or an expression cannot be parsed."""


class Variables(Struct):
    values: dict[str, str] = field(default_factory=dict)
    opaque: set[str] = field(default_factory=set)  # known names with values unknown offline
    complete: bool = True  # False when a substituteFrom source could not be found offline

    def __bool__(self) -> bool:
        return bool(self.values) or bool(self.opaque)


class _Unknown(Exception):
    """An opaque or possibly-defined-elsewhere variable: keep the expression as written."""


def _close(text: str, i: int) -> int:
    """Index of the ``}`` closing the ``${`` whose body starts at ``i`` (nesting counted)."""
    depth = 1
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise SubstitutionError("missing closing brace")


def _expr(body: str, env: Variables, strict: bool) -> str:
    m = re.match(r"[_\w]+", body)
    if not m:
        raise SubstitutionError(f"unable to parse variable name in ${{{body}}}")
    name, rest = m.group(0), body[m.end() :]
    for op in _DEFAULT_OPS:
        if rest.startswith(op):
            default = rest[len(op) :]
            if name in env.opaque:
                raise _Unknown
            value = env.values.get(name, "")
            return value if value else expand(default, env, strict)
    if rest:
        # transformations (${v^^}, ${v:1}, ${v/a/b}, ...): not modelled; keep the text
        raise _Unknown
    if name in env.opaque:
        raise _Unknown
    if name in env.values:
        return env.values[name]
    if not env.complete:
        raise _Unknown
    if strict:
        raise SubstitutionError(f"variable not set (strict mode): {name!r}")
    return ""


def expand(text: str, env: Variables, strict: bool = True) -> str:
    """``text`` with every ``${...}`` substituted and ``$$`` collapsed."""
    if "$" not in text:
        return text
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c != "$":
            j = text.find("$", i)
            j = n if j < 0 else j
            out.append(text[i:j])
            i = j
            continue
        if text.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        if text.startswith("${", i):
            end = _close(text, i + 2)
            try:
                out.append(_expr(text[i + 2 : end], env, strict))
            except _Unknown:
                out.append(text[i : end + 1])
            i = end + 1
            continue
        out.append("$")
        i += 1
    return "".join(out)


_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+|0o[0-7]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = frozenset({"", "~", "null", "Null", "NULL"})


def _retype(before: str, after: str) -> Any:
    """A substituted string as the YAML scalar Flux reads back (int, float, bool, null or string)."""
    if after == before:
        return after
    s = after.strip()
    if s in _NULL:
        return None
    if s in _BOOL:
        return _BOOL[s]
    if _INT.fullmatch(s):
        return int(s, 0)
    if _FLOAT.fullmatch(s):
        return float(s)
    return after


def substitute(body: Any, env: Variables, strict: bool = True) -> Any:
    """A copy of ``body`` with keys and string values substituted (a changed scalar re-typed)."""
    if isinstance(body, str):
        if "$" not in body:
            return body
        return _retype(body, expand(body, env, strict))
    if isinstance(body, dict):
        return {
            (expand(k, env, strict) if isinstance(k, str) else k): substitute(v, env, strict)
            for k, v in body.items()
        }
    if isinstance(body, list):
        return [substitute(v, env, strict) for v in body]
    return body


def disabled(body: dict[str, Any]) -> bool:
    """The object opts out (label or annotation ``kustomize.toolkit.fluxcd.io/substitute: disabled``)."""
    meta = body.get("metadata")
    if not isinstance(meta, dict):
        return False
    for key in ("labels", "annotations"):
        m = meta.get(key)
        if isinstance(m, dict) and m.get(DISABLED) == "disabled":
            return True
    return False
