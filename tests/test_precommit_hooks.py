"""The pre-commit hooks' definitions and the render hook's formatter behaviour (in-process, fast).

The hooks under the real ``pre-commit`` are in tests/test_precommit_tryrepo.py.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitops_gen import hooks

REPO = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run_hook(cwd: Path, *args: str) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    with chdir(cwd), contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = hooks.main(["render", *args])
    return code, out.getvalue() + err.getvalue()


def snapshot(tree: Path) -> dict[str, bytes]:
    return {p.relative_to(tree).as_posix(): p.read_bytes() for p in sorted(tree.rglob("*")) if p.is_file()}


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "specs", root / "specs")
    (root / ".git").mkdir()  # a work tree root for the Flux path prefix, as in a real repository
    code, text = run_hook(root)
    assert code == 1, text  # no output yet: "stale", rendered
    return root


def test_manifest_defines_both_hooks() -> None:
    from ruamel.yaml import YAML

    manifest = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    by_id = {h["id"]: h for h in manifest}
    assert set(by_id) == {"gitops-gen-render", "gitops-gen-lint"}
    for hook in manifest:
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert re.compile(hook["files"])  # a valid regular expression
    assert re.search(by_id["gitops-gen-render"]["files"], "specs/apps/a.yaml")
    assert re.search(by_id["gitops-gen-render"]["files"], "output/clusters/vps/apps.yaml")
    assert not re.search(by_id["gitops-gen-render"]["files"], "README.md")
    assert re.search(by_id["gitops-gen-lint"]["files"], "infrastructure/app.yml")
    assert by_id["gitops-gen-render"]["entry"] == "python -m gitops_gen.hooks render"
    assert by_id["gitops-gen-lint"]["entry"].split()[:2] == ["gitops-gen", "lint"]


def test_fresh_output_passes_and_is_not_rewritten(project: Path) -> None:
    before = snapshot(project / "output")
    mtimes = {p: p.stat().st_mtime_ns for p in (project / "output").rglob("*") if p.is_file()}
    code, _ = run_hook(project)
    assert code == 0
    assert snapshot(project / "output") == before
    assert {p: p.stat().st_mtime_ns for p in (project / "output").rglob("*") if p.is_file()} == mtimes


def test_stale_output_fails_and_is_rerendered(project: Path) -> None:
    hpa = next((project / "output").rglob("hpa.yaml"))
    old_hpa = hpa.read_text()
    spec = project / "specs" / "apps" / "lingua-app.yaml"
    spec.write_text(spec.read_text().replace("maxReplicas: 5", "maxReplicas: 8"))
    code, text = run_hook(project)
    assert code == 1
    assert "re-rendered" in text and "git add" in text
    assert hpa.read_text() != old_hpa and "maxReplicas: 8" in hpa.read_text()
    assert run_hook(project)[0] == 0  # now fresh: the next commit passes


def test_hand_edited_output_is_restored(project: Path) -> None:
    release = next(p for p in (project / "output").rglob("*.yaml") if "kind: HelmRelease" in p.read_text())
    good = release.read_text()
    release.write_text(good.replace("interval:", "interval:  ", 1) + "\n# local edit\n")
    code, _ = run_hook(project)
    assert code == 1 and release.read_text() == good


def test_bad_specs_fail_with_exit_2_and_write_nothing(project: Path) -> None:
    before = snapshot(project / "output")
    spec = project / "specs" / "apps" / "lingua-app.yaml"
    spec.write_text(spec.read_text().replace("maxReplicas: 5", "maxReplicas: 5\n    maxReplica: 9"))
    code, text = run_hook(project)
    assert code == 2
    assert re.search(r"specs/apps/lingua-app\.yaml:\d+:\d+: .*maxReplica.*unknown field", text), text
    assert snapshot(project / "output") == before


def test_args_choose_the_directories(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(REPO / "specs", root / "platform" / "specs")
    (root / ".git").mkdir()
    code, _ = run_hook(root, "--specs", "platform/specs", "--out", "platform/rendered")
    assert code == 1 and (root / "platform" / "rendered").is_dir()
    assert run_hook(root, "--specs", "platform/specs", "--out", "platform/rendered")[0] == 0
    assert not (root / "output").exists()


def test_usage() -> None:
    with contextlib.redirect_stderr(io.StringIO()) as err:
        assert hooks.main(["nope"]) == 2
        assert hooks.main([]) == 2
    assert "usage" in err.getvalue()
