"""JSON Schema of the spec kinds, for editors (yaml-language-server) and `gitops-gen schema`."""

from __future__ import annotations

import json
from typing import Any

from gitops_gen.spec.models import App, Platform


def spec_json_schema() -> dict[str, Any]:
    platform = Platform.model_json_schema()
    app = App.model_json_schema()
    defs: dict[str, Any] = {}
    defs.update(platform.pop("$defs", {}))
    defs.update(app.pop("$defs", {}))
    defs["Platform"] = platform
    defs["App"] = app
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://gitops-gen.dev/schema/v1.json",
        "title": "gitops-gen specs (gitops-gen/v1)",
        "description": "A Platform (cluster, git source, nodes, components) or an App.",
        "oneOf": [{"$ref": "#/$defs/Platform"}, {"$ref": "#/$defs/App"}],
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    return json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"
