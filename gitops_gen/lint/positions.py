"""Exact positions of fields, recovered only where a finding needs one.

Every manifest is parsed by the fast Rust loader, which knows no positions. When a finding names a
field path (``("spec", "template", "spec", "containers", 0, "image")``), :func:`locate` finds the
line and column of that field in the document's text with a line scanner over block-style YAML
(what Kubernetes manifests are): keys at the mapping's indentation, ``- `` items of sequences
(indented or not). It returns the same place ruamel.yaml's ``position_of`` does (the key of a mapping
entry, the start of a sequence item) — a test compares both on real repositories — at a fraction of
the cost. Where the scanner cannot follow the path (flow style ``{...}``/``[...]``, odd quoting), the
document alone is re-read with ruamel (:func:`gitops_gen.yamlio.position_of`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

FieldPath = tuple[str | int, ...]


def _view(lines: Sequence[str], i: int, overrides: dict[int, tuple[int, str]]) -> tuple[int, str]:
    ov = overrides.get(i)
    if ov is not None:
        return ov
    raw = lines[i]
    stripped = raw.lstrip(" ")
    return len(raw) - len(stripped), stripped.rstrip("\r")


def _is_skip(content: str) -> bool:
    return not content or content[0] == "#"


def _key_matches(content: str, key: str) -> bool:
    for form in (key, f'"{key}"', f"'{key}'"):
        if content.startswith(form):
            rest = content[len(form) :]
            if rest.startswith(":") and (len(rest) == 1 or rest[1] in " \t"):
                return True
    return False


def _after_colon(content: str, key: str) -> str:
    for form in (key, f'"{key}"', f"'{key}'"):
        if content.startswith(form + ":"):
            return content[len(form) + 1 :].strip()
    return ""


def _siblings(
    lines: Sequence[str], f: int, e: int, indent: int, overrides: dict[int, tuple[int, str]]
) -> Iterator[tuple[int, str]]:
    """Content lines of ``lines[f:e]`` at exactly ``indent``, up to the first line indented less
    (the entries of one block mapping or sequence, and what is nested in them skipped)."""
    for i in range(f, e):
        ind, c = _view(lines, i, overrides)
        if not c or c[0] == "#":
            continue
        if ind < indent:
            return
        if ind == indent:
            yield i, c


def locate(lines: Sequence[str], start: int, end: int, path: FieldPath) -> tuple[int, int, int]:
    """Find ``path`` in ``lines[start:end]`` (one YAML document).

    Returns ``(line, column, depth)``: 1-based position of the deepest element found and how many
    parts of ``path`` were followed (``depth == len(path)`` when all of it was found). ``line`` is 0
    if not even the first part was found.
    """
    overrides: dict[int, tuple[int, str]] = {}
    s, e = start, end
    best = (0, 0)
    depth = 0
    for part in path:
        # first content line of the region
        f = s
        while f < e and _is_skip(_view(lines, f, overrides)[1]):
            f += 1
        if f >= e:
            break
        ind0, c0 = _view(lines, f, overrides)
        if isinstance(part, str):
            found = next((i for i, c in _siblings(lines, f, e, ind0, overrides) if _key_matches(c, part)), -1)
            if found < 0:
                break
            ind, c = _view(lines, found, overrides)
            best = (found + 1, ind + 1)
            depth += 1
            rest = _after_colon(c, part)
            if rest and not rest.startswith("#") and not rest.startswith(("|", ">", "&", "!")):
                # inline value: a scalar or flow collection; cannot go deeper by lines
                s, e = found + 1, found + 1
                continue
            # value block: following lines more indented, or an indentless "- " sequence at ind
            j = found + 1
            while j < e:
                jind, jc = _view(lines, j, overrides)
                if _is_skip(jc):
                    j += 1
                    continue
                if jind > ind or (jind == ind and (jc == "-" or jc.startswith("- "))):
                    j += 1
                    continue
                break
            s, e = found + 1, j
        else:
            if not (c0 == "-" or c0.startswith("- ")):
                break
            dash = ind0
            count = -1
            item_line = -1
            for i, c in _siblings(lines, f, e, dash, overrides):
                if not (c == "-" or c.startswith("- ")):
                    break
                count += 1
                if count == part:
                    item_line = i
                    break
            if item_line < 0:
                break
            _ind, c = _view(lines, item_line, overrides)
            after = c[1:]
            content = after.lstrip(" ")
            col = dash + 1 + (len(after) - len(content))
            depth += 1
            # end of the item: next line at indentation <= dash
            j = item_line + 1
            while j < e:
                jind, jc = _view(lines, j, overrides)
                if _is_skip(jc) or jind > dash:
                    j += 1
                    continue
                break
            if content and not content.startswith("#"):
                best = (item_line + 1, col + 1)
                overrides[item_line] = (col, content)
                s, e = item_line, j
            else:  # "-" alone: the item starts on the next line
                best = (item_line + 1, dash + 1)
                s, e = item_line + 1, j
                k = s
                while k < e and _is_skip(_view(lines, k, overrides)[1]):
                    k += 1
                if k < e:
                    kind_, _c = _view(lines, k, overrides)
                    best = (k + 1, kind_ + 1)
    return best[0], best[1], depth


def path_exists(body: Any, path: FieldPath) -> bool:
    node = body
    for part in path:
        if isinstance(node, dict):
            if part not in node:
                return False
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False
    return True


def field_position(
    lines: Sequence[str], start: int, end: int, body: Any, path: FieldPath, prefix: FieldPath = ()
) -> tuple[int, int]:
    """1-based (line, column) of ``path`` in the object ``body`` whose text is ``lines[start:end]``;
    (0, 0) when not even its first part is there.

    ``prefix`` is where the object sits in its document: ``()`` for a document that is the object,
    ``("items", i)`` for an item of a ``kind: List``. The line scanner answers; where it stops short of
    a field that exists, the document alone is re-read with ruamel.
    """
    full = prefix + path if prefix else path
    line, col, depth = locate(lines, start, end, full)
    if depth < len(full) and path_exists(body, path):
        pos = ruamel_locate("\n".join(lines[start:end]), full)
        if pos is not None:
            line, col = pos[0] + start, pos[1]
    return line, col


def ruamel_locate(doc_text: str, path: FieldPath) -> tuple[int, int] | None:
    """Position of ``path`` in one document's text, by a full ruamel.yaml round-trip parse."""
    from gitops_gen.errors import UserError
    from gitops_gen.yamlio import load_positioned, position_of

    try:
        docs = load_positioned(doc_text, "<doc>")
    except (UserError, Exception):  # the fast parser accepted it; never fail on a position
        return None
    if not docs:
        return None
    line, col = position_of(docs[0], path)
    return (line, col) if line else None
