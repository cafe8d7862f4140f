"""Packaging: one version (gitops_gen.__version__) everywhere, py.typed and templates in the wheel, a changelog entry."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import gitops_gen

REPO = Path(__file__).resolve().parents[1]


def test_the_version_is_single_sourced() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?(a|b|rc|dev|post)\d+)?", gitops_gen.__version__)


def test_cli_version_prints_it() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gitops_gen", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and proc.stdout == f"gitops-gen, version {gitops_gen.__version__}\n"


def test_the_wheel_carries_the_version_py_typed_and_templates(tmp_path: Path) -> None:
    # the real build backend on this checkout, offline (hatchling is a dev dependency)
    proc = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read(f"gitops_gen-{gitops_gen.__version__}.dist-info/METADATA").decode()
    assert f"\nVersion: {gitops_gen.__version__}\n" in metadata
    assert "gitops_gen/py.typed" in names
    templates = {p.name for p in (REPO / "templates").iterdir() if p.is_file()}
    assert templates and {f"gitops_gen/templates/{t}" for t in templates} <= names


def test_the_changelog_has_this_version_and_an_unreleased_section() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "\n## [Unreleased]\n" in text
    assert re.search(rf"^## \[{re.escape(gitops_gen.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.M)
