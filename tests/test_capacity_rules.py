"""The memory-budget and cpu-budget rules: module contract, and a bad and a good fixture each.

Fixtures are in tests/fixtures/capacity/rules/<rule>/, linted with one node of 4Gi / 2 CPU (plain
Kubernetes: no platform spec, so no K3s add-ons).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from gitops_gen.capacity.nodes import resolve_cluster
from gitops_gen.cli import main
from gitops_gen.lint.model import Context, LintOptions, Severity
from gitops_gen.lint.registry import rules

FIXTURES = Path(__file__).parent / "fixtures" / "capacity" / "rules"
RULES = ("memory-budget", "cpu-budget")
NODE = ["--node-memory", "4Gi", "--node-cpu", "2"]


def lint(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[dict[str, object]]]:
    with pytest.raises(SystemExit) as exc:
        main(["lint", str(path), *NODE, *extra, "--no-cache", "--format", "json"])
    return int(exc.value.code or 0), json.loads(capsys.readouterr().out)["findings"]


@pytest.mark.parametrize("rule_id", RULES)
def test_module_contract(rule_id: str) -> None:
    mod = importlib.import_module("gitops_gen.lint.rules." + rule_id.replace("-", "_"))
    assert rule_id == mod.ID and mod.SCOPE == "cluster" and mod.SEVERITY == "error"
    doc = mod.__doc__ or ""
    assert "**What.**" in doc and "**Why.**" in doc and "**What we chose.**" in doc
    assert rules()[rule_id].scope == "cluster"


@pytest.mark.parametrize("rule_id", RULES)
def test_bad_fixture_fails_and_good_is_clean(
    rule_id: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no specs/ here
    code, findings = lint(FIXTURES / rule_id / "bad.yaml", capsys)
    mine = [f for f in findings if f["rule"] == rule_id]
    assert code == 1 and any(f["severity"] == "error" for f in mine), findings
    assert all(f["remediation"] and f["line"] and f["file"] for f in mine)
    code, findings = lint(FIXTURES / rule_id / "good.yaml", capsys)
    assert [f for f in findings if f["rule"] in RULES] == []


def test_cpu_finding_names_the_hpa_and_the_request(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _, findings = lint(FIXTURES / "cpu-budget" / "bad.yaml", capsys)
    [err] = [f for f in findings if f["rule"] == "cpu-budget" and f["severity"] == "error"]
    # the replica count is the lever: the finding sits on the HPA's maxReplicas line
    assert err["resource"] == "HorizontalPodAutoscaler/shop/api"
    lines = (FIXTURES / "cpu-budget" / "bad.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[int(str(err["line"])) - 1].strip() == "maxReplicas: 6"
    assert "Deployment shop/api (6 pods at maxReplicas × 500m CPU, 128Mi memory) pushes it over" in str(
        err["message"]
    )
    assert "added by the HPA at maxReplicas" in str(err["message"])
    assert "0/1 nodes are available: 1 Insufficient cpu." in str(err["message"])
    assert "500m CPU" in str(err["message"])
    assert "maxReplicas" in str(err["remediation"]) and "HorizontalPodAutoscaler shop/api" in str(
        err["remediation"]
    )


def test_nothing_without_node_sizes(tmp_path: Path) -> None:
    from gitops_gen.k8s.loader import parse_text
    from gitops_gen.k8s.model import Resource
    from gitops_gen.lint.rules._capacity import hits

    text = (FIXTURES / "memory-budget" / "bad.yaml").read_text(encoding="utf-8")
    res = [Resource(d.body, "bad.yaml", d.line, d.column, d.index) for d in parse_text(text).documents]
    assert list(hits(Context(res, LintOptions()), "memory")) == []
    found = list(hits(Context(res, LintOptions(cluster=resolve_cluster(None, "4Gi", "2", 1))), "memory"))
    assert [h.severity for h in found] == [None]  # the rule's default severity: error
    assert found[0].path[:3] == ("spec", "values", "chunksCache")
    assert Severity.parse("error") == Severity.ERROR
