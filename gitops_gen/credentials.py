"""One classifier for credentials written in plain text, used by the spec loader (which refuses
them, :mod:`gitops_gen.spec.secrets`) and by the lint rule ``secrets`` (which reports them in any
manifests, :mod:`gitops_gen.lint.rules.secrets`).

A *key* (a Helm values key, an env var name, a ConfigMap key, a ``secretGenerator`` literal name)
is split into words (``adminPassword`` -> ``admin password``, ``DB_TOKEN`` -> ``db token``) and
is **not** a credential when it names or points at one:

* its first word is ``existing``/``use``/``from``/``external``, or ``existing`` is anywhere in it
  (``existingSecret``, ``useSecret``, ``adminExistingSecret``: a reference or a switch);
* its last word is a reference word (``secretName``, ``tokenFile``, ``passwordSecretRef``,
  ``PASSWORD_PATH``, ``TOKEN_URL``, ``tokenTTL``, ``imagePullSecrets``...);
* it is ``<password|token|user|cert|ca|tls>Key`` (``passwordKey``: the *name of a key* inside a
  Secret) or ``<password|token|credential(s)|apiKey|key>Secret`` (``passwordSecret``: the name of
  the Secret holding the password).

Otherwise it is a credential when it **ends** in ``password``, ``passwd``, ``passphrase``,
``token``, ``secret``, ``apiKey``, ``privateKey``, ``secretKey``, ``clientSecret``,
``credentials``... (case, ``-``, ``_`` and ``.`` ignored).

A *value* is a reference, not a credential, when it is empty, a placeholder resolved elsewhere
(``${VAR}`` Flux substitution, ``$(VAR)``, ``$VAR``, ``{{ .Values.x }}``, ``<...>``), a
secret-store URI (``op://``, ``vault:``, ``ref+``, ``<path:``...), SOPS-encrypted (``ENC[...]``),
an absolute path, or a YAML-ish switch (``true``, ``no``, ``~``...).

**One parameter, two policies: ``strict``.**

* ``strict=False`` (lint, default): precision on hand-written repositories. Keys match by
  suffix only (home-ops' ``SECRET_DOMAIN`` is a substitution variable holding a domain, not a
  credential), and for keys other than passwords a value that looks like an object name
  (``my-tls-secret``) is taken as the name of a Secret.
* ``strict=True`` (spec loader): the specs are ours and are rendered straight into git, so a
  credential *word* anywhere in the key counts too (``SECRET_KEY_BASE``, ``JWT_SECRET_VALUE``,
  ``SMTP_PASS``, ``STRIPE_SECRET_KEY``) and every non-reference value is a literal. Strict flags
  a superset of lenient, so whatever the loader lets through, the lint rule stays quiet on.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "credential_kind",
    "is_credential_key",
    "is_literal_credential",
    "is_reference",
    "url_with_password",
]

Kind = Literal["password", "other"]

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_PASSWORD_SUFFIXES = ("password", "passwd", "passphrase")
_OTHER_SUFFIXES = (
    "token",
    "secret",
    "apikey",
    "privatekey",
    "secretkey",
    "clientsecret",
    "credentials",
    "credential",
    "authkey",
    "encryptionkey",
    "signingkey",
    "masterkey",
    "secretaccesskey",
    "webhooksecret",
    "bearertoken",
    "accesstoken",
    "refreshtoken",
    "sessionkey",
    "licensekey",
)
# "<this>Secret" is the name of the Secret holding it (passwordSecret, tokenSecret)
_SECRET_OF = ("password", "passwd", "token", "credentials", "credential", "apikey", "key")
# "<this>Key" names a key inside a Secret (grafana admin.passwordKey: admin-password)
_KEY_OF = frozenset({"password", "passwd", "token", "user", "username", "cert", "ca", "tls"})
_REFERENCE_FIRST = frozenset({"existing", "use", "from", "external"})
# a key ending in one of these words names or points at a credential, it does not hold one
_REFERENCE_LAST = frozenset(
    {
        "name",
        "names",
        "ref",
        "refs",
        "file",
        "files",
        "path",
        "paths",
        "dir",
        "id",
        "url",
        "uri",
        "ttl",
        "timeout",
        "expiry",
        "expiration",
        "expires",
        "length",
        "header",
        "field",
        "enabled",
        "enable",
        "create",
        "mount",
        "mounts",
        "volume",
        "volumes",
        "namespace",
        "selector",
        "annotations",
        "labels",
        "type",
        "mode",
        "policy",
        "template",
        "prefix",
        "suffix",
        "keys",
        "version",
        "format",
        "env",
        "from",
        "provider",
        "source",
        "store",
        "location",
        "audience",
        "issuer",
        "endpoint",
        "duration",
        "period",
        "interval",
        "size",
        "count",
        "hash",
        "algorithm",
        "generate",
        "rotation",
        "required",
    }
)
# strict only: words that make a key a credential wherever they stand
_CREDENTIAL_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
        "privatekey",
        "secretkey",
        "accesskey",
        "clientsecret",
        "webhooksecret",
    }
)
# strict only: "<word> key" is a credential (api key, access key, private key...)
_KEY_QUALIFIERS = frozenset(
    {
        "api",
        "access",
        "private",
        "secret",
        "signing",
        "encryption",
        "client",
        "license",
        "master",
        "auth",
        "ssh",
        "hmac",
        "session",
        "shared",
    }
)

_REFERENCE_PREFIXES = (
    "op://",
    "vault:",
    "ref+",
    "<path:",
    "akv://",
    "gcpsm://",
    "awssm://",
    "secretref+",
    "enc[",
    "sops:",
    "$__file{",
    "$__env{",
    "$__vault{",
    "file://",
    "env:",
    "k8s://",
)
_SWITCHES = frozenset({"true", "false", "yes", "no", "null", "none", "~", "-", "''", '""'})
_ENV_REF = re.compile(r"^\$[A-Za-z_][A-Za-z0-9_]*$")
_NAME_LIKE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_URL_WITH_PASSWORD = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@")


def _words(key: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(key)]


def credential_kind(key: str, *, strict: bool = False) -> Kind | None:
    """``"password"`` / ``"other"`` when ``key`` names a credential, else ``None`` (see module doc)."""
    words = _words(key)
    if not words:
        return None
    joined = "".join(words)
    if "existing" in joined or words[0] in _REFERENCE_FIRST or words[-1] in _REFERENCE_LAST:
        return None
    if len(words) >= 2 and words[-1] == "key" and words[-2] in _KEY_OF:
        return None  # passwordKey: the name of a key inside a Secret
    stem = joined[:-7] if joined.endswith("secrets") else joined[:-6] if joined.endswith("secret") else None
    if stem is not None and stem.endswith(_SECRET_OF):
        return None  # passwordSecret, tokenSecret: the name of the Secret holding it
    if joined.endswith(_PASSWORD_SUFFIXES):
        return "password"
    if joined.endswith(_OTHER_SUFFIXES):
        return "other"
    if not strict:
        return None
    if joined in _CREDENTIAL_WORDS or words[-1] == "pass":  # SMTP_PASS, db_pass
        return "other"
    for i, word in enumerate(words):
        if word in _CREDENTIAL_WORDS or (word == "key" and i > 0 and words[i - 1] in _KEY_QUALIFIERS):
            return "other"
    return None


def is_credential_key(key: str, *, strict: bool = False) -> bool:
    return credential_kind(key, strict=strict) is not None


# a YAML local tag in an embedded config file (Home Assistant's `!secret`, ESPHome's and mkdocs'
# `!ENV`, `!env_var`, `!include`): unquoted, a value that starts with a tag is never a literal string
_YAML_TAG = re.compile(r"^!!?[A-Za-z_][\w.:/-]*(\s|$)")


def is_reference(value: str) -> bool:
    """A value resolved outside git (substitution, secret-store URI, placeholder, path) or empty."""
    v = value.strip()
    if not v or v.lower() in _SWITCHES:
        return True
    if "${" in v or "$(" in v or "{{" in v or _ENV_REF.match(v):
        return True
    if v.lower().startswith(_REFERENCE_PREFIXES) or v.startswith("/"):
        return True
    if _YAML_TAG.match(v):  # `password: !env_var DB_PASSWORD`, `!secret db`: resolved by the application
        return True
    return v.startswith("<") and v.endswith(">")


def is_literal_credential(key: str, value: object, *, strict: bool = False) -> bool:
    """Is ``key: value`` a credential written in plain text? ``strict``: see the module doc."""
    if not isinstance(value, str):
        return False
    kind = credential_kind(key, strict=strict)
    if kind is None or is_reference(value):
        return False
    if not strict and kind == "other" and "\n" not in value:
        v = value.strip()
        if len(v) <= 63 and _NAME_LIKE.match(v) and ("-" in v or "." in v or v.isalpha()):
            return False  # looks like the name of a Secret (or a key in one), not a credential
    return True


def url_with_password(value: object) -> bool:
    """A URL with a literal password in it (``postgres://app:hunter2@db/app``)."""
    if not isinstance(value, str):
        return False
    match = _URL_WITH_PASSWORD.search(value)
    return match is not None and not is_reference(match.group(1))
