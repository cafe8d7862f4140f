"""Smoke test of the benchmark corpus generator (bench/gen_corpus.py): small, deterministic, parseable.

No timing here: speed is measured by bench/run.py, not by the test suite.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import yaml_rs

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_gen_corpus", BENCH / "gen_corpus.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(mod)
    return mod


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_and_exact_count(tmp_path: Path) -> None:
    gen = _gen()
    gen.write_corpus(tmp_path / "a", 50, seed=7, defects=0.5)
    gen.write_corpus(tmp_path / "b", 50, seed=7, defects=0.5)
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a == b
    docs = []
    for rel, data in a.items():
        if rel.startswith("manifests/"):
            loaded = yaml_rs.loads(data.decode(), parse_datetime=False)
            docs += loaded if isinstance(loaded, list) else [loaded]
    assert len(docs) == 50
    assert {d["kind"] for d in docs} >= {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }
    # another seed gives another corpus
    gen.write_corpus(tmp_path / "c", 50, seed=8, defects=0.5)
    assert _tree(tmp_path / "c") != a


def test_defect_manifest_points_at_generated_objects(tmp_path: Path) -> None:
    gen = _gen()
    gen.write_corpus(tmp_path, 200, seed=3, defects=1.0)
    records = json.loads((tmp_path / "defects.json").read_text())
    assert {r["kind"] for r in records} == set(gen.DEFECT_KINDS)
    for rec in records:
        text = (tmp_path / "manifests" / rec["file"]).read_text()
        lines = text.splitlines()
        # the first listed object starts at the recorded line
        kind, *_ns, name = rec["resources"][0].split("/")
        assert lines[rec["line"] - 1].startswith("apiVersion:")
        assert f"kind: {kind}" in lines[rec["line"] : rec["line"] + 2]
        assert f"  name: {name}" in text
    clean = gen.generate(200, 3, 0.0)[1]
    assert clean == []
