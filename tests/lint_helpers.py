"""Helpers for the lint engine tests: run the engine on paths with explicit settings (no cwd config)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops_gen.lint.engine import LintResult
from gitops_gen.lint.model import Finding, LintOptions
from gitops_gen.lint.run import RunSettings, lint_paths

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lint"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def run(paths: list[Path], **kw: Any) -> LintResult:
    opts = LintOptions(
        kubernetes_version=kw.pop("kubernetes_version", "1.34"),
        crd_dirs=kw.pop("crd_dirs", []),
        schema_dirs=kw.pop("schema_dirs", []),
        validator=kw.pop("validator", "embedded"),
    )
    settings = RunSettings(options=opts, jobs=kw.pop("jobs", 1), cache_dir=kw.pop("cache_dir", None), **kw)
    return lint_paths(paths, settings)


def by_rule(result: LintResult, rule: str) -> list[Finding]:
    return [f for f in result.findings if f.rule == rule]


def as_tuples(result: LintResult) -> list[tuple[Any, ...]]:
    return [
        (f.rule, str(f.severity), f.file, f.line, f.column, f.resource, f.message, f.remediation)
        for f in result.findings
    ]


def bulky_deployment(name: str, *, latest: bool = False) -> dict[str, object]:
    """A Deployment of realistic bulk (a dozen env entries), for the memory tests; ``latest``: its image
    is ``:latest`` (one ``image`` finding)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": f"team-{len(name) % 7}", "labels": {"app": name}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": f"registry.example.com/{name}:{'latest' if latest else '1.0'}",
                            "env": [{"name": f"VAR_{k}", "value": "x" * 40} for k in range(12)],
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                        }
                    ]
                },
            },
        },
    }
