"""Lint configuration: ``.gitops-gen.yaml`` or ``[tool.gitops-gen]`` in ``pyproject.toml``.

Looked up in the current directory, then its parents up to the git repository root (the first found
wins); ``--config FILE`` names one explicitly. Keys (all optional)::

    disable: [probes, image]            # rule ids to turn off
    severity: {hpa: warning}            # error | warning | info per rule id
    exclude: ["charts/**", "*.sops.yaml"]  # glob patterns of paths not to lint
    kubernetes-version: "1.34"
    schema-dirs: [schemas/]             # relative to the config file
    crd-dirs: [crds/]
    validator: embedded                 # embedded | kubeconform | auto
    fail-on: error                      # error | warning
    nodes: {count: 1, cpu: "4", memory: 12Gi}

Unknown keys, unknown rule ids and bad values are errors naming ``file:line:col`` (exit 2), never
silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_gen.errors import Location as Loc
from gitops_gen.errors import Problem, Problems, UserError
from gitops_gen.lint.model import Severity
from gitops_gen.paths import display_path

CONFIG_NAMES = (".gitops-gen.yaml", ".gitops-gen.yml")
KEYS = (
    "disable",
    "severity",
    "exclude",
    "kubernetes-version",
    "schema-dirs",
    "crd-dirs",
    "validator",
    "fail-on",
    "nodes",
)
NODE_KEYS = ("count", "cpu", "memory")


@dataclass
class Config:
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
    explicit = path is not None
    if path is None:
        path = find_config(cwd, repo_root)
        if path is None:
            return Config()
    if not path.is_file():
        raise UserError.at(str(path), "config file not found", hint="check --config")
    display = display_path(path, cwd)
    if path.name == "pyproject.toml":
        return _from_pyproject(path, display, rule_ids)
    from gitops_gen.yamlio import load_positioned, read_text

    docs = load_positioned(read_text(path, display=display), display)
    doc = docs[0] if docs else None
    if doc is None:
        return Config(source=display)
    if not isinstance(doc, dict):
        raise UserError.at(display, "the config must be a mapping of settings", line=1, column=1)
    del explicit

    def where(keys: tuple[str | int, ...]) -> tuple[int, int]:
        from gitops_gen.yamlio import position_of

        return position_of(doc, keys)

    return _build(_plain(doc), display, where, rule_ids, base=path.parent)


def _plain(node: Any) -> Any:
    from gitops_gen.yamlio import to_plain

    return to_plain(node)


def _from_pyproject(path: Path, display: str, rule_ids: set[str]) -> Config:
    import tomllib

    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError.at(
            display,
            f"invalid TOML: {exc}",
            line=getattr(exc, "lineno", 0) or 1,
            column=getattr(exc, "colno", 0) or 1,
        ) from None
    section = data.get("tool", {}).get("gitops-gen", {})
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("[tool.gitops-gen")), 0)

    def where(keys: tuple[str | int, ...]) -> tuple[int, int]:
        want = str(keys[-1]) if keys else ""
        for i in range(start, len(lines)):
            s = lines[i].lstrip()
            if want and (s.startswith(want) or s.startswith(f'"{want}"')):
                return i + 1, len(lines[i]) - len(s) + 1
        return start + 1, 1

    return _build(section, display, where, rule_ids, base=path.parent)


def _build(doc: dict[str, Any], display: str, where: Any, rule_ids: set[str], base: Path) -> Config:
    problems = Problems()
    cfg = Config(source=display)

    def bad(keys: tuple[str | int, ...], message: str, hint: str = "") -> None:
        line, col = where(keys)
        problems.add(Problem(Loc(display, line, col), message, ".".join(map(str, keys)), hint))

    def rule_id(keys: tuple[str | int, ...], rid: Any) -> str | None:
        if not isinstance(rid, str) or rid not in rule_ids:
            from difflib import get_close_matches

            close = get_close_matches(str(rid), sorted(rule_ids), n=1)
            bad(
                keys,
                f"unknown rule id {rid!r}",
                f"did you mean {close[0]!r}?" if close else f"known rules: {', '.join(sorted(rule_ids))}",
            )
            return None
        return rid

    def str_list(key: str) -> list[str]:
        v = doc.get(key)
        if v is None:
            return []
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            bad((key,), "expected a list of strings")
            return []
        return list(v)

    for key in doc:
        if key not in KEYS:
            from difflib import get_close_matches

            close = get_close_matches(str(key), KEYS, n=1)
            bad(
                (key,),
                "unknown setting",
                f"did you mean {close[0]!r}?" if close else f"known settings: {', '.join(KEYS)}",
            )
    for i, rid in enumerate(str_list("disable")):
        ok = rule_id(("disable", i), rid)
        if ok:
            cfg.disable.add(ok)
    sev = doc.get("severity")
    if sev is not None:
        if not isinstance(sev, dict):
            bad(("severity",), "expected a mapping of rule id to error|warning|info")
        else:
            for rid, value in sev.items():
                ok = rule_id(("severity", rid), rid)
                if not ok:
                    continue
                if value in (False, "off", "none", "disable", "disabled"):
                    cfg.disable.add(ok)
                    continue
                try:
                    cfg.severity[ok] = Severity.parse(str(value))
                except ValueError as exc:
                    bad(("severity", rid), str(exc))
    cfg.exclude = str_list("exclude")
    kv = doc.get("kubernetes-version")
    if kv is not None:
        cfg.kubernetes_version = str(kv)
    cfg.schema_dirs = [base / p for p in str_list("schema-dirs")]
    cfg.crd_dirs = [base / p for p in str_list("crd-dirs")]
    val = doc.get("validator")
    if val is not None:
        if val not in ("embedded", "kubeconform", "auto"):
            bad(("validator",), f"unknown validator {val!r}", "use embedded, kubeconform or auto")
        else:
            cfg.validator = str(val)
    fo = doc.get("fail-on")
    if fo is not None:
        if fo not in ("error", "warning"):
            bad(("fail-on",), f"unknown fail-on {fo!r}", "use error or warning")
        else:
            cfg.fail_on = str(fo)
    nodes = doc.get("nodes")
    if nodes is not None:
        if not isinstance(nodes, dict):
            bad(("nodes",), "expected a mapping with count, cpu, memory")
        else:
            from gitops_gen.capacity.nodes import MAX_NODES
            from gitops_gen.quantity import QuantityError, cpu_millis, memory_bytes

            for k in nodes:
                if k not in NODE_KEYS:
                    bad(("nodes", k), "unknown setting", f"known: {', '.join(NODE_KEYS)}")
            if "count" in nodes:
                c = nodes["count"]
                if not isinstance(c, int) or isinstance(c, bool) or not 1 <= c <= MAX_NODES:
                    bad(("nodes", "count"), f"expected an integer from 1 to {MAX_NODES:,}")
                else:
                    cfg.node_count = c
            for k, fn in (("cpu", cpu_millis), ("memory", memory_bytes)):
                if k in nodes:
                    try:
                        fn(nodes[k])
                        setattr(cfg, f"node_{k}", str(nodes[k]))
                    except (QuantityError, ValueError) as exc:
                        bad(("nodes", k), f"not a quantity: {exc}")
    problems.raise_if_any()
    return cfg
