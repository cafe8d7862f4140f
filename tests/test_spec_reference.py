"""The spec contract: the shared reference specs load unchanged; the bundled specs are them (plus
``k3s.disable``); the committed JSON Schema is current and the bundled specs point editors at it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from gitops_gen.spec.loader import load_specs
from gitops_gen.spec.schema import schema_text


def test_reference_specs_load_unchanged(shared_dir: Path) -> None:
    specs = load_specs(shared_dir / "design" / "reference-specs")
    assert specs.platform.metadata.name == "vps"
    assert [a.metadata.name for a in specs.apps] == ["lingua-app"]
    assert specs.platform.spec.components.logging is not None
    assert specs.platform.spec.components.logging.loki.chunksCache is False


def test_bundled_specs_are_the_reference_plus_k3s_disable(repo_root: Path, shared_dir: Path) -> None:
    ref = load_specs(shared_dir / "design" / "reference-specs")
    ours = load_specs(repo_root / "specs")
    assert ours.platform.spec.k3s.disable == ["traefik"]
    assert ref.platform.spec.k3s.disable == []
    assert (
        ours.platform.model_copy(
            update={"spec": ours.platform.spec.model_copy(update={"k3s": ref.platform.spec.k3s})}
        )
        == ref.platform
    )
    assert ours.apps == ref.apps


def test_committed_schema_is_current_and_validates_the_bundled_specs(repo_root: Path) -> None:
    committed = (repo_root / "specs/schema.json").read_text()
    assert committed == schema_text(), (
        "specs/schema.json is stale: run `gitops-gen schema --out specs/schema.json`"
    )
    schema = json.loads(committed)
    for rel, ref in (
        ("specs/platform.yaml", "./schema.json"),
        ("specs/apps/lingua-app.yaml", "../schema.json"),
    ):
        text = (repo_root / rel).read_text()
        assert text.splitlines()[0] == f"# yaml-language-server: $schema={ref}"
        jsonschema.validate(yaml.safe_load(text), schema)
