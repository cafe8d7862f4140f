"""The embedded schema validator, the `schema` rule and CRD conversion/import."""

from __future__ import annotations

import json
import marshal
import os
from pathlib import Path

import pytest
from lint_helpers import FIXTURES, SHARED, by_rule, run

from gitops_gen.errors import UserError
from gitops_gen.lint.schema.crd import crd_versions, to_json_schema
from gitops_gen.lint.schema.crd_import import import_crds
from gitops_gen.lint.schema.embedded import EmbeddedValidator
from gitops_gen.lint.schema.versions import resolve_version

CRDS = SHARED / "crds"


def need_crds() -> Path:
    if not CRDS.is_dir():
        pytest.skip(f"reference CRDs {CRDS} are absent")
    return CRDS


def test_bad_fixture_types_unknown_fields_unserved_and_missing_schema() -> None:
    result = run([FIXTURES / "schema" / "bad.yaml"])
    found = {(f.line, f.column, str(f.severity), f.message) for f in by_rule(result, "schema")}
    assert (7, 3, "error", 'spec.replicas: expected integer, got string "2"') in found
    assert (21, 11, "error", "spec.template.spec.containers[0].resourcez: unknown field 'resourcez'") in found
    unserved = [m for (_l, _c, _s, m) in found if "v2beta2" in m]
    assert unserved == [
        "HorizontalPodAutoscaler autoscaling/v2beta2 was removed in Kubernetes 1.26; use autoscaling/v2"
    ]
    missing = [f for f in by_rule(result, "schema") if f.resource == "Widget/w"]
    assert len(missing) == 1 and str(missing[0].severity) == "warning" and "no schema" in missing[0].message


def test_good_fixture_has_no_schema_findings() -> None:
    assert by_rule(run([FIXTURES / "schema" / "good.yaml"]), "schema") == []


def test_flux_crds_unserved_version_and_unknown_field() -> None:
    crds = need_crds()
    result = run([FIXTURES / "schema" / "flux-bad.yaml"], crd_dirs=[crds])
    msgs = sorted(f.message for f in by_rule(result, "schema"))
    assert any(
        "helm.toolkit.fluxcd.io/v2beta1 is not served (served: helm.toolkit.fluxcd.io/v2)" in m for m in msgs
    )
    assert "spec.valuez: unknown field 'valuez'" in msgs
    assert by_rule(run([FIXTURES / "schema" / "flux-good.yaml"], crd_dirs=[crds]), "schema") == []


def test_without_crds_bundled_schemas_validate_flux_kinds() -> None:
    assert by_rule(run([FIXTURES / "schema" / "flux-good.yaml"]), "schema") == []
    msgs = sorted(f.message for f in by_rule(run([FIXTURES / "schema" / "flux-bad.yaml"]), "schema"))
    assert "spec.valuez: unknown field 'valuez'" in msgs
    assert any("helm.toolkit.fluxcd.io/v2beta1 was removed in Flux 2.7" in m for m in msgs), msgs


def test_without_bundled_schemas_custom_kinds_warn_never_pass_silently() -> None:
    v = EmbeddedValidator("1.34", bundled=False)
    assert v.lookup("helm.toolkit.fluxcd.io/v2", "HelmRelease").status == "missing"
    assert EmbeddedValidator("1.34").lookup("helm.toolkit.fluxcd.io/v2", "HelmRelease").status == "found"


def test_api_has_schema_and_validate() -> None:
    v = EmbeddedValidator("1.34")
    assert v.has_schema("apps/v1", "Deployment")
    assert not v.has_schema("v1", "Affinity")  # a type, not a kind
    assert not v.has_schema("example.com/v1", "Widget")
    issues = v.validate(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": 1}}
    )
    assert [(i.path, i.message) for i in issues] == [(("data", "a"), "expected string, got integer 1")]
    assert v.validate({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}) == []
    # SOPS metadata is removed by kustomize-controller before apply
    assert (
        v.validate({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "sops": {"mac": "x"}})
        == []
    )


