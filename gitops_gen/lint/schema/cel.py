"""CEL validation rules of CRD schemas (``x-kubernetes-validations``), evaluated as the API server does.

The expressions run on ``common-expression-language`` (Rust ``cel`` crate bindings: a parsed rule
runs in ~1 µs; ``cel-python``, pure Python, was ~10x slower to compile and run). What the API server
does and we do too:

* each rule sees ``self`` = the value at its schema node, after the schema's ``default`` values were
  applied (defaulting happens before validation); a rule on a field that is absent or ``null`` is
  not evaluated;
* rules that use ``oldSelf`` are transition rules: they compare with the stored object and do not
  run when an object is created, so they are skipped;
* the Kubernetes CEL library functions that the bundled CRDs call (``isIP``; the strings extension:
  ``lowerAscii``, ``upperAscii``, ``split``, ``substring``, ``trim``, ``replace``, ``indexOf``,
  ``lastIndexOf``, ``join``) are provided in Python; ``matches``, ``duration``, macros and
  ``has`` are CEL's own;
* a failing rule reports its ``message`` (or ``messageExpression``, else "failed rule: RULE") at
  ``fieldPath`` when the rule gives one, else at the rule's field.

A rule that cannot be evaluated here (an unknown function, a runtime error such as a missing key, a
value under Flux post-build substitution ``${VAR}``, an expression the library cannot parse) is not
a pass and not an error: it is returned as *skipped*, with the reason, for ``lint --verbose``.
Every rule is compiled once per process (:func:`_compile`, keyed by its text).
"""

from __future__ import annotations

import copy
import ipaddress
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from msgspec import Struct, field

from gitops_gen.k8s.model import FieldPath


class CelFailure(Struct, frozen=True):
    path: FieldPath
    message: str
    rule: str


class CelSkip(Struct, frozen=True):
    path: FieldPath
    rule: str
    reason: str


class _Rule(Struct):
    text: str
    message: str
    message_expression: str
    field_path: str


class _Node(Struct):
    """The part of a schema that has rules or defaults below it (everything else is pruned)."""

    rules: list[_Rule] = field(default_factory=list)
    props: dict[str, _Node] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    items: _Node | None = None  # array items
    values: _Node | None = None  # additionalProperties (maps)


def _build(schema: Any) -> _Node | None:
    if not isinstance(schema, dict):
        return None
    node = _Node()
    for r in schema.get("x-kubernetes-validations") or ():
        if isinstance(r, dict) and isinstance(r.get("rule"), str) and "oldSelf" not in r["rule"]:
            node.rules.append(
                _Rule(
                    r["rule"],
                    str(r.get("message") or ""),
                    str(r.get("messageExpression") or ""),
                    str(r.get("fieldPath") or ""),
                )
            )
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, sub in props.items():
            if isinstance(sub, dict) and "default" in sub:
                node.defaults[name] = sub["default"]
            child = _build(sub)
            if child is not None:
                node.props[name] = child
    node.items = _build(schema.get("items"))
    node.values = _build(schema.get("additionalProperties"))
    if not (node.rules or node.props or node.defaults or node.items or node.values):
        return None
    return node


def _has_rules(node: _Node | None) -> bool:
    if node is None:
        return False
    return bool(
        node.rules
        or any(_has_rules(c) for c in node.props.values())
        or _has_rules(node.items)
        or _has_rules(node.values)
    )


class CelRules:
    """The CEL rules of one CRD version's ``openAPIV3Schema``: ``evaluate(body)`` per object."""

    def __init__(self, openapi: dict[str, Any]) -> None:
        root = _build(openapi)
        self.root = root if _has_rules(root) else None

    @property
    def empty(self) -> bool:
        return self.root is None

    def evaluate(self, body: dict[str, Any]) -> tuple[list[CelFailure], list[CelSkip]]:
        failures: list[CelFailure] = []
        skips: list[CelSkip] = []
        if self.root is not None:
            _walk(body, self.root, (), failures, skips)
        return failures, skips


def _walk(value: Any, node: _Node, path: FieldPath, failures: list[CelFailure], skips: list[CelSkip]) -> Any:
    """Default ``value`` (a copy where needed), evaluate the rules below and at ``node``; return it."""
    if isinstance(value, dict):
        if node.defaults or node.props or node.values:
            value = dict(value)
            for name, default in node.defaults.items():
                if name not in value:
                    value[name] = copy.deepcopy(default)
            for name, child in node.props.items():
                if name in value and value[name] is not None:
                    value[name] = _walk(value[name], child, (*path, name), failures, skips)
            if node.values is not None:
                for key in list(value):
                    if key not in node.props and value[key] is not None:
                        value[key] = _walk(value[key], node.values, (*path, key), failures, skips)
    elif isinstance(value, list) and node.items is not None:
        value = [
            _walk(v, node.items, (*path, i), failures, skips) if v is not None else v
            for i, v in enumerate(value)
        ]
    for rule in node.rules:
        _run(rule, value, path, failures, skips)
    return value


