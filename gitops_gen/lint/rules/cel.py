"""Custom resources pass the CEL validation rules (``x-kubernetes-validations``) of their CRD.

**What.** For every custom object whose schema comes from a CRD (bundled, ``--crd-dir`` or among the
input), each ``x-kubernetes-validations`` rule is evaluated as the API server does on create: ``self``
is the field's value after schema defaults, ``oldSelf`` (transition) rules are skipped. A rule that
returns false is an error with the rule's ``message`` at its field (``fieldPath`` when given): a
HelmRelease with both ``chart`` and ``chartRef``, ``retryInterval`` with a strategy other than
``RetryOnFailure``, a GitRepository ``provider: github`` without a ``secretRef``, a cert-manager Venafi
issuer with both ``cloud`` and ``tpp``, a Gateway API route with an invalid match.

A rule that cannot be evaluated here (an unknown function, a runtime error, a ``${VAR}`` substitution
in its value, a SOPS-encrypted object) is never a silent pass: it is an *info* finding, listed with
``lint --verbose`` and counted in the summary otherwise.

**Why.** Kubernetes rejects the object at apply time and Flux fails the whole Kustomization, after
the merge. kubeconform does not evaluate CEL.

**What we chose.** Rules are compiled once per process (``gitops_gen/lint/schema/cel.py``, on the
``common-expression-language`` library); evaluation costs ~40 µs for a HelmRelease.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_gen.k8s.model import Resource
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.values import dotted

ID = "cel"
SEVERITY = "error"
SCOPE = "object"
LOCAL = True

NOT_EVALUATED = "CEL rule not evaluated"
_PLANS: dict[int, Any] = {}  # id(raw openAPIV3Schema) -> (raw, CelRules): the raw dict is kept alive
_UNKNOWN = object()


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    if "/" not in resource.api_version:
        return  # a core kind (v1): no CRD
    from gitops_gen.lint.schema.embedded import shared_validator

    yield from hits_for(resource, ctx.memo("cel.validator", lambda: shared_validator(ctx.options)))


def hits_for(resource: Resource, validator: Any) -> Iterator[Hit]:
    """CEL findings of one object against the CRD schemas an :class:`EmbeddedValidator` knows."""
    from gitops_gen.lint.schema.cel import CelRules
    from gitops_gen.lint.schema.crd import CrdVersion

    api_version, kind = resource.api_version, resource.kind
    if "/" not in api_version or not kind:
        return
    cache: dict[tuple[str, str], Any] | None = getattr(validator, "cel_rules", None)
    if cache is None:
        cache = {}
        validator.cel_rules = cache  # per validator: the same kind may have other CRDs in another
    key = (api_version, kind)
    rules = cache.get(key, _UNKNOWN)
    if rules is _UNKNOWN:
        rules = None
        src = validator.source_of(api_version, kind)
        if isinstance(src, CrdVersion) and src.served and src.raw is not None:
            plan = _PLANS.get(id(src.raw))
            if plan is None:
                plan = _PLANS[id(src.raw)] = (src.raw, CelRules(src.raw))
            rules = None if plan[1].empty else plan[1]
        cache[key] = rules
    if rules is None:
        return
    if "sops" in resource.body:
        yield Hit(
            resource,
            f"{NOT_EVALUATED}s: the object is SOPS-encrypted (its values are known only after decryption)",
            "nothing to do; lint the decrypted object to check its CEL rules",
            (),
            Severity.INFO,
        )
        return
    failures, skips = rules.evaluate(resource.body)
    for f in failures:
        yield Hit(
            resource,
            f"{dotted(f.path)}: {f.message}" if f.path else f.message,
            "change the object so that the CRD's validation rule holds (the API server rejects it)",
            f.path,
        )
    for s in skips:
        yield Hit(
            resource,
            f"{NOT_EVALUATED} ({s.reason}): {s.rule}",
            "check this rule by hand, or apply the object to a test cluster",
            s.path,
            Severity.INFO,
        )