def test_version_resolution() -> None:
    assert resolve_version("v1.34.2") == "1.34"
    assert resolve_version(None) == "1.37"  # the newest bundled
    for outside in ("1.99", "1.24", "1.2"):  # never mapped to another version's schemas
        with pytest.raises(UserError, match=r"outside the bundled schemas \(1\.25 \.\. 1\.37\)"):
            resolve_version(outside)


def test_crd_conversion_rules() -> None:
    schema = to_json_schema(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "port": {"x-kubernetes-int-or-string": True},
                        "note": {"type": "string", "nullable": True},
                        "free": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                            "properties": {"a": {"type": "string"}},
                        },
                        "tpl": {
                            "type": "object",
                            "x-kubernetes-embedded-resource": True,
                            "x-kubernetes-preserve-unknown-fields": True,
                        },
                        "n": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
                    },
                },
            },
        }
    )
    spec = schema["properties"]["spec"]
    assert schema["additionalProperties"] is False and spec["additionalProperties"] is False
    assert spec["properties"]["port"]["type"] == ["integer", "string"]
    assert spec["properties"]["note"]["type"] == ["string", "null"]
    assert "additionalProperties" not in spec["properties"]["free"]
    assert set(spec["properties"]["tpl"]["properties"]) == {"apiVersion", "kind", "metadata"}
    assert spec["properties"]["n"] == {"type": "integer", "exclusiveMinimum": 0}
    assert {"apiVersion", "kind", "metadata", "status"} <= set(schema["properties"])


def test_input_crds_validate_their_custom_objects(tmp_path: Path) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}
                            },
                        }
                    },
                },
                {"name": "v0", "served": False, "storage": False},
            ],
        },
    }
    assert [(c.version, c.served) for c in crd_versions(crd)] == [("v1", True), ("v0", False)]
    (tmp_path / "crd.yaml").write_text(json.dumps(crd))
    (tmp_path / "w.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
        "spec:\n  size: 3\n  colour: red\n---\napiVersion: example.com/v0\n"
        "kind: Widget\nmetadata:\n  name: old\n"
    )
    found = {(f.resource, f.line, f.message) for f in by_rule(run([tmp_path]), "schema")}
    assert ("Widget/w", 7, "spec.colour: unknown field 'colour'") in found
    assert any(r == "Widget/old" and "not served (served: example.com/v1)" in m for r, _l, m in found)


def test_schemas_import_writes_kubeconform_layout_and_serves_schema_dir(tmp_path: Path) -> None:
    crds = need_crds()
    written = import_crds([crds / "fluxcd"], tmp_path / "schemas")
    hr = tmp_path / "schemas" / "helm.toolkit.fluxcd.io" / "helmrelease_v2.json"
    assert hr in written
    schema = json.loads(hr.read_text())
    assert schema["properties"]["spec"]["additionalProperties"] is False
    assert "additionalProperties" not in schema["properties"]["spec"]["properties"]["values"]
    via_dir = run([FIXTURES / "schema" / "flux-bad.yaml"], schema_dirs=[tmp_path / "schemas"])
    via_crd = run([FIXTURES / "schema" / "flux-bad.yaml"], crd_dirs=[crds])
    assert [f.message for f in by_rule(via_dir, "schema")] == [f.message for f in by_rule(via_crd, "schema")]


def test_schemas_import_cli_errors_on_non_crd(tmp_path: Path) -> None:
    from gitops_gen.errors import UserError

    with pytest.raises(UserError, match="no CustomResourceDefinition"):
        import_crds([FIXTURES / "schema" / "good.yaml"], tmp_path)


