"""`gitops-gen init` (issue 14 item 6): in an empty git repository, init then render then lint exit 0,
with --yes, with flags only, and answering the questions; it never overwrites; bad answers are named
by their flag. Real git, the real renderer and linter (with the upstream Flux CRDs when present)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml_rs
from click.testing import CliRunner

from gitops_gen.cli import cli, main

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
CRDS = Path(__file__).resolve().parents[1].parent / "shared" / "crds"


def gg(*args: str) -> tuple[int, str]:
    """The real entry point (error handling included): exit code and stdout+stderr."""
    out = io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
        pytest.raises(SystemExit) as exc,
    ):
        main(list(args))
    return int(exc.value.code or 0), out.getvalue()


@pytest.fixture
def empty_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "my-fleet"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "trunk"], cwd=root, check=True)
    monkeypatch.chdir(root)
    return root


def _render_and_lint(root: Path) -> str:
    code, text = gg("render")
    assert code == 0, text
    code, text = gg("lint", "--no-cache", "--format", "json")
    assert code == 0, text
    report = json.loads(text)
    assert report["summary"]["errors"] == 0
    # every warning is a 'no schema' note about a custom kind whose CRD lint was not given
    assert all(f["message"].startswith("no schema for ") for f in report["findings"]), report["findings"]
    if CRDS.is_dir():
        code, text = gg("lint", "--no-cache", "--crd-dir", str(CRDS), "--format", "json")
        assert code == 0 and json.loads(text)["findings"] == [], text
    return text


def test_init_yes_in_an_empty_repository_renders_and_lints_clean(empty_repo: Path) -> None:
    code, text = gg("init", "--yes")
    assert code == 0, text
    assert sorted(p.relative_to(empty_repo).as_posix() for p in (empty_repo / "specs").rglob("*")) == [
        "specs/apps",
        "specs/apps/hello.yaml",
        "specs/platform.yaml",
        "specs/schema.json",
    ]
    platform = (empty_repo / "specs" / "platform.yaml").read_text()
    assert platform.startswith("# yaml-language-server: $schema=./schema.json\n")
    spec = yaml_rs.loads(platform)
    assert spec["metadata"]["name"] == "my-fleet" and spec["spec"]["git"]["branch"] == "trunk"
    assert "placeholder" in text  # no origin remote: the URL must be set by hand, and init says so
    assert json.loads((empty_repo / "specs" / "schema.json").read_text())  # the schema the line points at
    _render_and_lint(empty_repo)
    assert (empty_repo / "output" / "clusters" / "my-fleet").is_dir()


def test_init_from_flags_only(empty_repo: Path) -> None:
    subprocess.run(
        ["git", "remote", "add", "origin", "git@github.com:acme/fleet.git"], cwd=empty_repo, check=True
    )
    code, text = gg(
        "init",
        "--name=edge",
        "--branch=main",
        "--distribution=kubernetes",
        "--node-cpu=4",
        "--node-memory=8Gi",
        "--components=ingress-nginx,cert-manager,monitoring",
        "--acme-email=ops@acme.dev",
        "--app=shop",
        "--image=nginx:1.27",
        "--port=8080",
        "--host=shop.acme.dev",
    )  # standard input is not a terminal here: what no flag gives is defaulted, nothing is asked
    assert code == 0, text
    spec = yaml_rs.loads((empty_repo / "specs" / "platform.yaml").read_text())["spec"]
    assert spec["git"]["url"] == "ssh://git@github.com/acme/fleet.git"  # the origin remote, as Flux takes it
    assert set(spec["components"]) == {"ingressNginx", "certManager", "monitoring"}
    app = yaml_rs.loads((empty_repo / "specs" / "apps" / "shop.yaml").read_text())["spec"]
    assert app["ingress"] == {"host": "shop.acme.dev", "tls": True} and app["port"] == 8080
    _render_and_lint(empty_repo)


def test_init_asks_when_interactive(empty_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gitops_gen.spec.scaffold.interactive", lambda: True)
    answers = ["lab", "https://git.example.com/lab.git", "", "kubernetes", "", "", "none", "", "none"]
    result = CliRunner().invoke(cli, ["init"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "Cluster name (becomes clusters/<name>/) [my-fleet]: lab" in result.output
    spec = yaml_rs.loads((empty_repo / "specs" / "platform.yaml").read_text())
    assert spec["metadata"]["name"] == "lab" and spec["spec"]["components"] == {}
    assert spec["spec"]["git"] == {"url": "https://git.example.com/lab.git", "branch": "trunk"}
    assert "Its container image" not in result.output  # no app: its questions are not asked
    assert not (empty_repo / "specs" / "apps").exists()
    _render_and_lint(empty_repo)


def test_init_never_overwrites(empty_repo: Path) -> None:
    assert gg("init", "--yes")[0] == 0
    before = {p: p.read_bytes() for p in (empty_repo / "specs").rglob("*") if p.is_file()}
    code, text = gg("init", "--yes", "--app=other")
    assert code == 2 and "already holds specs" in text and "never overwrites" in text
    assert {p: p.read_bytes() for p in (empty_repo / "specs").rglob("*") if p.is_file()} == before


def test_bad_answers_are_named_by_their_flag_and_nothing_is_written(empty_repo: Path) -> None:
    code, text = gg("init", "--node-memory=8GB", "--git-url=git@github.com:x/y", "--port=0")
    assert code == 2
    assert "error: --node-memory: spec.nodes[0].memory: '8GB' is not a Kubernetes quantity" in text
    assert "error: --git-url / --branch: spec.git: git.url must be an ssh://, http:// or https:// URL" in text
    assert "error: --port: spec.port:" in text
    code, text = gg("init", "--components=ingress-nginx,istio")
    assert code == 2 and "--components: unknown component 'istio'" in text
    code, text = gg("init", "--components=none", "--host=a.example.com")
    assert code == 2 and "--host: an ingress needs the ingress-nginx component" in text
    assert not (empty_repo / "specs").exists()


def test_hostile_answers_cannot_inject_yaml(empty_repo: Path) -> None:
    code, text = gg("init", "--branch=main\n  interval: 1s", "--acme-email=a@b.c\nx: 1")
    assert code == 2 and not (empty_repo / "specs").exists()
    assert "error: --branch: spec.git.branch:" in text and "error: --acme-email:" in text
    assert "\n  interval" not in text  # the answer is shown escaped, on one line
