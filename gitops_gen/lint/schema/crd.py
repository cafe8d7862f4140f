"""CustomResourceDefinition -> strict JSON Schema (the converter behind `gitops-gen schemas import`).

A CRD's ``openAPIV3Schema`` is OpenAPI 3.0, not JSON Schema, and it is *open* by default only where
it says so. The conversion, shared by the embedded validator (``--crd-dir``) and the importer:

* ``additionalProperties: false`` on every object that lists ``properties`` and is not marked
  ``x-kubernetes-preserve-unknown-fields: true`` (and has no ``additionalProperties`` of its own):
  the API server prunes unknown fields there, so an unknown field is a mistake (strict, like
  kubeconform ``-strict``);
* ``x-kubernetes-int-or-string: true`` -> integer or string;
* ``nullable: true`` -> ``null`` allowed as well;
* ``x-kubernetes-embedded-resource: true`` -> ``apiVersion``, ``kind`` and ``metadata`` allowed;
* OpenAPI 3.0 boolean ``exclusiveMinimum``/``exclusiveMaximum`` -> JSON Schema numeric form;
* the top level always accepts ``apiVersion``, ``kind``, ``metadata`` (and ``status``) — the
  API server adds them to every custom resource.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

_SCHEMA_KEYS_WITH_SUBSCHEMA = ("items", "additionalProperties", "not")
_SCHEMA_KEYS_WITH_LIST = ("allOf", "anyOf", "oneOf")


class CrdVersion(Struct, frozen=True):
    """One version of a CRD: its group, kind, version, whether it is served, and its schema."""

    group: str
    kind: str
    version: str
    served: bool
    raw: dict[str, Any] | None  # the CRD's openAPIV3Schema, None if the CRD has none for this version

    @property
    def schema(self) -> dict[str, Any] | None:
        """The strict JSON schema (converted on each call: callers compile it once)."""
        return to_json_schema(self.raw) if self.raw is not None else None


def is_crd(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and doc.get("kind") == "CustomResourceDefinition"
        and str(doc.get("apiVersion", "")).startswith("apiextensions.k8s.io/")
    )


def crd_versions(doc: dict[str, Any]) -> list[CrdVersion]:
    """Every version of one CRD manifest (apiextensions.k8s.io/v1, or v1beta1's older layout)."""
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return []
    group = str(spec.get("group") or "")
    names: dict[str, Any] = spec["names"] if isinstance(spec.get("names"), dict) else {}
    kind = str(names.get("kind") or "")
    if not group or not kind:
        return []
    out: list[CrdVersion] = []
    shared = (
        spec.get("validation", {}).get("openAPIV3Schema")
        if isinstance(spec.get("validation"), dict)
        else None
    )
    versions = spec.get("versions")
    if isinstance(versions, list) and versions:
        for v in versions:
            if not isinstance(v, dict) or not v.get("name"):
                continue
            raw = None
            if isinstance(v.get("schema"), dict):
                raw = v["schema"].get("openAPIV3Schema")
            raw = raw if isinstance(raw, dict) else shared
            out.append(
                CrdVersion(
                    group,
                    kind,
                    str(v["name"]),
                    bool(v.get("served", True)),
                    raw if isinstance(raw, dict) else None,
                )
            )
    elif spec.get("version"):
        out.append(
            CrdVersion(
                group,
                kind,
                str(spec["version"]),
                True,
                shared if isinstance(shared, dict) else None,
            )
        )
    return out


def to_json_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    """Convert a CRD version's openAPIV3Schema into a strict JSON schema (a new dict)."""
    root: dict[str, Any] = _convert(openapi)
    props = root.setdefault("properties", {})
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    props.setdefault("metadata", {"type": "object"})
    props.setdefault("status", {})
    if "type" not in root:
        root["type"] = "object"
    return root


def _convert(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {k: _convert(v) for k, v in value.items()}
        elif key in _SCHEMA_KEYS_WITH_SUBSCHEMA and isinstance(value, dict):
            out[key] = _convert(value)
        elif key in _SCHEMA_KEYS_WITH_LIST and isinstance(value, list):
            out[key] = [_convert(v) for v in value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            continue  # handled below
        elif key == "nullable" or key.startswith("x-kubernetes-"):
            continue
        else:
            out[key] = value
    # OpenAPI 3.0 boolean exclusive bounds -> numeric
    for bound, excl in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if node.get(excl) is True and bound in out:
            out[excl] = out.pop(bound)
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if node.get("x-kubernetes-int-or-string") is True:
        out.pop("type", None)
        out["type"] = ["integer", "string"]
    if node.get("x-kubernetes-embedded-resource") is True:
        props = out.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props.setdefault("metadata", {"type": "object"})
    if "properties" in out and not preserve and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable") is True:
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
        elif isinstance(t, list) and "null" not in t:
            out["type"] = [*t, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out
