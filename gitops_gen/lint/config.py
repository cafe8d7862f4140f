"""Lint configuration: ``.gitops-gen.yaml`` or ``[tool.gitops-gen]`` in ``pyproject.toml``.

Looked up in the current directory, then its parents up to the git repository root (the first found
wins); ``--config FILE`` names one explicitly. Keys (all optional)::

    disable: [probes, image]            # rule ids to turn off
    severity: {hpa: warning}            # error | warning | info | off per rule id
    exclude: ["charts/**", "*.sops.yaml"]  # glob patterns of paths not to lint
    kubernetes-version: "1.34"
    schema-dirs: [schemas/]             # relative to the config file
    crd-dirs: [crds/]
    validator: embedded                 # embedded | kubeconform | auto
    fail-on: error                      # error | warning
    nodes: {count: 1, cpu: "4", memory: 12Gi}
    clusters:                           # per cluster of a Flux repository (clusters/<name>/)
      staging: {nodes: {count: 1, cpu: "2", memory: 4Gi}}

The file is validated by :class:`~gitops_gen.lint.config_file.ConfigFile` with the machinery the specs use
(:mod:`gitops_gen.validation`): unknown keys, unknown rule ids and bad values are errors naming
``file:line:col``, the key path and the closest valid name (exit 2), never silently ignored. The
``pyproject.toml`` table gets the same positions from :func:`toml_positioned`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from gitops_gen.errors import Problems, UserError
from gitops_gen.lint.model import Severity
from gitops_gen.paths import display_path

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

    from gitops_gen.capacity.nodes import NodePlan, NodeSizes
    from gitops_gen.spec.facts import PlatformFacts

CONFIG_NAMES = (".gitops-gen.yaml", ".gitops-gen.yml")


class Config(Struct):
    """A lint configuration file: rules disabled, severities changed, paths excluded."""

    source: str = ""
    disable: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    kubernetes_version: str | None = None
    schema_dirs: list[Path] = field(default_factory=list)
    crd_dirs: list[Path] = field(default_factory=list)
    validator: str | None = None
    fail_on: str | None = None
    node_count: int | None = None
    node_cpu: str | None = None
    node_memory: str | None = None
    clusters: dict[str, NodeSizes] = field(default_factory=dict)  # clusters.<name>.nodes
    cluster_at: dict[str, tuple[int, int]] = field(default_factory=dict)  # where each name is written
    directory: str = ""  # where the file is (absolute)

    @property
    def nodes_given(self) -> bool:
        """``nodes.given``, answered without importing the capacity model (start-up)."""
        return any(v is not None for v in (self.node_memory, self.node_cpu, self.node_count))

    @property
    def nodes(self) -> NodeSizes:
        from gitops_gen.capacity.nodes import NodeSizes

        return NodeSizes(self.node_memory, self.node_cpu, self.node_count)

    def node_plan(
        self, platforms: list[PlatformFacts], flags: NodeSizes, kubernetes_version: str = "1.34"
    ) -> NodePlan:
        """The nodes of each cluster: ``flags`` over ``clusters.<name>.nodes`` over ``nodes`` over the
        cluster's platform spec (lint and budget alike)."""
        from gitops_gen.capacity.nodes import NodePlan

        return NodePlan(
            tuple(platforms),
            flags,
            self.nodes,
            dict(self.clusters),
            kubernetes_version,
            self.source,
            dict(self.cluster_at),
            self.directory,
        )


def find_config(start: Path, stop: Path | None) -> Path | None:
    d = start.resolve()
    while True:
        for name in CONFIG_NAMES:
            if (d / name).is_file():
                return d / name
        pp = d / "pyproject.toml"
        if pp.is_file() and "[tool.gitops-gen]" in pp.read_text(encoding="utf-8", errors="replace"):
            return pp
        if stop is None or d == stop.resolve() or d.parent == d:
            return None
        d = d.parent


