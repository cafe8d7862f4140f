"""Validate a positioned document against a Pydantic model; every error located, named and explained.

The document is a ruamel.yaml round-trip tree (:func:`gitops_gen.yamlio.load_positioned`) or anything
shaped like one (mappings and sequences with ruamel's ``lc`` positions), so specs and the lint
configuration report their errors the same way::

    specs/apps/lingua-app.yaml:31:3: spec.autoscalling: unknown field; did you mean 'autoscaling'?

A validator may raise ``PydanticCustomError(type, message, {"hint": ...})``: its message is kept and
its hint shown. A bad mapping *key* (a ``dict`` key type that refused it) points at the key, any other
bad value at the value.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from gitops_gen.errors import Location, Problem, Problems
from gitops_gen.values import dotted
from gitops_gen.yamlio import node_position, position_of, to_plain

M = TypeVar("M", bound=BaseModel)

TYPES_HINT = "see `gitops-gen schema` for the expected types"


def validate_positioned(
    model_cls: type[M],
    doc: Any,
    name: str,
    problems: Problems,
    *,
    context: dict[str, object] | None = None,
    types_hint: str = TYPES_HINT,
    plain: bool = False,
) -> M | None:
    """``model_cls`` validated from ``doc``, or None with every error added to ``problems``.
    ``plain``: ``doc`` holds only dicts, lists and plain scalars (no copy is made)."""
    try:
        return model_cls.model_validate(doc if plain else to_plain(doc), context=context)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            problems.add(problem_from_error(err, doc, name, model_cls, types_hint=types_hint))
        return None
    except RecursionError:
        line, col = node_position(doc)
        problems.add(Problem(Location(name, line or 1, col or 1), "document nests too deeply"))
        return None


def problem_from_error(
    err: ErrorDetails, doc: Any, name: str, model_cls: type[BaseModel], *, types_hint: str = TYPES_HINT
) -> Problem:
    """One Pydantic error (an item of ``ValidationError.errors()``) as a located :class:`Problem`."""
    raw = tuple(err.get("loc", ()))
    loc = _clean_loc(raw)
    key_path = dotted(loc)
    line, col = position_of(doc, loc)
    etype = err.get("type", "")
    msg = str(err.get("msg", "invalid value"))
    ctx = err.get("ctx") or {}
    hint = ""
    if _sensitive(doc, loc, err.get("input")):  # never echo what may be a credential
        err = {**err, "input": _REDACTED}
        if etype == "value_error":
            msg = "Value error, invalid value (not shown: it may be a credential)"
    if etype not in ("extra_forbidden", "missing") and "[key]" not in raw:
        line, col = _value_position(doc, loc) or (line, col)
    if isinstance(ctx.get("hint"), str):
        hint = ctx["hint"]  # a PydanticCustomError of ours: its message and hint as written
    elif etype == "extra_forbidden":
        valid = _valid_keys(model_cls, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6) if valid and loc else []
        msg = "unknown field"
        hint = (
            f"did you mean {close[0]!r}?"
            if close
            else (f"valid fields here: {', '.join(valid)}" if valid else "remove it")
        )
    elif etype == "missing":
        msg = "required field is missing"
        hint = f"add '{loc[-1]}:'" if loc else ""
        line, col = position_of(doc, loc[:-1])
    elif etype.startswith("literal_error"):
        hint = msg.replace("Input should be", "use")
        msg = f"invalid value {err.get('input')!r}"
    elif etype == "value_error":
        msg = msg.removeprefix("Value error, ")
        hint = "fix the value"
    elif etype in (
        "int_type",
        "int_parsing",
        "bool_type",
        "bool_parsing",
        "string_type",
        "dict_type",
        "list_type",
        "model_type",
        "float_type",
        "int_from_float",
    ):
        if etype == "model_type":  # not "a valid dictionary or instance of NodesConfig": a class name
            msg = "Input should be a mapping"
        msg = f"wrong type: {msg[0].lower() + msg[1:]} (got {type(err.get('input')).__name__} {_short(err.get('input'))})"
        hint = types_hint
    elif etype == "string_pattern_mismatch":
        msg = f"invalid value {_short(err.get('input'))}: {msg[0].lower() + msg[1:]}"
        hint = "fix the value"
    else:
        hint = "fix the value"
    return Problem(Location(name, line or 1, col or 1), msg, key_path, hint)


class _Redacted:
    def __repr__(self) -> str:
        return "<redacted>"


_REDACTED = _Redacted()


def _sensitive(doc: Any, loc: tuple[str | int, ...], value: Any) -> bool:
    """A value under a credential key (or an env entry named like one), or holding a URL with a
    password: error messages must not show it."""
    from gitops_gen.credentials import credential_kind, url_with_password

    def credential(key: object) -> bool:
        return isinstance(key, str) and credential_kind(key, strict=True) is not None

    if isinstance(value, str) and (url_with_password(value) or ("@" in value and "://" in value)):
        return True
    if any(credential(part) for part in loc):
        return True
    if loc and loc[-1] == "value":  # {name: DB_PASSWORD, value: ...}
        node = doc
        for part in loc[:-1]:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return False
        return isinstance(node, dict) and credential(node.get("name"))
    return False


def _value_position(doc: Any, loc: tuple[str | int, ...]) -> tuple[int, int] | None:
    """1-based position of the scalar *value* at ``loc`` (``port: eighty`` -> the 'e'), if known."""
    if not loc:
        return None
    node = doc
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    key = loc[-1]
    lc = getattr(node, "lc", None)
    if lc is None or not isinstance(node, dict) or key not in node or isinstance(node[key], dict | list):
        return None
    try:
        line, col = lc.value(key)
    except (KeyError, TypeError):
        return None
    return (line + 1, col + 1)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_MARKER = re.compile(r"[a-z][a-z-]*\[")  # function-after[...], list[...], tagged-union[...]


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop pydantic's union/constraint markers (``'int'``, ``'constrained-str'``, ``'[key]'``...) from a loc."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (
            part == "[key]"
            or _MARKER.match(part) is not None  # a user's key may hold '[' ("S[PEC"): kept
            or part
            in (
                "int",
                "str",
                "constrained-str",
                "constrained-int",
                "function-after",
                "function-before",
                "literal",
            )
        ):
            continue
        out.append(part)
    return tuple(out)


def _fields(cls: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields by the key a document uses for them (the alias, if any)."""
    return {info.alias or field: info for field, info in cls.model_fields.items()}


def _valid_keys(model_cls: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The keys valid at ``loc`` below ``model_cls`` (for 'did you mean' hints)."""
    current: Any = model_cls
    for part in loc:
        if isinstance(part, int):
            current = _unwrap_list(current)
            continue
        cls = _model_in(current)
        if cls is None or part not in _fields(cls):
            return []
        current = _fields(cls)[part].annotation
    cls = _model_in(_unwrap_list(current)) or _model_in(current)
    return sorted(_fields(cls)) if cls is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _unwrap_list(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is list:
        return typing.get_args(annotation)[0]
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if typing.get_origin(arg) is list:
                return typing.get_args(arg)[0]
    return annotation