def test_definitions_copy_is_used_and_old_copies_are_pruned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundled definitions are kept as a marshal copy in the lint cache (the same data as the JSON),
    and only the newest few copies stay: each upgrade or Kubernetes version writes a new one."""
    from gitops_gen.lint.schema import embedded, versions

    cache = tmp_path / "schemas"
    cache.mkdir()
    for i in range(embedded.KEEP_COPIES + 3):  # copies of earlier installs, oldest first
        old = cache / f"defs-old{i:02d}"
        old.write_bytes(b"x")
        os.utime(old, ns=(i * 10**9, i * 10**9))
    (cache / "defs-busy.123.tmp").write_bytes(b"")  # another run's copy being written
    definitions = versions.schemas_root() / "v1.34.0-local-strict" / "_definitions.json"
    monkeypatch.setattr(versions, "definitions_cache_dir", None)
    plain = embedded._load_definitions(definitions).document()
    monkeypatch.setattr(versions, "definitions_cache_dir", cache)
    assert embedded._load_definitions(definitions).document() == plain  # written
    assert embedded._load_definitions(definitions).document() == plain  # read back
    assert plain["$id"] == embedded.DEFINITIONS_URL and len(plain["$defs"]) > 500
    [copy] = [
        p for p in cache.iterdir() if p.name.startswith("defs-") and "old" not in p.name and "." not in p.name
    ]
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x20  # one flipped bit inside a definition: the copy is not used
    copy.write_bytes(bytes(data))
    assert embedded._load_definitions(definitions).document() == plain
    left = sorted(p.name for p in cache.iterdir())
    assert "defs-busy.123.tmp" in left
    copies = [n for n in left if not n.endswith(".tmp")]
    assert len(copies) == embedded.KEEP_COPIES
    assert "defs-old00" not in copies and f"defs-old{embedded.KEEP_COPIES + 2:02d}" in copies


def _bad_objects_of_every_builtin_kind(v: EmbeddedValidator) -> list[dict[str, object]]:
    """One invalid object of each built-in (apiVersion, kind) the schemas serve: an unknown field in
    its spec, wrong types in its metadata and containers, an int32 overflow."""
    out: list[dict[str, object]] = []
    for name in sorted(v.k8s_files):
        if name.startswith("_") or not name.endswith(".json"):
            continue
        for gvk in v._builtin_gvk(name):
            group, version, kind = gvk.get("group") or "", gvk.get("version"), gvk.get("kind")
            api_version = f"{group}/{version}" if group else str(version)
            if not v.has_schema(api_version, str(kind)):
                continue
            out.append(
                {
                    "apiVersion": api_version,
                    "kind": kind,
                    "metadata": {"name": "x", "generation": "two", "labels": {"a": 1}},
                    "spec": {
                        "bogus": True,
                        "replicas": 2**40,
                        "template": {"spec": {"containers": [{"name": 3}]}},
                    },
                }
            )
    return out


def test_per_kind_registries_validate_like_one_registry_of_all_definitions() -> None:
    """Each kind is compiled against a registry of only the definitions it reaches, until those have
    cost as much as one whole registry: the findings are the same as with the whole registry (here for
    every built-in kind, in both modes), and a run with many kinds ends on the whole one."""
    per_kind, whole = EmbeddedValidator(), EmbeddedValidator()
    whole._converted = 10**9  # the whole registry from the first kind on
    objects = _bad_objects_of_every_builtin_kind(per_kind)
    assert len(objects) > 50
    first = per_kind.validate(objects[0])
    assert per_kind._registry is None and first  # a registry of its own definitions
    for obj in objects:
        assert per_kind.validate(obj) == whole.validate(obj), obj["kind"]
    assert per_kind._registry is not None  # many kinds: then one whole registry
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    paths = {i.path for i in per_kind.validate(deployment)}
    assert {("metadata", "generation"), ("metadata", "labels", "a"), ("spec", "replicas")} <= paths


def test_definitions_reached_follow_refs_through_definitions() -> None:
    from gitops_gen.lint.schema import embedded

    v = EmbeddedValidator()
    defs = embedded._load_definitions(v.k8s_dir / "_definitions.json")
    with open(v.k8s_dir / "deployment-apps-v1.json", encoding="utf-8") as fh:
        schema = json.load(fh)
    names = defs.reached(schema)
    assert "io.k8s.api.apps.v1.DeploymentSpec" in names  # named by the kind's schema
    assert "io.k8s.api.core.v1.Probe" in names  # reached through PodSpec -> Container
    assert "io.k8s.api.core.v1.ServiceSpec" not in names
    assert len(names) < len(defs) // 3
    crd = defs.reached(
        {"$ref": "#/$defs/io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"}
    )
    assert "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps" in crd  # recursive


def test_definitions_copy_carries_each_definitions_references() -> None:
    """A copy holds the names each definition refers to: following a kind's references unmarshals no
    definition (only the document of those reached does), and reaches what the JSON reaches."""
    from gitops_gen.lint.schema import embedded

    v = EmbeddedValidator()
    plain = embedded._load_definitions(v.k8s_dir / "_definitions.json")
    copy = embedded.Definitions.from_copy(plain.to_copy())
    with open(v.k8s_dir / "deployment-apps-v1.json", encoding="utf-8") as fh:
        schema = json.load(fh)
    names = copy.reached(schema)
    assert names == plain.reached(schema)
    assert all(isinstance(d, bytes) for d in copy._defs.values())  # nothing unmarshalled to follow them
    assert copy.document(names) == plain.document(names)
    with pytest.raises(ValueError):  # a copy of the earlier format (no references) is not used
        from gitops_gen.lint.cache import _seal

        embedded.Definitions.from_copy(_seal(marshal.dumps((plain.top, {}))))


def test_kind_records_validate_like_the_json_and_spare_the_definitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a cache directory, what compiling each built-in kind reads is kept as one record per kind:
    a later run validates every kind as the JSON does (per-kind and whole registries alike) and, for a
    few kinds, loads neither the definitions nor any kind's JSON; a torn record is read from the JSON."""
    from gitops_gen.lint.schema import embedded, versions

    cache = tmp_path / "schemas"
    monkeypatch.setattr(versions, "definitions_cache_dir", None)
    plain = EmbeddedValidator()
    objects = _bad_objects_of_every_builtin_kind(plain)
    expected = [plain.validate(o) for o in objects]
    monkeypatch.setattr(versions, "definitions_cache_dir", cache)
    writer = EmbeddedValidator()
    assert [writer.validate(o) for o in objects] == expected
    records = sorted(cache.glob("kind-*"))
    assert len(records) > 50  # one per kind file compiled
    reader = EmbeddedValidator()
    assert [reader.validate(o) for o in objects] == expected
    few = EmbeddedValidator()
    json_reads: list[str] = []
    real_load = json.load
    monkeypatch.setattr(
        embedded.json, "load", lambda fh, **kw: json_reads.append(fh.name) or real_load(fh, **kw)
    )
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    assert few.validate(deployment) == expected[objects.index(deployment)]
    assert few._definitions is None and few._registry is None and json_reads == []
    monkeypatch.undo()
    monkeypatch.setattr(versions, "definitions_cache_dir", cache)
    for record in records:  # torn: each is read from its JSON again, and the results are the same
        record.write_bytes(record.read_bytes()[:-7])
    torn = EmbeddedValidator()
    assert [torn.validate(o) for o in objects] == expected


def test_kind_records_of_older_installs_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gitops_gen.lint.schema import embedded, versions

    cache = tmp_path / "schemas"
    cache.mkdir()
    for i in range(embedded.KEEP_KIND_RECORDS + 5):
        old = cache / f"kind-old{i:04d}"
        old.write_bytes(b"x")
        os.utime(old, ns=(i * 10**9, i * 10**9))
    monkeypatch.setattr(versions, "definitions_cache_dir", cache)
    v = EmbeddedValidator()
    assert v.validate({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}) == []
    kept = sorted(p.name for p in cache.glob("kind-*"))
    assert len(kept) == embedded.KEEP_KIND_RECORDS
    assert "kind-old0000" not in kept and not all(n.startswith("kind-old") for n in kept)