def load_config(path: Path | None, *, cwd: Path, repo_root: Path | None, rule_ids: set[str]) -> Config:
    if path is None:
        path = find_config(cwd, repo_root)
        if path is None:
            return Config()
    if not path.is_file():
        raise UserError.at(str(path), "config file not found", hint="check --config")
    display = display_path(path, cwd)
    if path.name == "pyproject.toml":
        return _build(_pyproject(path, display), display, rule_ids, base=path.parent)
    from gitops_gen.yamlio import load_positioned, node_position, read_text

    docs = [d for d in load_positioned(read_text(path, display=display), display) if d is not None]
    if len(docs) > 1:
        line, col = node_position(docs[1])
        raise UserError.at(
            display,
            "a second YAML document",
            line=line or 1,
            column=col or 1,
            hint="keep one mapping of settings",
        )
    if not docs:
        return Config(source=display)
    if not isinstance(docs[0], dict):
        raise UserError.at(display, "the config must be a mapping of settings", line=1, column=1)
    return _build(docs[0], display, rule_ids, base=path.parent)


def _build(doc: Any, display: str, rule_ids: set[str], base: Path) -> Config:
    from gitops_gen.capacity.nodes import NodeSizes
    from gitops_gen.lint.config_file import TYPES_HINT, ConfigFile, NodesConfig
    from gitops_gen.validation import validate_positioned
    from gitops_gen.yamlio import position_of

    problems = Problems()
    model = validate_positioned(
        ConfigFile, doc, display, problems, context={"rule_ids": rule_ids}, types_hint=TYPES_HINT
    )
    problems.raise_if_any()
    assert model is not None  # no problems: validated
    nodes = model.nodes or NodesConfig()
    clusters: dict[str, NodeSizes] = {}
    cluster_at: dict[str, tuple[int, int]] = {}
    for name, c in model.clusters.items():
        n = c.nodes or NodesConfig()
        clusters[name] = NodeSizes(n.memory, n.cpu, n.count)
        cluster_at[name] = position_of(doc, ("clusters", name))
    return Config(
        source=display,
        disable=set(model.disable) | {rid for rid, sev in model.severity.items() if sev is None},
        severity={rid: sev for rid, sev in model.severity.items() if sev is not None},
        exclude=list(model.exclude),
        kubernetes_version=model.kubernetes_version,
        schema_dirs=[base / p for p in model.schema_dirs],
        crd_dirs=[base / p for p in model.crd_dirs],
        validator=model.validator,
        fail_on=model.fail_on,
        node_count=nodes.count,
        node_cpu=nodes.cpu,
        node_memory=nodes.memory,
        clusters=clusters,
        cluster_at=cluster_at,
        directory=str(base.resolve()) if clusters else "",
    )


def _pyproject(path: Path, display: str) -> CommentedMap:
    import tomllib

    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # Python < 3.14 has the position only in the message
        at = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        problem = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        raise UserError.at(
            display,
            f"invalid TOML: {problem}",
            line=int(at.group(1)) if at else (text.count("\n") + 1 if "end of document" in str(exc) else 1),
            column=int(at.group(2)) if at else 1,
            hint="fix the TOML syntax",
        ) from None
    section = data.get("tool", {}).get("gitops-gen", {})
    if not isinstance(section, dict):
        raise UserError.at(display, "[tool.gitops-gen] must be a table of settings", line=1, column=1)
    return toml_positioned(section, text)


# --- positions in TOML ---------------------------------------------------------------------------------
# tomllib gives values without positions; this scanner finds where each key, value and array item of the
# [tool.gitops-gen] table is written (headers [tool.gitops-gen.x], dotted keys, inline tables, arrays over
# several lines) and puts the values into ruamel containers carrying those positions, so that
# gitops_gen.validation locates errors in pyproject.toml exactly as in YAML.

_HEADER = re.compile(r"\s*\[\s*([^\[\]]*?)\s*\]\s*(?:#.*)?$")
_PART = re.compile(r"""[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'""")
_KEY = re.compile(
    r"""\s*((?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'))*)\s*=\s*"""
)
_TOKEN = re.compile(
    r"""\s+|#.*|"{3}[\s\S]*?"{3}|'{3}[\s\S]*?'{3}|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[\[\]{},=]|[^\s\[\]{},=#]+"""
)

Path_ = tuple[str | int, ...]
Where = Callable[[int], tuple[int, int]]  # offset in the text -> 0-based (line, column)
Spots = dict[Path_, tuple[int, int, int, int]]  # path -> 0-based (key line, key col, value line, value col)


