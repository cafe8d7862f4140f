"""specs/ of the current directory applies to manifests inside it, not to any tree linted from there."""

from __future__ import annotations

from pathlib import Path

from gitops_gen.discover import default_specs_dir


def test_default_specs_dir(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    (repo / "output").mkdir()
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert default_specs_dir([repo / "output"], repo) is None  # no platform.yaml yet
    (repo / "specs" / "platform.yaml").write_text("kind: Platform\n", encoding="utf-8")
    assert default_specs_dir([repo / "output"], repo) == repo / "specs"
    assert default_specs_dir([repo / "output", other], repo) is None
    assert default_specs_dir([other], repo) is None
