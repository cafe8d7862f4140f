"""Property: every valid spec renders output that lint passes without errors (capacity rules aside).

Random apps of every workload kind, with random optional fields, on a one-node and a three-node
cluster (spreading on), are generated valid by construction: the loader must accept them, render
must succeed, and lint (strict schemas with the upstream CRDs) must report no error.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lint_helpers import SHARED, run
from spec_strategies import app_spec

from gitops_gen.lint.model import Severity
from gitops_gen.render.engine import render_tree
from gitops_gen.spec.loader import load_specs

CAPACITY_RULES = {"cpu-budget", "memory-budget"}


def _platform(nodes: int) -> dict[str, Any]:
    return {
        "apiVersion": "gitops-gen/v1",
        "kind": "Platform",
        "metadata": {"name": "prop"},
        "spec": {
            "distribution": "k3s",
            "git": {"url": "https://github.com/org/repo"},
            "nodes": [{"name": f"n{i}", "cpu": "8", "memory": "32Gi"} for i in range(nodes)],
            "components": {
                "certManager": {"version": "v1.21.1", "acme": {"email": "ops@example.com"}},
                "sealedSecrets": {"version": "2.18.5"},
            },
        },
    }


@st.composite
def _specs(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    count = draw(st.integers(1, 3))
    apps = [draw(app_spec(f"app{i}", f"app{i}.example.com")) for i in range(count)]
    return _platform(draw(st.sampled_from([1, 3]))), apps


@pytest.mark.slow
@settings(
    max_examples=int(os.environ.get("GITOPS_GEN_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(_specs())
def test_every_valid_spec_renders_output_lint_passes(
    data: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared (CRDs) is absent")
    platform, apps = data
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "specs/apps").mkdir(parents=True)
        (root / "specs/platform.yaml").write_text(yaml.safe_dump(platform))
        for app in apps:
            (root / "specs/apps" / f"{app['metadata']['name']}.yaml").write_text(yaml.safe_dump(app))
        files = render_tree(load_specs(root / "specs"))
        for rel, text in files.items():
            (root / "out" / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / "out" / rel).write_text(text)
        result = run([root / "out"], crd_dirs=[SHARED / "crds"])
        errors = [
            f"{f.rule} {f.file}:{f.line} {f.message}"
            for f in result.findings
            if f.severity == Severity.ERROR and f.rule not in CAPACITY_RULES
        ]
        assert errors == [], yaml.safe_dump(apps)
