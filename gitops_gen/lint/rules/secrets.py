"""No credentials in plain text in the repository.

**What.**

* A plain ``v1/Secret`` with literal values in ``data`` or ``stringData``: error. A Secret
  encrypted with SOPS (a top-level ``sops:`` block, or ``ENC[...]`` values) is fine, and so are
  Secrets whose values are only references resolved outside git (Flux ``${VAR}``
  substitutions, 1Password ``op://``, ``vault:``/``ref+`` and ``<path:...>`` placeholders) or
  that have no data (e.g. a ``kubernetes.io/service-account-token`` filled in by the cluster).
  ``SealedSecret`` and ``ExternalSecret`` are never reported.
* A HelmRelease whose ``spec.values`` contain a literal credential: error. A key counts as a
  credential when its name *ends* in ``password``, ``passwd``, ``passphrase``, ``token``,
  ``secret``, ``apiKey``, ``privateKey``, ``secretKey``, ``clientSecret``, ``credentials``...
  (case, ``-``, ``_`` and ``.`` ignored), and its value is a non-empty string that is not a
  reference as above. So ``existingSecret``, ``secretName``, ``passwordSecretRef``,
  ``existingSecretPasswordKey``, ``passwordSecret`` (the Secret holding the password) or
  ``tokenFile`` are fine, and so is an empty ``password: ""``.
  For keys other than passwords, a value that looks like an object name (``my-tls-secret``) is
  taken as a reference to a Secret, not a credential.
* A ConfigMap with a credential key holding a literal value: error. A ``password = ...``-style
  line inside a file kept in a ConfigMap (or in a multi-line HelmRelease value): warning.
* A container ``env`` entry with a credential name and a literal ``value``, and a kustomize
  ``secretGenerator`` literal with a credential name: error.
* A URL with a literal password (``postgres://app:hunter2@db/app``, ``redis://:pw@host``) in env,
  a ConfigMap or HelmRelease values, and a number under a credential key
  (``redisPassword: 31415926``): error. The classifier is the spec loader's
  (:mod:`gitops_gen.credentials`): what the loader refuses, this rule reports.
* Values that start with a YAML tag in embedded config files (``password: !env_var DB_PASS``,
  ``token: !secret api_token``, ``!ENV``, ``!include``) are references resolved by the
  application, not literal credentials.

Findings name the key, never the value.

**Why.** Anything committed to git is readable by everyone with access to the repository, its
forks, its CI logs and every clone, forever (history keeps it after a fix). Kubernetes Secrets
are only base64-encoded, not encrypted.

**What we chose.** Plain Secrets are errors even when the repository is private: use
SealedSecrets, SOPS or an external secret store. Key names are matched by suffix (kube-linter's
``configmap-with-credentials`` matches anywhere in the name, which flags ``secretName``); this
misses some exotic names but keeps references quiet - a linter that cries wolf on
``existingSecret`` gets disabled.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from gitops_gen.credentials import (
    credential_kind,
    is_literal_credential,
    is_reference,
    secret_webhook,
    url_with_password,
)
from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.k8s.workloads import POD_TEMPLATE_KINDS, as_dict, as_list, containers
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.lint.workloads import walk_strings

ID = "secrets"
SEVERITY = "error"
SCOPE = "object"
LOCAL = True  # reads only its object: runs per file (process pool, cache)
KINDS = POD_TEMPLATE_KINDS | {"Secret", "HelmRelease", "ConfigMap", "Kustomization"}

_LINE = re.compile(
    r"""^\s*["']?(?P<key>[A-Za-z0-9_.\-]*?(?:password|passwd|secret|token|api[_-]?key|private[_-]?key))["']?"""
    r"""\s*[:=]\s*(?P<value>"[^"]*"|'[^']*'|[^\s#;,]+)""",
    re.IGNORECASE,
)


def _embedded(value: str) -> Iterator[str]:
    """Keys of ``password = literal`` lines inside a multi-line string (a config file)."""
    if "\n" not in value:
        return
    for line in value.splitlines()[:5000]:
        m = _LINE.match(line)
        if m is None:
            continue
        key, raw = m.group("key"), m.group("value").strip("'\"")
        if credential_kind(key) is None or is_reference(raw) or raw.startswith(("{", "[")):
            continue
        yield key


def _secret(r: Resource) -> Iterator[Hit]:
    body = r.body
    if "sops" in body or r.api_version not in ("v1", ""):
        return
    for section in ("stringData", "data"):
        data = body.get(section)
        if not isinstance(data, dict):
            continue
        literal = [
            str(k)
            for k, v in data.items()
            if isinstance(v, (str, int, float))
            and not isinstance(v, bool)
            and not (isinstance(v, str) and is_reference(v))
        ]
        if literal:
            yield Hit(
                r,
                f"plain Secret with literal {section} ({', '.join(literal)}) committed to git: "
                "anyone who can read the repository (or its history) has it",
                "encrypt it: a SealedSecret (kubeseal), SOPS, or an ExternalSecret from a "
                "secret store; then rotate the exposed credential",
                (section, literal[0]),
            )
            return  # one finding per Secret is enough


_URL_HINT = "put the URL (or its password) in a Secret and reference it; then rotate the password"


