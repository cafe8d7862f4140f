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

from collections.abc import Sequence
from typing import Any

FieldPath = tuple[str | int, ...]


class LineIndex:
    """One pass over a file's lines, shared by every finding of that file.

    Per line: its indentation and its content (indentation and a trailing CR removed), whether it is
    blank or a comment, and ``nxt``: the next content line indented no deeper (the end of the block the
    line opens). :func:`locate` jumps from entry to entry of a mapping or sequence with ``nxt``
    instead of scanning what is nested in them.
    """

    __slots__ = ("content", "ind", "n", "nxt")

    def __init__(self, lines: Sequence[str]) -> None:
        n = len(lines)
        ind = [0] * n
        content = [""] * n
        nxt = [n] * n
        stack: list[int] = []  # content lines whose block is still open, indentation increasing
        for i, raw in enumerate(lines):
            stripped = raw.lstrip(" ")
            c = stripped.rstrip("\r")
            d = len(raw) - len(stripped)
            ind[i] = d
            content[i] = c
            if not c or c[0] == "#":
                continue
            while stack and ind[stack[-1]] >= d:
                nxt[stack.pop()] = i
            stack.append(i)
        self.ind, self.content, self.nxt, self.n = ind, content, nxt, n

    def skip(self, i: int) -> bool:
        c = self.content[i]
        return not c or c[0] == "#"

    def first(self, i: int, e: int) -> int:
        """The first content line of ``[i, e)`` (``e`` if none)."""
        content = self.content
        while i < e and (not content[i] or content[i][0] == "#"):
            i += 1
        return i

    def after(self, i: int, indent: int, e: int) -> int:
        """The first content line after ``i`` (before ``e``) indented ``indent`` or less."""
        j = self.first(i + 1, e)
        ind, nxt = self.ind, self.nxt
        while j < e and ind[j] > indent:
            j = nxt[j]
        return min(j, e)


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


def _is_dash(c: str) -> bool:
    return c == "-" or c.startswith("- ")


def locate(idx: LineIndex, start: int, end: int, path: FieldPath) -> tuple[int, int, int]:
    """Find ``path`` in lines ``[start, end)`` of ``idx`` (one YAML document).

    Returns ``(line, column, depth)``: 1-based position of the deepest element found and how many
    parts of ``path`` were followed (``depth == len(path)`` when all of it was found). ``line`` is 0
    if not even the first part was found.
    """
    ind, content = idx.ind, idx.content
    # the start of a sequence item ("- key: v") is read as the content after its dash, at its column
    o_line, o_ind, o_content = -1, 0, ""

    def view(i: int) -> tuple[int, str]:
        return (o_ind, o_content) if i == o_line else (ind[i], content[i])

    s, e = start, end
    best = (0, 0)
    depth = 0
    for part in path:
        f = s if s == o_line else idx.first(s, e)  # the item line of an override is a content line
        if f >= e:
            break
        ind0, c0 = view(f)
        if isinstance(part, str):
            # the entries at ind0: f, then each next line at ind0 after skipping nested blocks
            found = -1
            i = f
            while i < e:
                d, c = view(i)
                if d < ind0:
                    break
                if d == ind0 and _key_matches(c, part):
                    found = i
                    break
                i = idx.after(i, ind0, e)
            if found < 0:
                break
            d, c = view(found)
            best = (found + 1, d + 1)
            depth += 1
            rest = _after_colon(c, part)
            if rest and not rest.startswith("#") and not rest.startswith(("|", ">", "&", "!")):
                # inline value: a scalar or flow collection; cannot go deeper by lines
                s, e = found + 1, found + 1
                continue
            # value block: following lines more indented, or an indentless "- " sequence at d
            j = idx.after(found, d, e)
            while j < e and ind[j] == d and _is_dash(content[j]):
                j = idx.after(j, d, e)
            s, e = found + 1, j
        else:
            if not _is_dash(c0):
                break
            dash = ind0
            count = -1
            item_line = -1
            i = f
            while i < e:
                d, c = view(i)
                if d < dash:
                    break
                if d == dash:
                    if not _is_dash(c):
                        break
                    count += 1
                    if count == part:
                        item_line = i
                        break
                i = idx.after(i, dash, e)
            if item_line < 0:
                break
            _d, c = view(item_line)
            after = c[1:]
            item = after.lstrip(" ")
            col = dash + 1 + (len(after) - len(item))
            depth += 1
            # end of the item: next line at indentation <= dash
            j = idx.after(item_line, dash, e)
            if item and not item.startswith("#"):
                best = (item_line + 1, col + 1)
                o_line, o_ind, o_content = item_line, col, item
                s, e = item_line, j
            else:  # "-" alone: the item starts on the next line
                best = (item_line + 1, dash + 1)
                s, e = item_line + 1, j
                k = idx.first(s, e)
                if k < e:
                    best = (k + 1, ind[k] + 1)
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
    lines: Sequence[str],
    idx: LineIndex,
    start: int,
    end: int,
    body: Any,
    path: FieldPath,
    prefix: FieldPath = (),
) -> tuple[int, int]:
    """1-based (line, column) of ``path`` in the object ``body`` whose text is ``lines[start:end]``;
    (0, 0) when not even its first part is there.

    ``prefix`` is where the object sits in its document: ``()`` for a document that is the object,
    ``("items", i)`` for an item of a ``kind: List``. The line scanner answers; where it stops short of
    a field that exists, the document alone is re-read with ruamel.
    """
    full = prefix + path if prefix else path
    line, col, depth = locate(idx, start, end, full)
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
