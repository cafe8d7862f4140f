"""The committed output/ is exactly what the bundled specs render to (golden test)."""

from __future__ import annotations

from pathlib import Path

from gitops_gen.render.engine import HEADER_PREFIX, render_tree
from gitops_gen.render.extras import find_extras
from gitops_gen.render.paths import derive_prefix
from gitops_gen.render.writer import check_tree, scan
from gitops_gen.spec.loader import load_specs


def test_committed_output_equals_a_fresh_render(repo_root: Path) -> None:
    out = repo_root / "output"
    files = render_tree(load_specs(repo_root / "specs"), derive_prefix(out), find_extras(out))
    report = check_tree(out, files)
    assert report.clean, (
        f"output/ is stale: missing={report.missing} stale={report.stale} extra={report.extra}; "
        "run `gitops-gen render` and commit output/"
    )
    generated = sorted(rel for rel, e in scan(out).items() if e.kind == "generated")
    assert generated == sorted(files)
    for rel in files:
        assert (out / rel).read_text(encoding="utf-8") == files[rel]


def test_every_rendered_file_starts_with_the_header_naming_its_spec(repo_root: Path) -> None:
    files = render_tree(load_specs(repo_root / "specs"), "output")
    assert len(files) > 30
    for rel, text in files.items():
        first = text.split("\n", 1)[0]
        assert first.startswith(HEADER_PREFIX + " from specs/"), rel
        assert "do not edit" in first, rel
        if rel.startswith("apps/vps/lingua-app/"):
            assert "specs/apps/lingua-app.yaml" in first
        if rel.startswith("infrastructure/"):
            assert "specs/platform.yaml" in first


def test_flux_paths_carry_the_output_prefix_of_this_repository(repo_root: Path) -> None:
    assert derive_prefix(repo_root / "output") == "output"
    text = (repo_root / "output/clusters/vps/infrastructure.yaml").read_text()
    assert "path: ./output/infrastructure/controllers" in text
    assert "path: ./output/infrastructure/configs" in text
    sync = (repo_root / "output/clusters/vps/flux-system/gotk-sync.yaml").read_text()
    assert "path: ./output/clusters/vps" in sync
