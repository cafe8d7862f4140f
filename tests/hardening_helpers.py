"""Shared helpers of the hardening and fuzz tests: run the CLI in-process, judge its outcome, and
mutate valid YAML documents into hostile ones (hypothesis strategies).

The only acceptable outcomes of any command on any input are: success (0), findings (1), or bad
input (2) with a ``file:line`` message. Never a traceback, never "internal error", never a hang.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import os
import re
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REGRESSIONS = Path(__file__).resolve().parent / "regressions"

# CI-sized property runs: bounded examples, no per-example deadline (the first example pays imports)
FUZZ = settings(
    max_examples=int(os.environ.get("GITOPS_GEN_FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=False,
    database=None,
)


# --------------------------------------------------------------------------------------- CLI run
class Hang(BaseException):  # not an Exception: the CLI's last-resort handler lets it through
    """Raised by the watchdog when a command runs longer than its time bound."""


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@contextlib.contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    def fire(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_cli(args: list[str], *, timeout: float = 30.0, cwd: Path | None = None) -> Outcome:
    """Run ``gitops_gen.cli.main(args)`` in-process as the console script would, capturing output."""
    from gitops_gen.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    old_cwd = Path.cwd()
    env_debug = os.environ.pop("GITOPS_GEN_DEBUG", None)
    try:
        if cwd is not None:
            os.chdir(cwd)
        with watchdog(timeout), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(args)
            except SystemExit as exc:
                code = exc.code
    finally:
        os.chdir(old_cwd)
        if env_debug is not None:
            os.environ["GITOPS_GEN_DEBUG"] = env_debug
    if code is None:
        code = 0
    if not isinstance(code, int):
        err.write(str(code))
        code = 1
    return Outcome(code, out.getvalue(), err.getvalue())


_LOCATED = re.compile(r"^(?:error: )?(?P<file>[^\s:][^\n]*?):(?P<line>\d+)(?::\d+)?: ", re.MULTILINE)


def assert_clean(
    outcome: Outcome,
    *,
    allowed: tuple[int, ...] = (0, 1, 2),
    dirs: tuple[str, ...] = (),
    path_level: bool = False,
) -> None:
    """Success, findings or a located error; never a traceback or an internal error.

    ``dirs``: messages about a whole directory (e.g. "no Platform spec found") may name it without a line.
    ``path_level``: errors about a path itself (``--out`` is a file, not writable, locked) name the
    path without a line.
    """
    text = outcome.text
    assert "Traceback" not in text, text
    assert "internal error" not in text, text
    assert outcome.code in allowed, f"exit {outcome.code}\n{text}"
    if outcome.code == 2:
        if _LOCATED.search(outcome.err):
            return
        if path_level and re.search(r"^error: /[^:\n]*: \S", outcome.err, re.MULTILINE):
            return
        for d in dirs:
            if re.search(rf"^(?:error: )?{re.escape(d)}/?: ", outcome.err, re.MULTILINE):
                return
        raise AssertionError(f"exit 2 without a file:line message:\n{outcome.err}")


# --------------------------------------------------------------------------------------- documents
ODD_STRINGS = [
    "",
    " ",
    "../../etc",
    "..",
    "/",
    "/etc/passwd",
    "a/../../b",
    "~",
    "null",
    "yes",
    "on",
    "0x1F",
    "1_000",
    "1e9999",
    "-1",
    "1Ei",
    "9" * 80,
    "\u202eevil",
    "ｆｕｌｌ",
    "\u200b",
    "x" * 300,
    "${X}",
    "{{ .x }}",
    "*",
    "\t",
    "a\nb",
    "é",
    "日本",
    "🙂",
    "\x00",
    "\x7f",
    "&a",
    "*a",
    "!!int",
    "%",
    "@",
    "`",
    "'",
    '"',
    "#",
    "- x",
    ": x",
    "? x",
    "| x",
    "> x",
    "C:\\x",
    "\\\\server\\x",
    "a" * 64,
    "UPPER",
    "-start",
    "end-",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from([0, -1, 2**31, 2**63, 10**30, 10**300]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(ODD_STRINGS),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def all_paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from all_paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from all_paths(v, (*prefix, i))


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    node = doc
    for part in path[:-1]:
        node = node[part]
    return node


def _typo(key: str, how: int) -> str:
    if not key:
        return "x"
    i = how % len(key)
    variants = [
        key[:i] + key[i] + key[i:],
        key[:i] + key[i + 1 :],
        key.upper(),
        key + " ",
        key[:i] + "\u0435" + key[i + 1 :],
    ]
    return variants[how % len(variants)] or "x"


def deep(depth: int, leaf: Any = 1) -> Any:
    node: Any = leaf
    for i in range(depth):
        node = [node] if i % 2 else {"k": node}
    return node


@st.composite
def mutated_doc(draw: Any, base: Any, max_ops: int = 3) -> Any:
    """A valid document with a few fields dropped, retyped, renamed, nested deeply or duplicated."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, max_ops))):
        paths = list(all_paths(doc))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(doc, path)
        key = path[-1]
        op = draw(st.sampled_from(["drop", "retype", "retype", "rename", "nest", "wrap", "huge", "odd"]))
        if op == "drop":
            del parent[key]
        elif op == "retype":
            parent[key] = draw(values)
        elif op == "rename" and isinstance(parent, dict):
            new = _typo(str(key), draw(st.integers(0, 50)))
            if new not in parent:
                parent[new] = parent.pop(key)
        elif op == "nest":
            parent[key] = deep(draw(st.sampled_from([5, 50, 99, 101, 150, 400])), parent[key])
        elif op == "wrap":
            parent[key] = [parent[key]] if draw(st.booleans()) else {"value": parent[key]}
        elif op == "huge":
            parent[key] = draw(st.sampled_from([10**20, -(10**20), 1e308, 2**64, int("9" * 200)]))
        elif op == "odd":
            parent[key] = draw(st.sampled_from(ODD_STRINGS))
    return doc


