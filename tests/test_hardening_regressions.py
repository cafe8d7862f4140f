"""Every input that once crashed gitops-gen, kept in tests/regressions/ and run here.

``regressions/expect.json`` lists each file with the outcome it must have now; ``quantities.json``
lists quantity strings. A new crash found by the fuzz tests gets a file and an entry here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hardening_helpers import REGRESSIONS, assert_clean, run_cli

from gitops_gen.errors import UserError
from gitops_gen.quantity import QuantityError, memory_bytes
from gitops_gen.yamlio import load_positioned, read_text

EXPECT: dict[str, Any] = {
    k: v for k, v in json.loads((REGRESSIONS / "expect.json").read_text()).items() if not k.startswith("_")
}
FILES = sorted(k for k in EXPECT if k.startswith("yaml/"))
SPEC_DIRS = sorted(k for k in EXPECT if k.startswith("specs/"))
MANIFEST_DIRS = sorted(k for k in EXPECT if k.startswith("manifests/"))
CRDS = sorted(k for k in EXPECT if k.startswith("crds/"))


def test_every_fixture_has_an_entry_and_every_entry_a_fixture() -> None:
    on_disk = {
        p.relative_to(REGRESSIONS).as_posix()
        for p in REGRESSIONS.glob("*/*")
        if p.parent.name in ("yaml", "manifests", "specs", "crds")
    }
    assert on_disk == set(EXPECT), on_disk ^ set(EXPECT)


@pytest.mark.parametrize("rel", FILES)
def test_regression_file_positioned_loader(rel: str) -> None:
    expect = EXPECT[rel]
    path = REGRESSIONS / rel
    if expect["outcome"] == "ok":
        load_positioned(read_text(path), rel)
        return
    with pytest.raises(UserError) as info:
        load_positioned(read_text(path), rel)
    problem = info.value.problems[0]
    assert expect["message"] in problem.message, str(problem)
    assert problem.location.line == expect["line"], str(problem)
    assert problem.location.file == rel


@pytest.mark.parametrize("rel", FILES)
def test_regression_file_lint_cli(rel: str, tmp_path: Path) -> None:
    """The same file through `gitops-gen lint` (fast loader + position recovery): no crash, located."""
    target = tmp_path / Path(rel).name
    shutil.copyfile(REGRESSIONS / rel, target)
    outcome = run_cli(["lint", str(target), "--no-cache", "--format", "json"], timeout=60)
    assert_clean(outcome)
    assert target.name in outcome.text  # a finding, or at least the file it skipped, names it
    if EXPECT[rel].get("lint") == "error":
        assert outcome.code in (1, 2), outcome.text


@pytest.mark.parametrize("rel", MANIFEST_DIRS)
def test_regression_manifest_dir_lint_cli(rel: str, tmp_path: Path) -> None:
    """A directory of manifests that once crashed `gitops-gen lint`."""
    shutil.copytree(REGRESSIONS / rel, tmp_path / "in")
    outcome = run_cli(["lint", str(tmp_path / "in"), "--no-cache", "--format", "json"], timeout=60)
    assert_clean(outcome)
    expect = EXPECT[rel]
    assert outcome.code in expect.get("exit", (0, 1, 2)), outcome.text
    assert expect.get("message", "") in outcome.text


@pytest.mark.parametrize("rel", SPEC_DIRS)
def test_regression_spec_dir(rel: str) -> None:
    from gitops_gen.spec.loader import load_specs

    expect = EXPECT[rel]
    if expect["outcome"] == "ok":
        load_specs(REGRESSIONS / rel)
        return
    with pytest.raises(UserError) as info:
        load_specs(REGRESSIONS / rel)
    text = str(info.value)
    assert expect["message"] in text, text
    assert any(p.location.line == expect["line"] for p in info.value.problems), text


QUANTITIES = json.loads((REGRESSIONS / "quantities.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", QUANTITIES, ids=lambda c: c["input"][:12].encode("unicode_escape").decode())
def test_regression_quantity(case: dict[str, Any]) -> None:
    if case["bytes"] is None:
        with pytest.raises(QuantityError):
            memory_bytes(case["input"])
    else:
        assert memory_bytes(case["input"]) == case["bytes"]


@pytest.mark.parametrize("rel", CRDS)
def test_regression_crd_import_writes_nothing_outside_out(rel: str, tmp_path: Path) -> None:
    """`gitops-gen schemas import` turns CRD names into paths: hostile names must not escape --out."""
    work = tmp_path / "a" / "b" / "c"
    work.mkdir(parents=True)
    outcome = run_cli(["schemas", "import", str(REGRESSIONS / rel), "--out", str(work / "out")], timeout=60)
    assert_clean(outcome, path_level=True)
    assert outcome.code == 2 and EXPECT[rel]["message"] in outcome.err
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [], written