def _run(rule: _Rule, value: Any, path: FieldPath, failures: list[CelFailure], skips: list[CelSkip]) -> None:
    program = _compile(rule.text)
    if isinstance(program, str):
        skips.append(CelSkip(path, rule.text, program))
        return
    ctx = _context()
    try:
        ctx.add_variable("self", value)
    except Exception:  # ValueError: a value CEL has no type for (an integer past 64 bits)
        skips.append(CelSkip(path, rule.text, "the object holds a value CEL cannot represent"))
        return
    try:
        result = program.execute(ctx)
    except Exception as exc:  # the library raises KeyError, RuntimeError, TypeError, ValueError
        reason = "uses a post-build substitution (${VAR})" if _substituted(value) else _reason(exc)
        skips.append(CelSkip(path, rule.text, reason))
        return
    if result is True:
        return
    if result is not False:
        skips.append(CelSkip(path, rule.text, f"returned {type(result).__name__}, not a bool"))
        return
    if _substituted(value):
        skips.append(CelSkip(path, rule.text, "uses a post-build substitution (${VAR})"))
        return
    failures.append(CelFailure(_field_path(path, rule.field_path), _message(rule, ctx), rule.text))


def _message(rule: _Rule, ctx: Any) -> str:
    if rule.message:
        return rule.message
    if rule.message_expression:
        program = _compile(rule.message_expression)
        if not isinstance(program, str):
            try:
                out = program.execute(ctx)
                if isinstance(out, str) and out:
                    return out
            except Exception:  # a broken messageExpression falls back to the rule, as the API server does
                pass
    return f"failed rule: {rule.text}"


_FIELD_PATH_RE = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[['\"]([^'\"]+)['\"]\]|\[(\d+)\]")


def _field_path(base: FieldPath, field_path: str) -> FieldPath:
    """A rule's ``fieldPath`` (``.spec.chartRef``, ``['a.b']``, ``[0]``) below the rule's node."""
    if not field_path:
        return base
    out: list[str | int] = list(base)
    pos = 0
    for m in _FIELD_PATH_RE.finditer(field_path):
        if m.start() != pos:
            return base
        pos = m.end()
        out.append(int(m.group(3)) if m.group(3) is not None else (m.group(1) or m.group(2)))
    return tuple(out) if pos == len(field_path) else base


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"no such key {exc}"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def _substituted(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if "${" in v:
                return True
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


@cache
def _cel() -> Any:
    """The library's Rust extension module. ``import cel`` also imports its command line (typer, rich,
    prompt_toolkit: ~100 ms per lint run); the extension alone loads in ~20 ms. Falls back to the
    package when its layout changes."""
    import importlib.util
    from pathlib import Path

    try:
        spec = importlib.util.find_spec("cel")
        if spec is not None and spec.submodule_search_locations:
            lib = next(Path(next(iter(spec.submodule_search_locations))).glob("cel.*.so"), None)
            ext = importlib.util.spec_from_file_location("cel.cel", lib) if lib is not None else None
            if ext is not None and ext.loader is not None:
                module = importlib.util.module_from_spec(ext)
                ext.loader.exec_module(module)
                if hasattr(module, "compile") and hasattr(module, "Context"):
                    return module
    except (ImportError, OSError):
        pass
    import cel

    return cel


@cache
def _compile(text: str) -> Any:
    """The compiled program of a rule, or the reason it cannot be compiled (a str)."""
    try:
        return _cel().compile(text)
    except Exception as exc:  # parse errors are ValueError; keep any library error a skip, not a crash
        return f"cannot be parsed: {str(exc).splitlines()[0][:120]}"


def _is_ip(text: Any) -> bool:
    if not isinstance(text, str) or "%" in text:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _substring(s: str, start: int, end: int | None = None) -> str:
    if start < 0 or start > len(s) or (end is not None and (end < start or end > len(s))):
        raise ValueError(f"substring: index out of range: {start}, {end}")
    return s[start:end]


def _split(s: str, sep: str, limit: int | None = None) -> list[str]:
    if limit is None or limit < 0:
        return s.split(sep)
    if limit == 0:
        return []
    return s.split(sep, limit - 1)


def _index_of(s: str, sub: str, start: int = 0) -> int:
    return s.find(sub, start)


# the Kubernetes CEL libraries' functions (https://kubernetes.io/docs/reference/using-api/cel/)
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "isIP": _is_ip,
    "lowerAscii": lambda s: "".join(c.lower() if c.isascii() else c for c in s),
    "upperAscii": lambda s: "".join(c.upper() if c.isascii() else c for c in s),
    "split": _split,
    "substring": _substring,
    "trim": lambda s: s.strip(),
    "replace": lambda s, old, new, n=-1: s.replace(old, new, n),
    "indexOf": _index_of,
    "lastIndexOf": lambda s, sub: s.rfind(sub),
    "join": lambda items, sep="": sep.join(items),
}


_CTX: list[Any] = []


def _context() -> Any:
    """One evaluation context per process with the library functions; ``self`` is set per rule."""
    if not _CTX:
        ctx = _cel().Context()
        for name, fn in _FUNCTIONS.items():
            ctx.add_function(name, fn)
        _CTX.append(ctx)
    return _CTX[0]