def dump_yaml(doc: Any) -> str:
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=True)
    y.allow_unicode = True
    y.default_flow_style = False
    y.width = 4096
    buf = io.StringIO()
    try:
        y.dump(doc, buf)
    except RecursionError:  # very deep documents: JSON is YAML too (flow style)
        import json

        return json.dumps(doc, ensure_ascii=False) + "\n"
    return buf.getvalue()


@st.composite
def mutated_text(draw: Any, text: str, max_ops: int = 2) -> str:
    """Textual damage a YAML file suffers in real life: tabs, anchors/aliases, truncation, stray
    characters, duplicated or swapped lines, a BOM, CRLF line ends."""
    for _ in range(draw(st.integers(0, max_ops))):
        lines = text.split("\n")
        n = len(lines)
        op = draw(
            st.sampled_from(
                ["tab", "anchor", "truncate", "insert", "dupline", "swap", "bom", "crlf", "bomb", "merge"]
            )
        )
        i = draw(st.integers(0, max(n - 1, 0)))
        j = draw(st.integers(0, max(n - 1, 0)))
        if op == "tab":
            lines[i] = re.sub(r"^ ", "\t", lines[i])
        elif op == "anchor":
            if ": " in lines[i] and ": " in lines[j] and i != j:
                lines[i] = lines[i].replace(": ", ": &anc ", 1)
                lines[j] = lines[j].split(": ", 1)[0] + ": *anc"
        elif op == "truncate":
            cut = draw(st.integers(0, len(text)))
            text = text[:cut]
            continue
        elif op == "insert":
            pos = draw(st.integers(0, len(text)))
            ch = draw(st.sampled_from([*":-[]{}&*!|>'\"#%@`,?\t\\", "\u2028", "\x85", "\ufeff", "é", "\x00"]))
            text = text[:pos] + ch + text[pos:]
            continue
        elif op == "dupline":
            lines.insert(i, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "bom":
            text = "\ufeff" + text
            continue
        elif op == "crlf":
            text = text.replace("\n", "\r\n")
            continue
        elif op == "bomb":
            lines.append(laughs(draw(st.integers(3, 9)), key="zz"))
        elif op == "merge":
            lines.append("mm: &m {a: 1}\nnn:\n  <<: *m\n  <<: *m")
        text = "\n".join(lines)
    return text


def laughs(levels: int, width: int = 9, key: str = "lol") -> str:
    """A billion-laughs document: ``width ** levels`` leaves from a few hundred bytes."""
    out = [f"{key}0: &{key}0 [x, x, x, x, x, x, x, x, x]"]
    for n in range(1, levels + 1):
        refs = ", ".join([f"*{key}{n - 1}"] * width)
        out.append(f"{key}{n}: &{key}{n} [{refs}]")
    return "\n".join(out)


# --------------------------------------------------------------------------------------- specs
PLATFORM: dict[str, Any] = {
    "apiVersion": "gitops-gen/v1",
    "kind": "Platform",
    "metadata": {"name": "edge"},
    "spec": {
        "distribution": "k3s",
        "kubernetesVersion": "1.33",
        "git": {"url": "https://git.example.org/ops/fleet.git", "branch": "main", "interval": "5m"},
        "nodes": [{"name": "node-a", "cpu": "2", "memory": "8Gi"}],
        "components": {
            "ingressNginx": {"enabled": True, "version": "4.15.1", "replicas": 1},
            "certManager": {
                "enabled": True,
                "version": "v1.21.1",
                "acme": {"email": "admin@example.org", "issuer": "le-staging"},
            },
            "sealedSecrets": {"enabled": True, "version": "2.18.5"},
            "monitoring": {
                "enabled": True,
                "version": "88.5.3",
                "retention": "3d",
                "grafana": {"host": "grafana.example.org", "adminSecret": "grafana-creds"},
            },
            "logging": {"enabled": True, "loki": {"version": "6.55.0"}, "promtail": {"version": "6.17.1"}},
        },
    },
}

APP: dict[str, Any] = {
    "apiVersion": "gitops-gen/v1",
    "kind": "App",
    "metadata": {"name": "shop"},
    "spec": {
        "image": "registry.example.org/shop/web:2.0.1",
        "port": 8080,
        "replicas": 2,
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        "probes": {"liveness": {"path": "/healthz"}, "readiness": {"path": "/ready", "periodSeconds": 5}},
        "autoscaling": {"minReplicas": 2, "maxReplicas": 4, "targetCPUUtilization": 75},
        "disruptionBudget": {"maxUnavailable": 1},
        "ingress": {"host": "shop.example.org"},
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "DB_PASSWORD", "secretKeyRef": {"name": "shop-db", "key": "password"}},
        ],
    },
}


