"""Bundled CRD schemas: the committed package data equals what tools/bundle_crds.py compiles from
../shared/crds, carries each project's version and license, and an installed wheel validates our
rendered output/ with no flags, no network and no ../shared."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lint_helpers import SHARED, by_rule, run

from gitops_gen.lint.schema import bundle

REPO = Path(__file__).resolve().parents[1]
CRDS = SHARED / "crds"
DATA = REPO / "gitops_gen" / "lint" / "schema" / "bundled"


def _tool() -> object:
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import bundle_crds
    finally:
        sys.path.pop(0)
    return bundle_crds


@pytest.mark.skipif(not CRDS.is_dir(), reason="../shared/crds is absent")
def test_committed_data_is_what_the_tool_compiles(tmp_path: Path) -> None:
    tool = _tool()
    written = tool.write(CRDS, tmp_path)  # type: ignore[attr-defined]
    assert written
    for p in written:
        assert p.read_bytes() == (DATA / p.name).read_bytes(), f"{p.name}: run tools/bundle_crds.py"
    assert sorted(x.name for x in DATA.iterdir()) == sorted(p.name for p in written)


@pytest.mark.skipif(not CRDS.is_dir(), reason="../shared/crds is absent")
def test_every_upstream_kind_is_bundled_with_version_and_license() -> None:
    import yaml

    index = bundle.index()
    for folder in sorted(p for p in CRDS.iterdir() if p.is_dir()):
        info = index["projects"][folder.name]
        assert info["license"] == "Apache-2.0" and info["version"]
        data = bundle.project(folder.name)
        assert "Apache License" in data["notice"]
        for f in folder.glob("*.yaml"):
            doc = yaml.load(
                f.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            )
            kind = f"{doc['spec']['group']}/{doc['spec']['names']['kind']}"
            assert kind in info["kinds"], kind
            served = sorted(v["name"] for v in doc["spec"]["versions"] if v.get("served", True))
            got = sorted(
                cv.version
                for cv in bundle.group_versions(doc["spec"]["group"])
                if cv.kind == doc["spec"]["names"]["kind"] and cv.served
            )
            assert got == served, kind
    assert "NOTICE" in bundle.project("kyverno")["notice"]  # Apache-2.0 section 4(d)
    assert "fluxcd.controlplane.io" not in index["groups"]  # AGPL: never bundled


def test_package_data_is_compact() -> None:
    total = sum(p.stat().st_size for p in DATA.iterdir())
    assert total < 400_000, total
    for p in DATA.glob("*.json.gz"):
        assert json.loads(gzip.decompress(p.read_bytes()))["crds"]


def test_schemas_list_names_projects_versions_and_kinds() -> None:
    from click.testing import CliRunner

    from gitops_gen.cli import cli

    out = CliRunner().invoke(cli, ["schemas", "list"])
    assert out.exit_code == 0
    assert "fluxcd  Flux v2.9.4" in out.output and "helm.toolkit.fluxcd.io/HelmRelease" in out.output
    assert "cert-manager  v1.21.1" in out.output and "AGPL-3.0" in out.output


def test_crd_dir_overrides_the_bundled_kind(tmp_path: Path) -> None:
    """A repository that pins an older Flux brings its own CRD: its versions are the served ones."""
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "helmreleases.helm.toolkit.fluxcd.io"},
        "spec": {
            "group": "helm.toolkit.fluxcd.io",
            "names": {"kind": "HelmRelease", "plural": "helmreleases"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v2beta2",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {"type": "object", "properties": {"interval": {"type": "string"}}}
                            },
                        }
                    },
                }
            ],
        },
    }
    hr = (
        "apiVersion: helm.toolkit.fluxcd.io/v2beta2\nkind: HelmRelease\nmetadata: {name: a, namespace: b}\n"
        "spec: {interval: 5m}\n"
    )
    (tmp_path / "hr.yaml").write_text(hr, encoding="utf-8")
    assert "removed in Flux 2.8" in by_rule(run([tmp_path / "hr.yaml"]), "schema")[0].message
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "hr-crd.yaml").write_text(json.dumps(crd), encoding="utf-8")
    assert by_rule(run([tmp_path / "hr.yaml"], crd_dirs=[crds]), "schema") == []
    # the same CRD among the input (gotk-components.yaml) overrides the bundled one too
    (tmp_path / "gotk-components.yaml").write_text(json.dumps(crd), encoding="utf-8")
    assert by_rule(run([tmp_path / "hr.yaml", tmp_path / "gotk-components.yaml"]), "schema") == []


@pytest.mark.slow
def test_installed_wheel_outside_the_source_tree_validates_our_output(tmp_path: Path) -> None:
    pytest.importorskip("hatchling", reason="hatchling (a dev dependency) builds the wheel offline")
    """Build a wheel in a temp dir, install it (no deps: the test venv has them) into a target dir
    and lint a copy of output/ from a directory with no ../shared and no source tree."""
    build = tmp_path / "build"
    shutil.copytree(
        REPO,
        build / "src",
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "__pycache__", "*.pyc", ".mypy_cache", "bench", "tests"
        ),
    )
    wheels = build / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            "./src",
        ],
        cwd=build,
        check=True,
    )
    wheel = next(wheels.glob("gitops_gen-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    assert "gitops_gen/lint/schema/bundled/fluxcd.json.gz" in names
    assert "gitops_gen/lint/schema/bundled/LICENSE-Apache-2.0.txt" in names
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    work = tmp_path / "elsewhere"
    shutil.copytree(REPO / "output", work / "output")
    env = {**os.environ, "PYTHONPATH": str(target), "GITOPS_GEN_NO_CACHE": "1"}
    probe = subprocess.run(
        [sys.executable, "-c", "import gitops_gen; print(gitops_gen.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip().startswith(str(target))
    proc = subprocess.run(
        [sys.executable, "-m", "gitops_gen", "lint", "output", "--format", "json"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    assert not [f for f in findings if "no schema" in f["message"]], findings
