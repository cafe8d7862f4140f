"""Objects match the strict schema of their kind: no unknown field, no wrong type, a served apiVersion.

**What.** Every object is validated against the JSON schema of its ``apiVersion``/``kind``:

* Kubernetes kinds: the strict schemas of the ``kubernetes-validate`` package for
  ``--kubernetes-version`` (default: the platform spec's, else the newest known);
* custom kinds: schemas from ``--schema-dir`` (kubeconform layout, e.g. written by
  ``gitops-gen schemas import``), from CRD manifests in ``--crd-dir``, and from the
  ``CustomResourceDefinition`` objects among the linted files (e.g. Flux's ``gotk-components.yaml``).

An unknown field, a wrong type, a missing required field or a value outside an enum is an error at
the field's line. An ``apiVersion`` that is no longer served (``helm.toolkit.fluxcd.io/v2beta1``
when the CRD serves only ``v2``; ``autoscaling/v2beta2`` on Kubernetes >= 1.26) is an error naming
the served versions. An object without ``metadata.name`` (and no ``generateName``) is an error, and
so is an integer outside its field's ``int32``/``int64`` range (``replicas: 99999999999``).
A kind with no schema at all is a *warning* — never a silent pass — reported once per kind, at its
first object, with the number of objects left unvalidated.

**Why.** The API server rejects (or, for unknown fields, silently drops) what does not match, and
Flux then fails the whole Kustomization — after the merge, in the cluster.

**What we chose.** Strict, like ``kubeconform -strict``: unknown fields are errors (a typo such as
``replica:`` is dropped by the server and the default silently applies). Values with a Flux
post-build substitution (``${VAR}``) are not type-checked (they are resolved at apply time), and a
SOPS ``sops:`` block is ignored (kustomize-controller removes it when decrypting). Quantities may be
numbers or strings, int-or-string fields accept both, ``null`` is accepted where Kubernetes does.
With ``--validator kubeconform`` this rule's findings come from kubeconform instead.

Compared with kubeconform's acceptance tests (``tests/test_external_suites.py``): the same verdicts on
valid, invalid, multi-document, ``List``, empty, comment-only, int-or-string, quantity, ``null`` and
JSON inputs. Deliberately different: a kind with no schema is a warning (kubeconform fails unless
``-ignore-missing-schemas``); a missing ``metadata.name`` and an overflowing integer are errors
(kubeconform passes both; the API server rejects them); unknown fields and duplicate keys are
always errors (kubeconform only with ``-strict``); a YAML file with no ``apiVersion``, ``kind`` or
``metadata`` at all is skipped with an info (kubeconform: "missing 'kind' key"), so Helm values and
tool configs next to the manifests are not errors. Also checked, as the API server does and
kubeconform does not: the syntax of object names (DNS-1123 subdomain for most built-in kinds, label for
``Namespace``, DNS-1035 for ``Service``, path segment for RBAC kinds and custom resources), of label
and annotation keys and of label values (``gitops_gen/lint/schema/metadata.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_gen.k8s.model import Resource
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.values import dotted

ID = "schema"
SEVERITY = "error"
SCOPE = "object"
LOCAL = True  # reads only its object (and the options): results are cached per file

NO_SCHEMA = "no schema for "
REMEDIATION_NO_SCHEMA = (
    "add its CRD with --crd-dir DIR, or schemas with --schema-dir DIR "
    "(`gitops-gen schemas import CRD.yaml --out DIR`)"
)


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    from gitops_gen.lint.schema.embedded import shared_validator

    options = ctx.options
    if getattr(options, "validator", "embedded") == "kubeconform":
        return
    yield from check_with(resource, shared_validator(options))


def check_with(resource: Resource, validator: Any) -> Iterator[Hit]:
    """Every finding of this rule for one object, against an :class:`EmbeddedValidator`."""
    meta = resource.body.get("metadata")
    if not isinstance(meta, dict) or (not meta.get("name") and not meta.get("generateName")):
        yield Hit(
            resource,
            "object has no metadata.name",
            "give the object a name (metadata.name)",
            ("metadata",) if isinstance(meta, dict) else (),
        )
    change = api_change_hit(resource, validator.kubernetes_version)
    if change is not None:
        yield change
        if change.severity is None:  # removed: the schema of a version that no longer exists says nothing
            return
    yield from hits_for(resource, validator)
    found = validator.lookup(resource.api_version, resource.kind)
    yield from metadata_hits(resource, found.source.startswith("kubernetes "))


def unserved_hit(resource: Resource, served: list[str], message: str | None = None) -> Hit:
    """An apiVersion the kind is not served at (the same finding from both schema back ends)."""
    from gitops_gen.lint.schema.embedded import unserved_message

    return Hit(
        resource,
        message or unserved_message(resource.api_version, resource.kind, served),
        f"change apiVersion to {served[-1]}" if served else "use an apiVersion the cluster serves",
        ("apiVersion",),
    )


def api_change_hit(resource: Resource, kubernetes_version: str) -> Hit | None:
    """A removed (error) or deprecated (warning) Kubernetes apiVersion, by the linted version."""
    from gitops_gen.lint.schema.apiversions import kubernetes_change

    found = kubernetes_change(resource.api_version, resource.kind, kubernetes_version)
    if found is None:
        return None
    message, removed = found
    return Hit(
        resource,
        message,
        "change apiVersion (and the fields that changed with it) before upgrading the cluster",
        ("apiVersion",),
        None if removed else Severity.WARNING,
    )


def hits_for(resource: Resource, validator: object) -> Iterator[Hit]:
    """Findings of one object against an :class:`EmbeddedValidator` (also used for input CRDs)."""
    from gitops_gen.lint.schema.embedded import EmbeddedValidator

    assert isinstance(validator, EmbeddedValidator)
    if validator.quick_valid(resource.body):
        return
    found = validator.lookup(resource.api_version, resource.kind)
    if found.status == "unserved":
        from gitops_gen.lint.schema.apiversions import flux_change
        from gitops_gen.lint.schema.embedded import split_api_version

        group = split_api_version(resource.api_version)[0]
        flux = (
            None
            if validator.user_defines(group, resource.kind)
            else flux_change(resource.api_version, resource.kind)
        )
        yield unserved_hit(resource, found.served, flux)
        return
    if found.status != "found":
        yield Hit(
            resource,
            f"{NO_SCHEMA}{resource.kind} {resource.api_version}: not validated",
            REMEDIATION_NO_SCHEMA,
            ("apiVersion",),
            Severity.WARNING,
        )
        return
    from gitops_gen.lint.schema.flux_operator import widened

    for issue in validator.validate(resource.body):
        fix = _remediation(issue.message)
        if widened(ID, _message(issue.path, issue.message), issue.path, resource.kind):
            fix = (
                "this kind exists only where the Flux Operator manages Flux: lint the FluxInstance (or the "
                "flux-operator/flux-instance chart) together with this object, or remove the kind"
            )
        yield Hit(resource, _message(issue.path, issue.message), fix, issue.path)


def metadata_hits(resource: Resource, builtin: bool) -> Iterator[Hit]:
    from gitops_gen.lint.schema.metadata import metadata_issues

    for path, message in metadata_issues(resource.body, resource.kind, builtin):
        yield Hit(
            resource, message, "fix the name or key: the API server rejects it (kubectl apply fails)", path
        )


def _message(path: tuple[str | int, ...], message: str) -> str:
    if not path:
        return message
    return f"{dotted(path)}: {message}"


def _remediation(message: str) -> str:
    if message.startswith("unknown field"):
        return "remove the field or fix its spelling/indentation (the API server would drop it)"
    if message.startswith("expected"):
        return "use a value of the expected type (quote numbers meant as strings)"
    if message.startswith("missing required"):
        return "add the required field"
    if message.startswith("the schema of ") and "is not a usable JSON Schema" in message:
        return "fix that schema file or CRD (the object itself was not validated), or remove it"
    return "fix the value to match the schema of this kind"
