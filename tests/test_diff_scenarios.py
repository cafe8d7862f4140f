"""`render --check` and `diff` on real temporary git repositories, as a user runs them (CLI subprocess).

The repository holds a copy of the bundled specs and their rendered output, committed; the tests
change specs (raise the HPA's maxReplicas, enable Loki's chunks cache) and check what the drift
check and the diff say. Expected changes are derived from the committed and freshly rendered
files, not written down here.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from git_helpers import git

from gitops_gen.diff.objects import object_ref, parse_yaml_documents

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def gg_process(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, in a subprocess."""
    env = {**os.environ, "GITOPS_GEN_NO_CACHE": "1", "NO_COLOR": "1"}
    env.pop("GITOPS_GEN_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "gitops_gen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def gg(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The same CLI entry point (``gitops_gen.cli.main``: parsing, error mapping, exit codes) in-process,
    which saves an interpreter start per call."""
    from gitops_gen.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_cwd = Path.cwd()
    old_env = os.environ.get("GITOPS_GEN_NO_CACHE")
    os.environ["GITOPS_GEN_NO_CACHE"] = "1"
    os.chdir(cwd)
    code: Any = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(list(args))
    except SystemExit as exc:
        code = exc.code or 0
    finally:
        os.chdir(old_cwd)
        if old_env is None:
            del os.environ["GITOPS_GEN_NO_CACHE"]
        else:
            os.environ["GITOPS_GEN_NO_CACHE"] = old_env
    return subprocess.CompletedProcess(list(args), int(code), out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository: a first commit without specs, then specs + rendered output."""
    root = tmp_path_factory.mktemp("template") / "repo"
    root.mkdir()
    (root / "README.md").write_text("platform\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "empty")
    shutil.copytree(REPO / "specs", root / "specs")
    r = gg(root, "render")
    assert r.returncode == 0, r.stderr
    git(root, "add", ".")
    git(root, "commit", "-qm", "specs and output")
    return root


@pytest.fixture()
def repo(template: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(template, dest, symlinks=True)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def change_specs(repo: Path) -> None:
    edit(repo / "specs" / "apps" / "lingua-app.yaml", "maxReplicas: 5", "maxReplicas: 8")
    edit(repo / "specs" / "platform.yaml", "chunksCache: false", "chunksCache: true")


def objects_of(tree: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in sorted(tree.rglob("*.yaml")):
        for body in parse_yaml_documents(p.read_text(), str(p)):
            ref = object_ref(body)
            if ref is not None:
                out[ref] = body
    return out


def rendered_copy(repo: Path, tmp: Path) -> Path:
    """The same repository re-rendered (a fresh render of the changed specs)."""
    other = tmp / "rerendered"
    shutil.copytree(repo, other, symlinks=True)
    assert gg(other, "render").returncode == 0
    return other


_SEG = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[([A-Za-z]+)=([^\]]+)\]|\["((?:[^"\\]|\\.)*)"\]')


def parse_path(text: str) -> list[Any]:
    parts: list[Any] = []
    pos = 0
    while pos < len(text):
        m = _SEG.match(text, pos)
        assert m, f"cannot parse path {text!r} at {pos}"
        if m.group(1):
            parts.append(m.group(1))
        elif m.group(2):
            parts.append(int(m.group(2)))
        elif m.group(3):
            value: Any = m.group(4)
            parts.append(
                (m.group(3), json.loads(value) if value.startswith('"') or value.isdigit() else value)
            )
        else:
            parts.append(json.loads(f'"{m.group(5)}"'))
        pos = m.end()
    return parts


def apply_change(body: Any, path: list[Any], new: Any, removed: bool) -> None:
    node = body
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(part, tuple):
            key, value = part
            match = [x for x in node if x.get(key) == value]
            if not match:
                node.append({key: value})
                match = [node[-1]]
            if last:
                idx = node.index(match[0])
                if removed:
                    node.pop(idx)
                else:
                    node[idx] = new
                return
            node = match[0]
        elif last:
            if removed:
                node.pop(part)
            elif isinstance(node, list) and part == len(node):
                node.append(new)
            else:
                node[part] = new
        else:
            if isinstance(node, dict) and part not in node:
                node[part] = [] if isinstance(path[i + 1], int | tuple) else {}
            node = node[part]


# ------------------------------------------------------------------------------------------- tests
def test_render_check_names_exactly_the_stale_files(repo: Path, tmp_path: Path) -> None:
    assert gg(repo, "render", "--check").returncode == 0
    change_specs(repo)
    r = gg_process(repo, "render", "--check")
    assert r.returncode == 1
    fresh = rendered_copy(repo, tmp_path)
    differing = {
        p.relative_to(fresh).as_posix()
        for p in (fresh / "output").rglob("*.yaml")
        if p.read_bytes() != (repo / p.relative_to(fresh)).read_bytes()
    }
    assert any("hpa" in d for d in differing) and any("loki" in d for d in differing)
    listed = set(re.findall(r"(output/\S+\.yaml)", r.stdout + r.stderr))
    assert listed == differing
    assert "gitops-gen render" in r.stdout + r.stderr
    assert git(repo, "status", "--porcelain", "--", "output") == ""  # --check wrote nothing


def test_diff_reports_exactly_the_changed_fields(repo: Path, tmp_path: Path) -> None:
    change_specs(repo)
    status = git(repo, "status", "--porcelain")
    r = gg(repo, "diff", "--base", "HEAD", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert git(repo, "status", "--porcelain") == status  # work tree and index untouched
    data = json.loads(r.stdout)
    old = objects_of(repo / "output")  # committed render
    new = objects_of(rendered_copy(repo, tmp_path) / "output")  # fresh render of the edited specs
    really_changed = {k for k in old.keys() & new.keys() if old[k] != new[k]}
    assert really_changed == {"HorizontalPodAutoscaler/lingua-app/lingua-app", "HelmRelease/logging/loki"}
    changed = {c["object"]: c["changes"] for c in data["objects"]["changed"]}
    assert set(changed) == really_changed
    assert data["objects"]["added"] == [] and data["objects"]["removed"] == []
    documents = sum(
        1
        for p in (repo / "output").rglob("*.yaml")
        for d in parse_yaml_documents(p.read_text(), str(p))
        if d is not None
    )
    assert data["summary"]["unchanged"] == documents - 2  # kustomization.yaml files are compared too
    # the HPA: exactly one field
    assert changed["HorizontalPodAutoscaler/lingua-app/lingua-app"] == [
        {"path": "spec.maxReplicas", "change": "changed", "old": 5, "new": 8}
    ]
    loki = changed["HelmRelease/logging/loki"]
    assert {"path": "spec.values.chunksCache.enabled", "change": "changed", "old": False, "new": True} in loki
    assert all(c["path"].startswith("spec.values.") for c in loki)
    # nothing else: applying the reported changes to the old object gives the new one exactly
    for key, changes in changed.items():
        body = json.loads(json.dumps(old[key]))
        for c in changes:
            apply_change(body, parse_path(c["path"]), c["new"], c["change"] == "removed")
        assert body == new[key], key


def test_diff_text_and_markdown(repo: Path) -> None:
    change_specs(repo)
    text = gg(repo, "diff").stdout
    assert "spec.maxReplicas: 5 -> 8" in text
    assert "spec.values.chunksCache.enabled: false -> true" in text
    assert text.count("\n~ ") == 2
    md = gg(repo, "diff", "--format", "markdown").stdout
    summary, _, details = md.partition("<details>")
    assert "| Objects changed | 2 |" in summary and "| memory requests |" in summary
    assert "`spec.maxReplicas` | `5` | `8`" in details
    assert gg(repo, "diff", "--format", "markdown").stdout == md  # deterministic


def test_lint_and_budget_delta_name_the_new_memory_problem(repo: Path) -> None:

    change_specs(repo)
    data = json.loads(gg(repo, "diff", "--format", "json").stdout)
    before, after = data["budget"]["before"], data["budget"]["after"]
    assert after["memoryRequestsBytes"] > before["memoryRequestsBytes"]
    assert after["memoryRequestsBytes"] > after["memoryAllocatableBytes"] >= before["memoryRequestsBytes"]
    assert any("chunks-cache" in p for p in after["pending"]) and not before["pending"]
    introduced = data["lint"]["introduced"]
    budget = [f for f in introduced if f["rule"] == "memory-budget"]
    assert budget and budget[0]["severity"] == "error"
    assert any("loki" in (f["resource"] + f["message"]) for f in budget)
    assert data["lint"]["errorsAfter"] > data["lint"]["errorsBefore"]
    assert data["lint"]["fixed"] == []
    # one overflow, blamed on what the change grew most (the chunks cache, not the HPA's 3 more pods),
    # at the spec key that turned it on
    [overflow] = [f for f in budget if f["severity"] == "error"]
    assert overflow["resource"] == "HelmRelease/logging/loki"
    assert "this change's growth of HelmRelease logging/loki: chunks-cache" in overflow["message"]
    assert overflow["spec"]["file"] == "specs/platform.yaml"
    assert overflow["spec"]["path"] == "spec.components.logging.loki.chunksCache"
    text = gg(repo, "diff").stdout
    assert "(set by spec.components.logging.loki.chunksCache at specs/platform.yaml:" in text


def test_no_change_is_an_empty_diff(repo: Path) -> None:
    r = gg(repo, "diff", "--format", "json")
    assert r.returncode == 0
    data = json.loads(r.stdout)
    assert data["summary"]["changed"] == data["summary"]["added"] == data["summary"]["removed"] == 0
    assert data["lint"]["introduced"] == data["lint"]["fixed"] == []
    assert "No change" in gg(repo, "diff", "--format", "markdown").stdout


def test_the_work_trees_extras_are_in_both_revisions(repo: Path) -> None:
    """A hand-written manifest in an app's extras directory of the work tree's output is rendered into
    both revisions (it is no change, whatever the specs did), and each side's budget counts it."""
    before = json.loads(gg(repo, "diff", "--format", "json").stdout)["budget"]["before"]
    (app_dir,) = sorted((repo / "output" / "apps").glob("*/lingua-app"))
    (app_dir / "extras").mkdir()
    (app_dir / "extras" / "worker.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\n  namespace: lingua-app\n"
        "spec:\n  selector:\n    matchLabels: {app: worker}\n  template:\n    metadata:\n"
        "      labels: {app: worker}\n    spec:\n      containers:\n        - name: worker\n"
        "          image: ghcr.io/example/worker:1.0.0\n          resources:\n"
        "            requests: {cpu: 100m, memory: 64Mi}\n            limits: {memory: 64Mi}\n"
    )
    change_specs(repo)
    data = json.loads(gg(repo, "diff", "--format", "json").stdout)
    assert data["summary"]["added"] == data["summary"]["removed"] == 0
    assert {c["object"] for c in data["objects"]["changed"]} == {
        "HorizontalPodAutoscaler/lingua-app/lingua-app",
        "HelmRelease/logging/loki",
    }
    side = data["budget"]["before"]
    assert side["cpuRequestsMillis"] == before["cpuRequestsMillis"] + 100
    assert side["memoryRequestsBytes"] == before["memoryRequestsBytes"] + 64 * 2**20
    # an extras file that does not parse is left out of both trees: no crash, no change
    (app_dir / "extras" / "broken.yaml").write_text("kind: [unclosed\n")
    r = gg(repo, "diff", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["summary"]["added"] == 0


def test_diff_against_an_older_ref_sees_committed_changes(repo: Path) -> None:
    change_specs(repo)
    git(repo, "commit", "-qam", "raise max replicas, enable chunks cache")
    assert json.loads(gg(repo, "diff", "--format", "json").stdout)["summary"]["changed"] == 0
    data = json.loads(gg(repo, "diff", "--base", "HEAD~1", "--format", "json").stdout)
    assert {c["object"] for c in data["objects"]["changed"]} == {
        "HorizontalPodAutoscaler/lingua-app/lingua-app",
        "HelmRelease/logging/loki",
    }


def test_bad_refs_and_specs_exit_2_with_a_message(repo: Path, tmp_path: Path) -> None:
    r = gg_process(repo, "diff", "--base", "no-such-branch")
    assert (
        r.returncode == 2 and "unknown git ref 'no-such-branch'" in r.stderr and "Traceback" not in r.stderr
    )
    r = gg(repo, "diff", "--base", "HEAD~1")  # the first commit has no specs
    assert r.returncode == 2 and "no spec files" in r.stderr and "HEAD~1" in r.stderr
    # a spec broken at the base is located at REF:file:line:col
    edit(repo / "specs" / "apps" / "lingua-app.yaml", "  port: 3000", "  prot: 3000")
    git(repo, "commit", "-qam", "typo")
    edit(repo / "specs" / "apps" / "lingua-app.yaml", "  prot: 3000", "  port: 3000")
    r = gg(repo, "diff")
    assert r.returncode == 2
    assert re.search(r"HEAD:specs/apps/lingua-app\.yaml:\d+:\d+: spec\.prot: unknown field", r.stderr), (
        r.stderr
    )
    # a spec broken in the work tree
    edit(repo / "specs" / "apps" / "lingua-app.yaml", "maxReplicas: 5", "maxReplicas: many")
    r = gg(repo, "diff", "--base", "HEAD~1")
    assert r.returncode == 2 and "maxReplicas" in r.stderr and "Traceback" not in r.stderr
    # broken on both sides: the base's problem is the one reported (the work tree's specs are loaded
    # first, while a child exports the base, but their problem waits for the base's)
    r = gg(repo, "diff")
    assert r.returncode == 2 and "HEAD:specs/apps/lingua-app.yaml" in r.stderr and "prot" in r.stderr
    assert "maxReplicas" not in r.stderr, r.stderr
    # outside a repository
    plain = tmp_path / "plain"
    shutil.copytree(REPO / "specs", plain / "specs")
    r = subprocess.run(
        [sys.executable, "-m", "gitops_gen", "diff"],
        cwd=plain,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)},
    )
    assert r.returncode == 2 and "not inside a git repository" in r.stderr


def test_output_dirs_moved_files_are_not_changes(repo: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(repo / "output", old)
    new = tmp_path / "new"
    shutil.copytree(repo / "output", new)
    hpa = next(new.rglob("hpa.yaml"))
    (new / "moved").mkdir()
    hpa.rename(new / "moved" / "autoscaler.yaml")
    release = next(
        p for p in new.rglob("*.yaml") if "loki" in p.as_posix() and "kind: HelmRelease" in p.read_text()
    )
    edit(release, "# ", "# edited comment ")  # a comment is not a change
    r = gg(repo, "diff", "--output-dir", str(old), str(new), "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["summary"]["changed"] == data["summary"]["added"] == data["summary"]["removed"] == 0
    assert [m["object"] for m in data["objects"]["moved"]] == [
        "HorizontalPodAutoscaler/lingua-app/lingua-app"
    ]
    r = gg(repo, "diff", "--output-dir", str(old), str(tmp_path / "missing"))
    assert r.returncode == 2 and "does not exist" in r.stderr
