"""Each cluster of a Flux repository is budgeted on its own nodes: from the fleet's platform specs
(one Platform per cluster), from ``clusters.<name>.nodes`` in the config, with ``--node-*`` over all.

Both clusters run the same workloads (6 pods of 1Gi); only the cluster with the small node overflows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cluster_helpers import DEPLOY, flux_ks, sync, write

from gitops_gen.capacity.api import run_budget
from gitops_gen.capacity.nodes import NodePlan, NodeSizes
from gitops_gen.errors import UserError
from gitops_gen.lint.api import LintFlags, run_lint
from gitops_gen.lint.model import Severity
from gitops_gen.lint.run import lint_paths

SAME = "postBuild:\n  substitute:\n    REPLICAS: '6'\n"


def platform(name: str, cpu: str, memory: str) -> str:
    return f"""
        apiVersion: gitops-gen/v1
        kind: Platform
        metadata: {{name: {name}}}
        spec:
          distribution: kubernetes
          kubernetesVersion: "1.34"
          git: {{url: ssh://git@example.com/org/fleet, branch: main}}
          nodes: [{{name: {name}-1, cpu: "{cpu}", memory: {memory}}}]
        """


def fleet(tmp_path: Path, specs: bool = True) -> Path:
    files = {
        "clusters/staging/flux-system/gotk-sync.yaml": sync("staging"),
        "clusters/staging/apps.yaml": flux_ks("apps", "./apps/staging", SAME),
        "clusters/production/flux-system/gotk-sync.yaml": sync("production"),
        "clusters/production/apps.yaml": flux_ks("apps", "./apps/production", SAME),
        "apps/base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "apps/base/deploy.yaml": DEPLOY,
        "apps/staging/kustomization.yaml": "namespace: web-staging\nresources: [../base]\n",
        "apps/production/kustomization.yaml": "namespace: web\nresources: [../base]\n",
    }
    if specs:  # the fleet's specs: staging one 4Gi node, production one 16Gi node
        files["specs/clusters/staging.yaml"] = platform("staging", "2", "4Gi")
        files["specs/clusters/production.yaml"] = platform("production", "4", "16Gi")
    root = write(tmp_path / "fleet", files)
    (root / ".git").mkdir()  # the config is looked up up to the repository root
    return root


def budget_errors(root: Path, monkeypatch: pytest.MonkeyPatch, **flags: object) -> dict[str, set[str]]:
    """cluster -> files of memory-budget errors, as `gitops-gen lint . --format json` reports them."""
    from gitops_gen.lint.api import settings_from_options

    monkeypatch.chdir(root)
    settings = settings_from_options([Path(".")], LintFlags(no_cache=True, jobs=1, **flags))  # type: ignore[arg-type]
    result = lint_paths([Path(".")], settings)
    out: dict[str, set[str]] = {}
    for f in result.findings:
        if f.rule == "memory-budget" and f.severity == Severity.ERROR:
            out.setdefault(f.cluster, set()).add(f.file)
    return out


def test_fleet_specs_give_each_cluster_its_nodes_and_only_the_small_one_overflows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = fleet(tmp_path)
    # specs/clusters/ is found without --specs (the fleet layout of `gitops-gen render`)
    assert budget_errors(root, monkeypatch) == {"staging": {"apps/base/deploy.yaml"}}
    # --node-* override every cluster: 2Gi nodes overflow both, 64Gi nodes neither
    assert set(budget_errors(root, monkeypatch, node_memory="2Gi")) == {"staging", "production"}
    assert budget_errors(root, monkeypatch, node_memory="64Gi") == {}


def test_budget_uses_each_clusters_nodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = fleet(tmp_path)
    monkeypatch.chdir(root)
    assert run_budget([Path(".")], fmt="json") == 1
    doc = json.loads(capsys.readouterr().out)
    by_name = {c["cluster"]: c for c in doc["clusters"]}
    assert [(p["namespace"], p["of"]) for p in by_name["staging"]["pending"]] == [("web-staging", 6)]
    assert by_name["production"]["pending"] == []
    assert [n["name"] for n in by_name["staging"]["nodes"]] == ["staging-1"]
    assert [n["name"] for n in by_name["production"]["nodes"]] == ["production-1"]


def test_config_gives_nodes_per_cluster_for_a_hand_written_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = fleet(tmp_path, specs=False)
    (root / ".gitops-gen.yaml").write_text(
        "nodes: {cpu: '4', memory: 16Gi}\n"  # every cluster ...
        "clusters:\n"
        "  staging:\n"
        "    nodes: {memory: 4Gi}\n",  # ... but staging's nodes are smaller (cpu from `nodes`)
        encoding="utf-8",
    )
    assert budget_errors(root, monkeypatch) == {"staging": {"apps/base/deploy.yaml"}}
    assert budget_errors(root, monkeypatch, node_memory="64Gi") == {}
    # the budget command reads the same settings
    assert run_budget([Path(".")], fmt="json", config=_config(root)) == 1
    doc = json.loads(capsys.readouterr().out)
    pending = {c["cluster"]: c["pending"] for c in doc["clusters"]}
    assert pending["production"] == [] and pending["staging"]
    # the command line's JSON names the cluster of each budget finding
    assert run_lint([Path(".")], LintFlags(fmt="json", no_cache=True, jobs=1)) == 1
    found = json.loads(capsys.readouterr().out)["findings"]
    budget = [f for f in found if f["rule"] == "memory-budget"]
    assert {f["cluster"] for f in budget} == {"staging"} and any(f["severity"] == "error" for f in budget)


def _config(root: Path) -> NodePlan:
    from gitops_gen.lint.config import load_config
    from gitops_gen.lint.registry import rules

    return load_config(None, cwd=root, repo_root=root, rule_ids=set(rules())).node_plan([], NodeSizes())


def test_a_cluster_name_no_cluster_has_is_an_error_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = fleet(tmp_path, specs=False)
    (root / ".gitops-gen.yaml").write_text(
        "clusters:\n  stagin:\n    nodes: {memory: 4Gi, cpu: '2'}\n", encoding="utf-8"
    )
    with pytest.raises(UserError) as exc:
        budget_errors(root, monkeypatch)
    text = str(exc.value)
    assert ".gitops-gen.yaml:2:3" in text and "'stagin'" in text and "did you mean 'staging'" in text
    with pytest.raises(UserError):
        run_budget([Path(".")], fmt="json", config=_config(root))
    # --cluster DIR, or a path below the config's directory, lints some clusters only: others may be named
    assert budget_errors(root, monkeypatch, clusters=(Path("clusters/production"),)) == {}
    (root / ".gitops-gen.yaml").write_text("clusters:\n  production:\n    nodes: {memory: 4Gi}\n")
    assert run_budget([Path("clusters/staging")], fmt="json", config=_config(root)) == 0


def test_config_clusters_are_validated_like_every_setting(tmp_path: Path) -> None:
    from gitops_gen.lint.config import load_config
    from gitops_gen.lint.registry import rules

    cfg = tmp_path / ".gitops-gen.yaml"
    cfg.write_text("clusters:\n  staging:\n    nodes: {memroy: 4Gi}\n", encoding="utf-8")
    with pytest.raises(UserError) as exc:
        load_config(cfg, cwd=tmp_path, repo_root=tmp_path, rule_ids=set(rules()))
    assert "clusters.staging.nodes.memroy" in str(exc.value) and ":3:" in str(exc.value)


def test_node_plan_precedence() -> None:
    plan = NodePlan(
        flags=NodeSizes(cpu="8"),
        config=NodeSizes(memory="16Gi", cpu="4", count=2),
        per_cluster={"staging": NodeSizes(memory="4Gi")},
    )
    assert plan.sizes_for("staging") == NodeSizes("4Gi", "8", 2)
    assert plan.sizes_for("fleet/staging") == NodeSizes("4Gi", "8", 2)  # several repositories
    assert plan.sizes_for("production") == NodeSizes("16Gi", "8", 2)
    assert NodePlan().for_cluster("x") == (None, None)