def toml_positioned(section: dict[str, Any], text: str) -> CommentedMap:
    """``section`` (the parsed ``[tool.gitops-gen]`` table) as ruamel containers with ``text``'s positions."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    spots: Spots = {}
    root = _scan(text, spots)

    def build(value: Any, path: Path_, line: int, col: int) -> Any:
        if isinstance(value, dict):
            node: Any = CommentedMap()
            items: Any = value.items()
        elif isinstance(value, list):
            node = CommentedSeq()
            items = enumerate(value)
        else:
            return value
        node.lc.line, node.lc.col = line, col
        for key, item in items:
            kl, kc, vl, vc = spots.get((*path, key), (line, col, line, col))
            if isinstance(node, CommentedSeq):
                node.append(build(item, (*path, key), vl, vc))
                node.lc.add_kv_line_col(key, [kl, kc])
            else:
                node[key] = build(item, (*path, key), vl, vc)
                node.lc.add_kv_line_col(key, [kl, kc, vl, vc])
        return node

    positioned: CommentedMap = build(section, (), *root)
    return positioned


def _parts(text: str) -> list[str]:
    return [p[1:-1] if p[0] in "\"'" else p for p in _PART.findall(text)]


def _scan(text: str, spots: Spots) -> tuple[int, int]:
    """Fill ``spots`` for the [tool.gitops-gen] table of ``text``; return where the table starts."""
    lines = text.split("\n")
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln) + 1)

    def where(pos: int) -> tuple[int, int]:
        import bisect

        row = bisect.bisect_right(offsets, pos) - 1
        return row, pos - offsets[row]

    root: tuple[int, int] | None = None
    prefix: Path_ | None = None
    row = 0
    while row < len(lines):
        line = lines[row]
        header = _HEADER.match(line) if line.lstrip().startswith("[") else None
        if header and not line.lstrip().startswith("[["):
            parts = _parts(header.group(1))
            prefix = tuple(parts[2:]) if parts[:2] == ["tool", "gitops-gen"] else None
            if prefix == () and root is None:
                root = (row, len(line) - len(line.lstrip()))
            elif prefix:
                col = len(line) - len(line.lstrip())
                spots.setdefault(prefix, (row, col, row, col))
            row += 1
            continue
        key = _KEY.match(line) if prefix is not None else None
        if key is None:
            row += 1
            continue
        path = _record_key(prefix or (), key.group(1), offsets[row] + key.start(1), where, spots)
        row = _scan_value(text, offsets[row] + key.end(), path, where, spots)
    return root or (0, 0)


def _record_key(base: Path_, written: str, start: int, where: Where, spots: Spots) -> Path_:
    path = base
    for m in _PART.finditer(written):
        part = m.group()
        path = (*path, part[1:-1] if part[0] in "\"'" else part)
        kl, kc = where(start + m.start())
        spots.setdefault(path, (kl, kc, kl, kc))
    return path


def _scan_value(text: str, pos: int, path: Path_, where: Where, spots: Spots) -> int:
    """Record the value at ``pos`` (and the items and keys inside it); return the row after it."""
    stack: list[list[Any]] = []  # [kind "[" or "{", path, next index (arrays) / key expected (tables)]
    want: Path_ | None = path  # the path the next value is for
    for m in _TOKEN.finditer(text, pos):
        tok = m.group()
        if tok[0].isspace() and "\n" in tok and not stack:  # `key =` and no value: next line
            return where(m.start())[0] + 1
        if tok[0].isspace() or tok[0] == "#":
            continue
        if tok == ",":
            if stack and stack[-1][0] == "[":
                stack[-1][2] += 1
            elif stack:
                stack[-1][2] = True
            continue
        if tok in "]}":
            if stack:
                stack.pop()
            if not stack:
                return where(m.end())[0] + 1
            continue
        if stack and stack[-1][0] == "{" and stack[-1][2]:  # a key of an inline table
            if tok != "=":
                want = _record_key(stack[-1][1], tok, m.start(), where, spots)
            else:
                stack[-1][2] = False
            continue
        if want is None and stack and stack[-1][0] == "[":
            want = (*stack[-1][1], stack[-1][2])
        if want is not None:
            vl, vc = where(m.start())
            kl, kc, _, _ = spots.get(want, (vl, vc, vl, vc))
            spots[want] = (kl, kc, vl, vc)
        if tok in "[{":
            stack.append([tok, want, 0 if tok == "[" else True])
        elif not stack:
            return where(m.end())[0] + 1
        want = None
    return where(len(text))[0] + 1