def _numbers(value: object, path: FieldPath) -> Iterator[tuple[FieldPath, str, object]]:
    """``(path, key, number)`` for every number under a mapping key (``redisPassword: 31415926``)."""
    stack: list[tuple[object, FieldPath]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if len(where) - len(path) > 64:
            continue
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            if isinstance(v, int | float) and not isinstance(v, bool) and isinstance(k, str):
                yield (*where, k), k, v
            elif isinstance(v, dict | list):
                stack.append((v, (*where, k if isinstance(k, int) else str(k))))


def _values(r: Resource, base: FieldPath, value: object, what: str) -> Iterator[Hit]:
    for path, key, number in sorted(_numbers(value, base), key=lambda t: [str(p) for p in t[0]]):
        if is_literal_credential(key, number):
            where = ".".join(str(p) for p in path[len(base) :])
            yield Hit(
                r,
                f"{what} {where} is a literal credential (a number) committed to git",
                "reference a Secret instead (chart's existingSecret option, or HelmRelease "
                "spec.valuesFrom with kind: Secret); then rotate it",
                path,
            )
    for path, key, text in walk_strings(value, base):
        where = ".".join(str(p) for p in path[len(base) :])
        if key != path[-1]:
            where += f" ({key})"
        if url_with_password(text):
            yield Hit(r, f"{what} {where} holds a URL with a literal password", _URL_HINT, path)
        elif (service := secret_webhook(text)) is not None:
            yield Hit(
                r,
                f"{what} {where} holds a {service} webhook URL: the URL is the credential (anyone "
                "holding it can post)",
                "move it to a Secret (sealed or from a secret store) and reference it: Alertmanager "
                "api_url_file / webhook_url_file, or the chart's existing-secret option; then "
                "regenerate the webhook",
                path,
            )
        elif is_literal_credential(key, text):
            yield Hit(
                r,
                f"{what} {where} is a literal credential committed to git",
                "reference a Secret instead (chart's existingSecret option, or HelmRelease "
                "spec.valuesFrom with kind: Secret), sealed or from a secret store; then "
                "rotate it",
                path,
            )
        else:
            for key2 in _embedded(text):
                yield Hit(
                    r,
                    f"{what} {where} embeds a literal {key2!r} setting",
                    "load the credential from a Secret (mounted file or env var) rather than "
                    "writing it into the configuration",
                    path,
                    severity=Severity.WARNING,
                )


def _configmap(r: Resource) -> Iterator[Hit]:
    data = r.body.get("data")
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if not isinstance(value, str):
            continue
        if url_with_password(value):
            yield Hit(
                r,
                f"ConfigMap key {key!r} holds a URL with a literal password: ConfigMaps are not secret",
                _URL_HINT,
                ("data", str(key)),
            )
            continue
        if is_literal_credential(str(key), value) and "\n" not in value:
            yield Hit(
                r,
                f"ConfigMap key {key!r} holds a literal credential: ConfigMaps are not "
                "secret (readable by anyone with view rights)",
                "move it to a Secret (sealed or from a secret store) and use secretKeyRef",
                ("data", str(key)),
            )
            continue
        for key2 in _embedded(value):
            yield Hit(
                r,
                f"ConfigMap key {key!r} embeds a literal {key2!r} setting",
                "move the credential to a Secret and load it from a file or env var",
                ("data", str(key)),
                severity=Severity.WARNING,
            )


def _env(r: Resource) -> Iterator[Hit]:
    for c in containers(r):
        for i, e in enumerate(as_list(c.container.get("env"))):
            if not isinstance(e, dict) or "valueFrom" in e:
                continue
            name, value = e.get("name"), e.get("value")
            if isinstance(name, str) and is_literal_credential(name, value):
                yield Hit(
                    r,
                    f"{c.label}: env var {name} holds a literal credential",
                    "use valueFrom.secretKeyRef pointing at a (sealed) Secret",
                    (*c.path, "env", i, "value"),
                )
            elif url_with_password(value):
                yield Hit(
                    r,
                    f"{c.label}: env var {name} holds a URL with a literal password",
                    "use valueFrom.secretKeyRef pointing at a (sealed) Secret",
                    (*c.path, "env", i, "value"),
                )


def _kustomize(r: Resource) -> Iterator[Hit]:
    if not r.api_version.startswith("kustomize.config.k8s.io"):
        return
    for i, gen in enumerate(as_list(r.body.get("secretGenerator"))):
        for j, lit in enumerate(as_list(as_dict(gen).get("literals"))):
            if not isinstance(lit, str) or "=" not in lit:
                continue
            key, _, value = lit.partition("=")
            if is_literal_credential(key.strip(), value):
                yield Hit(
                    r,
                    f"secretGenerator literal {key.strip()!r} is a credential committed to git",
                    "generate it from an encrypted file (SOPS) or use a SealedSecret",
                    ("secretGenerator", i, "literals", j),
                )


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    kind = resource.kind
    if kind == "Secret":
        yield from _secret(resource)
    elif kind == "HelmRelease":
        spec = resource.body.get("spec")
        if isinstance(spec, dict) and isinstance(spec.get("values"), (dict, list)):
            yield from _values(resource, ("spec", "values"), spec["values"], "spec.values")
    elif kind == "ConfigMap":
        yield from _configmap(resource)
    elif kind in POD_TEMPLATE_KINDS:
        yield from _env(resource)
    elif kind == "Kustomization":
        yield from _kustomize(resource)
