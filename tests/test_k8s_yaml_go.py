"""The manifest loader reads YAML as Go YAML does (kubectl, kustomize and Flux), checked against the real
``kubectl kustomize`` on generated documents (issue 13, items 9 and 10)."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from gitops_gen.k8s.loader import parse_text

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")

# characters around the edges of what YAML allows in a stream
POOL = [
    "a",
    "é",
    "\t",
    " ",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9b",
    "\xa0",
    "\ufeff",
    "\ufffe",
    "\U0001f600",
    "\u200b",
    "\u2028",
    "\u2029",
]


def document(value: str, quoted: bool) -> str:
    shown = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' if quoted else value
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: {shown}x\n"


def kustomize_accepts(tmp: Path, text: str) -> bool:
    assert KUBECTL is not None
    (tmp / "kustomization.yaml").write_text("resources: [cm.yaml]\n", encoding="utf-8")
    (tmp / "cm.yaml").write_bytes(text.encode("utf-8", "surrogatepass"))
    proc = subprocess.run([KUBECTL, "kustomize", str(tmp)], capture_output=True, text=True, check=False)
    return proc.returncode == 0


@needs_kubectl
def test_control_characters_are_refused_exactly_where_go_yaml_refuses_them(tmp_path: Path) -> None:
    rng = random.Random(20261201)
    cases = [(c, q) for c in POOL for q in (False, True)]
    cases += [("".join(rng.choice(POOL) for _ in range(3)), rng.random() < 0.5) for _ in range(12)]
    disagree = []
    for i, (value, quoted) in enumerate(cases):
        text = document(value, quoted)
        case = tmp_path / str(i)
        case.mkdir()
        ours = not parse_text(text).problems
        if ours != kustomize_accepts(case, text):
            disagree.append((value.encode("unicode_escape"), quoted, ours))
    assert not disagree, f"(value, quoted, we accept) where kubectl kustomize decides otherwise: {disagree}"


def test_a_control_character_is_a_located_yaml_error() -> None:
    parsed = parse_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\ndata:\n  k: x\x1b[2Jy\n")
    [problem] = parsed.problems
    assert (problem.line, problem.column) == (6, 7)
    assert "U+001B" in problem.message and "not allowed" in problem.message
    assert [d.body["metadata"]["name"] for d in parsed.documents] == ["a"]  # the other document is read


def test_escapes_in_double_quoted_strings_are_fine() -> None:
    parsed = parse_text('k: "a\\x07b\\u001b"\n')
    assert not parsed.problems and parsed.documents[0].body == {"k": "a\x07b\x1b"}