def write_specs(root: Path, platform: str | Any = PLATFORM, apps: list[str | Any] | None = None) -> Path:
    specs = root / "specs"
    (specs / "apps").mkdir(parents=True, exist_ok=True)
    (specs / "platform.yaml").write_text(
        platform if isinstance(platform, str) else dump_yaml(platform), encoding="utf-8"
    )
    for i, app in enumerate(apps if apps is not None else [APP]):
        (specs / "apps" / f"app{i}.yaml").write_text(
            app if isinstance(app, str) else dump_yaml(app), encoding="utf-8"
        )
    return specs


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every regular file below ``root`` (symlinks as their target text), for byte-identity checks."""
    out: dict[str, bytes] = {}
    if not root.exists():
        return out
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = b"-> " + os.readlink(p).encode()
        elif p.is_file():
            out[rel] = p.read_bytes()
    return out


# --------------------------------------------------------------------------------------- fuzz corpus
HAND_WRITTEN = {
    "misc/configmap.yaml": """apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  LOG_LEVEL: info
  app.properties: |
    cache.size=128
""",
    "misc/statefulset.yaml": """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
spec:
  serviceName: db
  replicas: 1
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 999}
      containers:
        - name: db
          image: docker.io/library/postgres:16.4
          ports: [{containerPort: 5432, name: pg}]
          env:
            - name: POSTGRES_PASSWORD
              valueFrom: {secretKeyRef: {name: db, key: password}}
          resources:
            requests: {cpu: 100m, memory: 256Mi}
            limits: {memory: 512Mi}
          readinessProbe: {tcpSocket: {port: pg}}
          livenessProbe: {tcpSocket: {port: 5432}, failureThreshold: 6}
          securityContext: {allowPrivilegeEscalation: false}
""",
    "misc/kustomization.yaml": """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - configmap.yaml
  - statefulset.yaml
patches:
  - path: patch.yaml
""",
    "misc/patch.yaml": """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
spec:
  replicas: 1
""",
    "misc/multi.yaml": """apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: shop
  namespace: shop
...
---
# a comment-only document
""",
}


@functools.lru_cache(maxsize=1)
def corpus() -> dict[str, str]:
    """The fuzz corpus: what gitops-gen renders from the hardening specs, plus the hand-written files."""
    from gitops_gen.render.engine import render_tree
    from gitops_gen.spec.loader import load_specs

    files = dict(HAND_WRITTEN)
    with tempfile.TemporaryDirectory() as tmp:
        specs = load_specs(write_specs(Path(tmp)))
        # a representative subset keeps each example cheap: Flux objects, the app, one chart
        files.update(
            {
                f"out/{rel}": text
                for rel, text in render_tree(specs, "").items()
                if rel.startswith(
                    (
                        "clusters/",
                        "apps/",
                        "infrastructure/configs/",
                        "infrastructure/controllers/monitoring/",
                    )
                )
            }
        )
    return files


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> list[Any]:
    from gitops_gen.yamlio import load_positioned, to_plain

    return [to_plain(d) for d in load_positioned(text, "x.yaml") if d is not None]


def docs_of(text: str) -> list[Any]:
    return copy.deepcopy(_parsed(text))


def write_files(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
