"""examples/ci/github-actions.yaml: valid, wired as documented, and its gitops-gen scripts work.

The scripts of the steps that run gitops-gen are executed as written (bash, the workflow's env),
in a clone that looks like a pull-request checkout: ``origin/main`` is the base branch.
"""

from __future__ import annotations

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

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / "examples" / "ci" / "github-actions.yaml"


def load() -> dict[str, Any]:
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(WORKFLOW.read_text())  # YAML 1.2: `on` stays a string
    assert isinstance(data, dict)
    return data


def steps() -> list[dict[str, Any]]:
    jobs = load()["jobs"]
    assert len(jobs) == 1
    result: list[dict[str, Any]] = next(iter(jobs.values()))["steps"]
    return result


def step(step_id: str) -> dict[str, Any]:
    return next(s for s in steps() if s.get("id") == step_id)


def uses(prefix: str) -> dict[str, Any]:
    return next(s for s in steps() if str(s.get("uses", "")).startswith(prefix))


def test_workflow_is_wired_as_documented() -> None:
    wf = load()
    assert "pull_request" in wf["on"]
    job = next(iter(wf["jobs"].values()))
    assert job["permissions"]["security-events"] == "write" and job["permissions"]["pull-requests"] == "write"
    assert uses("actions/checkout@")["with"]["fetch-depth"] == 0
    # the SARIF the lint step writes is the file uploaded
    lint_file = re.search(r"--format sarif > (\S+)", step("lint")["run"])
    assert lint_file and uses("github/codeql-action/upload-sarif@")["with"]["sarif_file"] == lint_file.group(
        1
    )
    assert "always()" in uses("github/codeql-action/upload-sarif@")["if"]
    # the markdown the diff step writes is the comment posted, found again by its marker
    diff_run = step("diff")["run"]
    assert "gitops-gen diff" in diff_run and "--format markdown" in diff_run
    md_file = re.search(r"> (\S+\.md)", diff_run)
    script = uses("actions/github-script@")["with"]["script"]
    assert md_file and md_file.group(1) in script
    marker = re.search(r"<!-- [\w-]+ -->", diff_run)
    assert marker and marker.group(0) in script and "updateComment" in script
    assert "render --check" in step("drift")["run"]
    # GitHub expressions never inline in a shell script (injection); they come through env
    for s in steps():
        assert "${{" not in str(s.get("run", "")), s.get("name")


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash")
def test_workflow_scripts_run_on_a_pull_request_checkout(tmp_path: Path) -> None:
    upstream = tmp_path / "upstream"
    shutil.copytree(REPO / "specs", upstream / "specs")
    git(upstream, "init", "-q")
    bindir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITOPS_GEN_NO_CACHE": "1",
    }
    env.update({k: str(v) for k, v in next(iter(load()["jobs"].values())).get("env", {}).items()})
    assert (
        subprocess.run(
            ["gitops-gen", "render", "--specs", env["SPECS"], "--out", env["OUTPUT"]],
            cwd=upstream,
            env=env,
            capture_output=True,
        ).returncode
        == 0
    )
    git(upstream, "add", ".")
    git(upstream, "commit", "-qm", "base")
    ci = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(upstream), str(ci))  # has origin/main, like a fetch-depth 0 checkout
    git(ci, "checkout", "-q", "-b", "pr")
    spec = ci / "specs" / "apps" / "lingua-app.yaml"
    spec.write_text(spec.read_text().replace("maxReplicas: 5", "maxReplicas: 8"))

    # a pull request that changed the spec but did not re-render: the drift check fails
    assert bash(step("drift")["run"], ci, env).returncode == 1

    subprocess.run(["gitops-gen", "render"], cwd=ci, env=env, check=True, capture_output=True)
    git(ci, "commit", "-qam", "raise maxReplicas")
    r = bash(step("drift")["run"], ci, env)
    assert r.returncode == 0, r.stdout + r.stderr

    outputs = tmp_path / "github_output"
    outputs.write_text("")
    r = bash(step("lint")["run"], ci, {**env, "GITHUB_OUTPUT": str(outputs)})
    assert r.returncode == 0, r.stderr
    sarif = json.loads((ci / "gitops-gen.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["tool"]["driver"]["name"]
    lint_exit = re.search(r"exit-code=(\d+)", outputs.read_text())
    assert lint_exit
    direct = subprocess.run(["gitops-gen", "lint", env["OUTPUT"]], cwd=ci, env=env, capture_output=True)
    assert int(lint_exit.group(1)) == direct.returncode
    gate = bash(step("lint-gate")["run"], ci, {**env, "LINT_EXIT": lint_exit.group(1)})
    assert gate.returncode == (0 if lint_exit.group(1) == "0" else 1)

    r = bash(step("diff")["run"], ci, {**env, **{k: "main" for k in step("diff")["env"]}})
    assert r.returncode == 0, r.stderr
    comment = (ci / "gitops-gen-diff.md").read_text()
    assert comment.startswith(
        "<!-- gitops-gen-diff -->\n### gitops-gen diff: `origin/main"
    )  # labels are code spans
    assert "| Objects changed | 1 |" in comment and "`spec.maxReplicas` | `5` | `8`" in comment


def test_chart_cache_recipe_is_wired() -> None:
    """examples/ci/chart-cache.yaml caches the directory that `charts pull` fills and `budget` reads."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load((REPO / "examples" / "ci" / "chart-cache.yaml").read_text())
    job = data["jobs"]["budget"]
    steps = job["steps"]
    cache = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache@"))
    assert cache["with"]["path"] == "${{ env.GITOPS_GEN_CHART_CACHE }}"
    runs = [s["run"] for s in steps if "run" in s]
    pull = next(r for r in runs if "charts pull" in r)
    budget = next(r for r in runs if "gitops-gen budget" in r)
    assert (
        steps.index(cache)
        < [s.get("run") for s in steps].index(pull)
        < [s.get("run") for s in steps].index(budget)
    )
    for script in (pull, budget):
        assert '--chart-cache "$GITOPS_GEN_CHART_CACHE"' in script
    assert "--fail-on-unknown" in budget
    # the options the recipe uses exist
    from click.testing import CliRunner

    from gitops_gen.cli import cli

    help_text = CliRunner().invoke(cli, ["budget", "--help"]).output
    assert "--chart-cache" in help_text and "--fail-on-unknown" in help_text
    assert "--chart-cache" in CliRunner().invoke(cli, ["charts", "pull", "--help"]).output
