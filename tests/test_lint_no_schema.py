"""A kind without a schema is one warning per kind (at its first object), not one per object."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from gitops_gen.cli import cli

WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w{i}\n  namespace: shop\nspec: {{}}\n"


def test_missing_schema_is_reported_once_per_kind(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"w{i}.yaml").write_text(WIDGET.format(i=i), encoding="utf-8")
    (tmp_path / "g.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g, namespace: shop}\n", encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["lint", str(tmp_path), "--no-cache", "--format", "json"])
    out = json.loads(result.output)
    got = [(Path(f["file"]).name, f["line"], f["severity"], f["message"]) for f in out["findings"]]
    assert got == [
        ("g.yaml", 1, "warning", "no schema for Gadget example.com/v1: not validated"),
        (
            "w0.yaml",
            1,
            "warning",
            "no schema for Widget example.com/v1: not validated (3 objects of this kind; the first is shown)",
        ),
    ]
    assert out["summary"]["warnings"] == 2 and out["summary"]["resources"] == 4
    assert result.exit_code == 0
