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


def test_the_nearest_specs_inside_the_current_directory_wins(tmp_path: Path) -> None:
    """Linting an example's rendered tree from the repository root reads the example's own specs (a fleet
    here: clusters/*.yaml), not the root platform's node sizes."""
    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    (repo / "specs" / "platform.yaml").write_text("kind: Platform\n", encoding="utf-8")
    example = repo / "examples" / "fleet"
    (example / "output" / "clusters").mkdir(parents=True)
    (example / "specs" / "clusters").mkdir(parents=True)
    assert default_specs_dir([example / "output"], repo) == repo / "specs"  # no cluster spec yet
    (example / "specs" / "clusters" / "staging.yaml").write_text("kind: Platform\n", encoding="utf-8")
    assert default_specs_dir([example / "output"], repo) == repo / "examples/fleet/specs"
    assert default_specs_dir([Path("examples/fleet/output/clusters")], repo) == repo / "examples/fleet/specs"
    assert default_specs_dir([example / "output", repo / "specs"], repo) == repo / "specs"  # common: repo
    assert default_specs_dir([Path("output")], repo) == repo / "specs"
