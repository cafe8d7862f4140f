"""Semantic comparison of two sets of objects: added, removed, changed (field by field), moved.

Field paths are dotted (``spec.values.chunksCache.enabled``); keys that are not plain
identifiers are quoted (``metadata.annotations["cert-manager.io/cluster-issuer"]``). Lists whose
items are mappings with a unique identifying key (containers, env, ports, volumes ...) are
compared item by item through that key (``containers[name=app].image``), so inserting an item
does not show every later one as changed; other lists of mappings are compared by index, and
lists of scalars as whole values. An item that comes or goes is one change with its whole value;
the order of identified items is not compared (Kubernetes merges them by key).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from msgspec import Struct, field

from gitops_gen.diff.objects import Obj


class _Missing:
    """The value on the side where a field does not exist."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

# Keys that identify an item of a list of mappings, tried in this order.
IDENTITY_KEYS = ("name", "mountPath", "containerPort", "port", "devicePath", "ip", "key")


class Named(Struct, frozen=True):
    """A list item found by its identity key: ``containers[name=app]``."""

    key: str
    value: Any


PathPart = Any  # a mapping key (usually str), a list index (int), or a Named list item

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")


class FieldChange(Struct, frozen=True):
    path: tuple[PathPart, ...]
    old: Any  # MISSING when the field is added
    new: Any  # MISSING when the field is removed

    @property
    def path_text(self) -> str:
        return format_path(self.path)

    @property
    def kind(self) -> str:
        if self.old is MISSING:
            return "added"
        if self.new is MISSING:
            return "removed"
        return "changed"


class ChangedObject(Struct):
    key: str
    kind: str
    file: str
    old_file: str
    changes: list[FieldChange]


class ObjectDiff(Struct):
    added: list[Obj] = field(default_factory=list)
    removed: list[Obj] = field(default_factory=list)
    changed: list[ChangedObject] = field(default_factory=list)
    moved: list[tuple[str, str, str]] = field(default_factory=list)  # (key, old file, new file)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def compare_objects(old: Mapping[str, Obj], new: Mapping[str, Obj]) -> ObjectDiff:
    out = ObjectDiff()
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            out.added.append(b)
        elif b is None and a is not None:
            out.removed.append(a)
        elif a is not None and b is not None:
            # the same parse (a file both sides share, see SharedParses): nothing to walk
            changes = [] if a.body is b.body else list(diff_values(a.body, b.body))
            if a.file != b.file:
                out.moved.append((key, a.file, b.file))
            if changes:
                out.changed.append(ChangedObject(key, b.kind or a.kind, b.file, a.file, changes))
            else:
                out.unchanged += 1
    return out


def same(a: Any, b: Any) -> bool:
    """Equality that tells ``true`` from ``1`` and ``"8"`` from ``8`` (YAML-level types matter)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def diff_values(old: Any, new: Any, path: tuple[PathPart, ...] = ()) -> Iterator[FieldChange]:
    """Leaf-level differences between two parsed YAML values (either may be MISSING)."""
    if old is not MISSING and new is not MISSING and same(old, new):
        return
    if _is_map(old) and _is_map(new):
        o = old if isinstance(old, dict) else {}
        n = new if isinstance(new, dict) else {}
        if (not o and not n) or (o and not n and new is not MISSING):
            # {} appearing or going, or a mapping emptied but kept: one change, so that "emptied"
            # never reads like "removed" (which is reported leaf by leaf, below)
            yield FieldChange(path, old, new)
            return
        for key in _ordered_keys(o, n):
            yield from diff_values(o.get(key, MISSING), n.get(key, MISSING), (*path, key))
        return
    if _is_list(old) and _is_list(new):
        o_list = old if isinstance(old, list) else []
        n_list = new if isinstance(new, list) else []
        if (
            (not o_list and not n_list)
            or (_all_scalars(o_list) and _all_scalars(n_list))
            or (o_list and not n_list and new is not MISSING)
        ):
            yield FieldChange(path, old, new)
            return
        ident = identity_key(o_list, n_list)
        if ident is not None:
            o_by = {item[ident]: item for item in o_list}
            n_by = {item[ident]: item for item in n_list}
            order = [item[ident] for item in o_list] + [
                item[ident] for item in n_list if item[ident] not in o_by
            ]
            for value in order:
                a, b = o_by.get(value, MISSING), n_by.get(value, MISSING)
                if a is MISSING or b is MISSING:  # a whole item comes or goes: one change
                    yield FieldChange((*path, Named(ident, value)), a, b)
                else:
                    yield from diff_values(a, b, (*path, Named(ident, value)))
            return
        for i in range(max(len(o_list), len(n_list))):
            yield from diff_values(
                o_list[i] if i < len(o_list) else MISSING,
                n_list[i] if i < len(n_list) else MISSING,
                (*path, i),
            )
        return
    yield FieldChange(path, old, new)


def _is_map(value: Any) -> bool:
    return isinstance(value, dict) or value is MISSING


def _is_list(value: Any) -> bool:
    return isinstance(value, list) or value is MISSING


def _all_scalars(items: list[Any]) -> bool:
    return all(not isinstance(x, dict | list) for x in items)


def _ordered_keys(a: dict[Any, Any], b: dict[Any, Any]) -> list[Any]:
    keys = list(a)
    keys.extend(k for k in b if k not in a)
    return keys


def identity_key(*lists: list[Any]) -> str | None:
    """The first of :data:`IDENTITY_KEYS` that every item of every list has, unique per list."""
    items = [x for lst in lists for x in lst]
    if not items or not all(isinstance(x, dict) for x in items):
        return None
    for key in IDENTITY_KEYS:
        ok = True
        for lst in lists:
            values = [x.get(key) for x in lst]
            if any(v is None or isinstance(v, dict | list | bool) for v in values) or len(
                set(map(repr, values))
            ) != len(values):
                ok = False
                break
        if ok:
            return key
    return None


def format_path(path: tuple[PathPart, ...]) -> str:
    text = ""
    for part in path:
        if isinstance(part, Named):
            value = part.value
            plain = isinstance(value, int) or (isinstance(value, str) and _PLAIN_KEY.match(value))
            shown = value if plain else json.dumps(value, ensure_ascii=False, default=str)
            text += f"[{part.key}={shown}]"
        elif isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY.match(part):
            text += ("." if text else "") + part
        else:
            text += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return text or "(whole object)"


def format_value(value: Any, limit: int | None = 120) -> str:
    """A value as JSON (``true``, ``8``, ``"8"``, ``{"a": 1}``), ``(absent)`` for MISSING."""
    if value is MISSING:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text
