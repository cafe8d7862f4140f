"""``diff`` of a fleet (two clusters in one git repository): each cluster is budgeted on its own
nodes on both sides, and every object change names the clusters that apply its file."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from git_helpers import git

from gitops_gen.diff.api import run_diff

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
FLEET = Path(__file__).resolve().parents[1] / "examples" / "fleet" / "specs"


@pytest.fixture()
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "fleet"
    shutil.copytree(FLEET, root / "specs")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "fleet")
    monkeypatch.chdir(root)
    return root


def diff(fmt: str) -> str:
    out = io.StringIO()
    assert run_diff(base="HEAD", specs_dir=Path("specs"), out_dir=Path("output"), fmt=fmt, stream=out) == 0
    return out.getvalue()


def test_a_change_to_one_cluster_is_budgeted_and_named_per_cluster(fleet: Path) -> None:
    staging = fleet / "specs/clusters/staging.yaml"
    staging.write_text(
        staging.read_text().replace("queue-worker:\n      replicas: 1", "queue-worker:\n      replicas: 4")
    )
    doc = json.loads(diff("json"))
    assert doc["budget"] is None
    budgets = {b["cluster"]: b for b in doc["budgets"]}
    assert sorted(budgets) == ["production", "staging"]
    prod, stag = budgets["production"], budgets["staging"]
    assert prod["before"] == prod["after"]  # production is not affected
    assert stag["after"]["memoryRequestsBytes"] > stag["before"]["memoryRequestsBytes"]
    # each cluster against its own nodes: staging one 4Gi node, production three 16Gi nodes
    assert stag["after"]["memoryAllocatableBytes"] < 4 * 2**30 < prod["after"]["memoryAllocatableBytes"]
    changed = doc["objects"]["changed"]
    assert changed and all(c["clusters"] == ["staging"] for c in changed)
    text = diff("text")
    assert "budget (cluster staging): memory requests" in text and "budget (cluster production)" in text
    assert "cluster staging)" in text
    assert "Budget (cluster staging)" in diff("markdown")


def test_a_change_to_a_shared_base_names_both_clusters(fleet: Path) -> None:
    assert json.loads(diff("json"))["objects"]["changed"] == []
    shop = fleet / "specs/apps/shop.yaml"
    shop.write_text(shop.read_text().replace("currency: EUR", "currency: USD"))
    changed = json.loads(diff("json"))["objects"]["changed"]
    assert {c["object"] for c in changed} == {
        "ConfigMap/shop/shop-config",
        "Deployment/shop/shop",
    }  # its checksum
    for c in changed:
        assert c["file"].startswith("apps/base/") and c["clusters"] == ["production", "staging"]
    assert "clusters production, staging)" in diff("text")


def test_an_overflow_is_blamed_on_what_the_change_grew_in_that_cluster(fleet: Path) -> None:
    """Each cluster's lint compares with that cluster's base: staging's queue-worker went from 1 to 30
    pods (production runs 3 of them, unchanged)."""
    staging = fleet / "specs/clusters/staging.yaml"
    staging.write_text(
        staging.read_text().replace("queue-worker:\n      replicas: 1", "queue-worker:\n      replicas: 30")
    )
    doc = json.loads(diff("json"))
    budget = [f for f in doc["lint"]["introduced"] if f["rule"] in ("cpu-budget", "memory-budget")]
    assert budget and {f["cluster"] for f in budget} == {"staging"}
    assert any(
        "this change's growth of Deployment shop/queue-worker (30 pods" in f["message"] for f in budget
    )


def test_files_of_a_written_tree_are_placed_without_resolving_each(
    fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """diff wrote its trees (no links inside): the clusters of each file are found from the paths as
    given, and they are those the resolving walk finds, whichever spelling of the root the views use."""
    from gitops_gen.diff import deltas

    seen: list[bool] = []
    trees: list[Path] = []
    real = deltas.files_clusters

    def both(tree: Path, views: list, written: bool = False) -> dict[str, set[str]]:  # type: ignore[type-arg]
        got = real(tree, views, written)
        assert got == real(tree, views, False) and got
        seen.append(written)
        trees.append(tree)
        return got

    monkeypatch.setattr(deltas, "files_clusters", both)
    staging = fleet / "specs/clusters/staging.yaml"
    staging.write_text(
        staging.read_text().replace("queue-worker:\n      replicas: 1", "queue-worker:\n      replicas: 4")
    )
    diff("json")
    assert seen == [True, True]
    real_tmp = fleet.parent / "tmp"
    real_tmp.mkdir()
    link = fleet.parent / "tmp-link"
    link.symlink_to(real_tmp)  # scratch trees below a link: the tree's path and its real path differ
    monkeypatch.setenv("TMPDIR", str(link))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # tempfile reads TMPDIR again
    seen.clear()
    trees.clear()
    diff("json")
    assert seen == [True, True]
    assert all(str(t).startswith(str(link)) and t.resolve() != t.absolute() for t in trees), trees
