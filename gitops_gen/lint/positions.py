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

    __slots__ = ("block_ends", "content", "ind", "items", "n", "nxt")

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
        # (first line, end, dash column) of a block sequence -> the line of each of its items: found
        # once, so asking for item i of a long sequence (a kind: List) costs O(1), not O(i)
        self.items: dict[tuple[int, int, int], list[int]] = {}
        self.block_ends: dict[tuple[int, int, int], int] = {}

    def value_end(self, found: int, d: int, e: int) -> int:
        """The end of the value block of the key on line ``found`` (indented ``d``): the lines indented
        deeper, or an indentless ``- `` sequence at ``d``. Found once per key line."""
        key = (found, d, e)
        j = self.block_ends.get(key)
        if j is None:
            ind, content = self.ind, self.content
            j = self.after(found, d, e)
            while j < e and ind[j] == d and _is_dash(content[j]):
                j = self.after(j, d, e)
            self.block_ends[key] = j
        return j

    def sequence_items(self, f: int, e: int, dash: int, first: tuple[int, str] | None = None) -> list[int]:
        """The line of every item of the block sequence whose first item is on line ``f`` (before ``e``).

        ``first``: the (indentation, content) to read line ``f`` as, when the sequence starts on an
        item's own line (``- - a``); such a reading is not kept. Otherwise found once per sequence."""
        key = (f, e, dash)
        found = self.items.get(key) if first is None else None
        if found is None:
            found = []
            ind, content = self.ind, self.content
            i = f
            while i < e:
                d, c = first if first is not None and i == f else (ind[i], content[i])
                if d < dash or (d == dash and not _is_dash(c)):
                    break
                if d == dash:
                    found.append(i)
                i = self.after(i, dash, e)
            if first is None:
                self.items[key] = found
        return found

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
            s, e = found + 1, idx.value_end(found, d, e)
        else:
            if not _is_dash(c0):
                break
            dash = ind0
            items = idx.sequence_items(f, e, dash, view(f) if f == o_line else None)
            item_line = items[part] if 0 <= part < len(items) else -1
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


#: a document larger than this is never re-read with ruamel (~100x its size in memory, ~10 s per MB)
RUAMEL_MAX_BYTES = 512 * 1024


class Positions:
    """Field positions in one file's text, for every finding of that file.

    :meth:`request` asks for a field; :meth:`resolve` answers every request. The line scanner
    (:func:`locate`) answers what it can at once; what it stops short of (flow style ``{...}``/``[...]``,
    JSON) is found afterwards, *all* fields of a document in one streaming pass of libyaml's event parser
    (:func:`event_positions`): never a parse per finding, never the document's node tree in memory (a
    re-read per finding made a 6 MB JSON ``List`` take minutes and gigabytes).
    """

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self.idx = LineIndex(lines)
        self.answers: list[tuple[int, int]] = []
        self.pending: dict[tuple[int, int], list[tuple[int, FieldPath]]] = {}  # doc span -> (ticket, path)

    def request(self, start: int, end: int, body: Any, path: FieldPath, prefix: FieldPath = ()) -> int:
        """A ticket for the position of ``path`` in the object ``body`` whose text is ``lines[start:end]``.

        ``prefix`` is where the object sits in its document: ``()`` for a document that is the object,
        ``("items", i)`` for an item of a ``kind: List``.
        """
        full = prefix + path if prefix else path
        line, col, depth = locate(self.idx, start, end, full)
        ticket = len(self.answers)
        self.answers.append((line, col))
        if depth < len(full) and path_exists(body, path):
            self.pending.setdefault((start, end), []).append((ticket, full))
        return ticket

    def resolve(self) -> list[tuple[int, int]]:
        """1-based (line, column) per ticket; (0, 0) when not even the first part of its path is there."""
        for (start, end), wanted in self.pending.items():
            doc_text = "\n".join(self.lines[start:end])
            found = event_positions(doc_text, {path for _t, path in wanted})
            for ticket, path in wanted:
                pos = found.get(path) if found is not None else None
                if pos is None and len(doc_text) <= RUAMEL_MAX_BYTES:
                    pos = ruamel_locate(doc_text, path)
                if pos is not None:
                    self.answers[ticket] = (pos[0] + start, pos[1])
        self.pending.clear()
        return self.answers


def field_position(
    lines: Sequence[str],
    idx: LineIndex,
    start: int,
    end: int,
    body: Any,
    path: FieldPath,
    prefix: FieldPath = (),
) -> tuple[int, int]:
    """1-based (line, column) of one field (:class:`Positions` for several: one pass per document)."""
    pos = Positions.__new__(Positions)
    pos.lines, pos.idx, pos.answers, pos.pending = lines, idx, [], {}
    return pos.resolve()[pos.request(start, end, body, path, prefix)]


def event_positions(doc_text: str, paths: set[FieldPath]) -> dict[FieldPath, tuple[int, int]] | None:
    """1-based (line, column) in ``doc_text`` of the deepest existing element of each of ``paths``, as
    :func:`gitops_gen.yamlio.position_of` gives it (a mapping entry: its key; a sequence item: the item),
    in one pass over libyaml's parse events (None when libyaml cannot parse the text). A path that ends
    at or goes through an alias (``*name``) is left out: ruamel points into the anchored node, which this
    one pass has gone past.

    Only the containers on a wanted path are followed; everything else is skipped by depth.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    prefixes = {p[:k] for p in paths for k in range(len(p) + 1)}
    at: dict[FieldPath, tuple[int, int]] = {}
    aliases: set[FieldPath] = set()  # wanted prefixes that are aliases
    # per open container: [is a mapping, its path (None: not on a wanted path), next index, expecting a key,
    # path of the current entry]
    stack: list[list[Any]] = []
    try:
        for ev in yaml.parse(doc_text, Loader=loader):
            if isinstance(ev, yaml.CollectionEndEvent):
                stack.pop()
                continue
            if not isinstance(ev, yaml.NodeEvent):
                if isinstance(ev, yaml.DocumentEndEvent):
                    break
                continue
            sm = ev.start_mark
            mark = (sm.line + 1, sm.column + 1) if sm is not None else (0, 0)
            path: FieldPath | None
            if not stack:
                path = ()
                at[()] = mark
            else:
                top = stack[-1]
                if top[1] is None:
                    path = None
                elif not top[0]:  # a sequence item
                    path = (*top[1], top[2])
                    top[2] += 1
                    if path in prefixes:
                        at[path] = mark
                elif top[3]:  # a mapping key
                    top[3] = False
                    key = ev.value if isinstance(ev, yaml.ScalarEvent) else None
                    top[4] = (*top[1], key) if key is not None else None
                    if top[4] in prefixes:
                        at.setdefault(top[4], mark)  # a duplicate key: the first, as the fast loader
                    path = None  # a key's own content is never on a path
                else:  # a mapping value
                    top[3] = True
                    path = top[4]
            if isinstance(ev, yaml.AliasEvent) and path is not None and path in prefixes:
                aliases.add(path)
            elif isinstance(ev, yaml.CollectionStartEvent):
                on = path if path is not None and path in prefixes else None
                stack.append([isinstance(ev, yaml.MappingStartEvent), on, 0, True, None])
    except yaml.YAMLError:
        return None
    out: dict[FieldPath, tuple[int, int]] = {}
    for p in paths:
        for k in range(len(p), -1, -1):
            if p[:k] in at:
                if p[:k] not in aliases:
                    out[p] = at[p[:k]]
                break
    return out


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
