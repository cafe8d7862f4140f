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

A *value* is a reference, not a credential, only when the **whole** value is one: empty, made
only of placeholders resolved elsewhere (``${VAR}`` Flux substitution, ``$(VAR)``, ``$VAR``,
``{{ .Values.x }}``, ``<...>``), a secret-store URI (``op://``, ``vault:``, ``ref+``,
``<path:``...), SOPS-encrypted (``ENC[...]``), or a YAML-ish switch (``true``, ``no``, ``~``...).
``hunter2${X}`` is a literal (with a placeholder in it); so is ``/Zm9v...`` (one base64 secret in
64 starts with ``/``: a path is not told apart from a secret by its first character). Lenient
(lint) still takes a value shaped like a path of two or more components with a ``.``, ``-`` or
``_`` in it (``/data/signing/ed25519.pub``) for a path; strict (specs) refuses it too. A number
under a credential key (``redisPassword: 31415926``) is a literal too; a boolean is a switch.

A *secret webhook URL* is a chat incoming-webhook URL whose path is the credential (anyone holding
it can post): Slack ``https://hooks.slack.com/services/...`` (and ``/workflows/``, ``/triggers/``),
Discord ``https://discord(app).com/api/webhooks/<id>/<token>``, Microsoft Teams
``https://<tenant>.webhook.office.com/webhookb2/...`` and Power Automate / Logic Apps URLs signed
with ``sig=``. Found anywhere in a value, whatever the key.

A *URL with a password* is ``scheme://user:password@host`` with a password that is not a
reference, the user possibly empty (``redis://:pass@host``). It is found without a backtracking
regular expression (the input is a pull request's: a 1 MiB string must not take minutes): each
``://`` is looked at once, its authority ends at the next ``/``, so the work is linear.

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
from collections.abc import Iterator
from typing import Literal

from gitops_gen.memo import short_string_cache

__all__ = [
    "as_text",
    "credential_kind",
    "is_credential_key",
    "is_literal_credential",
    "is_reference",
    "secret_webhook",
    "url_userinfo",
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
_ENV_REF = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")
_NAME_LIKE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
# the whole value is placeholders (no nesting: the classes exclude the closing characters, so
# matching is linear)
_PLACEHOLDERS = re.compile(r"(?:\s*(?:\$\{[^{}]*\}|\$\([^()]*\)|\{\{[^{}]*\}\}))+\s*")
_AUTHORITY = re.compile(r"[^/?#\s]*")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
# lenient only: an absolute path of two or more components, at least one with a '.', '-' or '_'
# (/data/signing/key.pub, /run/secrets/db-password), which a base64 secret rarely is
_ABS_PATH = re.compile(r"(?=[^\s]*[._-])(?:/[A-Za-z0-9._@-]+){2,}/?")
MAX_KEY = 256  # keys longer than this are judged by their first 64 and last 192 characters


def _words(key: str) -> list[str]:
    if len(key) > MAX_KEY:
        key = f"{key[:64]} {key[-(MAX_KEY - 64) :]}"
    return [w.lower() for w in _WORD.findall(key)]


def credential_kind(key: str, *, strict: bool = False) -> Kind | None:
    """``"password"`` / ``"other"`` when ``key`` names a credential, else ``None`` (see module doc)."""
    return _key_kind(key, strict)


@short_string_cache(max_len=MAX_KEY, maxsize=8192)  # env names and data keys recur across objects
def _key_kind(key: str, strict: bool) -> Kind | None:
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
    """The whole value is resolved outside git (substitution, secret-store URI, placeholder) or empty."""
    v = value.strip()
    if not v or v.lower() in _SWITCHES:
        return True
    if _PLACEHOLDERS.fullmatch(v) or _ENV_REF.fullmatch(v):
        return True
    if v.lower().startswith(_REFERENCE_PREFIXES):
        return True
    if _YAML_TAG.match(v):  # `password: !env_var DB_PASSWORD`, `!secret db`: resolved by the application
        return True
    return v.startswith("<") and v.endswith(">") and "<" not in v[1:] and ">" not in v[:-1]


def as_text(value: object) -> str | None:
    """The text of a scalar that can hold a credential: a string or a number (not a boolean)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def is_literal_credential(key: str, value: object, *, strict: bool = False) -> bool:
    """Is ``key: value`` a credential written in plain text? ``strict``: see the module doc."""
    text = as_text(value)
    if text is None:
        return False
    kind = credential_kind(key, strict=strict)
    if kind is None or is_reference(text):
        return False
    if not isinstance(value, str):
        return True  # redisPassword: 31415926
    value = text
    if not strict and _ABS_PATH.fullmatch(value.strip()):
        return False  # SIGNING_KEY: /data/signing/ed25519.pub (lenient only: see the module doc)
    if not strict and kind == "other" and "\n" not in value:
        v = value.strip()
        if len(v) <= 63 and _NAME_LIKE.match(v) and ("-" in v or "." in v or v.isalpha()):
            return False  # looks like the name of a Secret (or a key in one), not a credential
    return True


def url_userinfo(value: str) -> Iterator[tuple[int, str, str | None]]:
    """``(offset of the URL, user, password or None)`` for every ``scheme://user[:password]@``
    in ``value``, in linear time (see the module doc)."""
    start = 0
    while True:
        i = value.find("://", start)
        if i < 0:
            return
        start = i + 3
        j = i
        while j > 0 and i - j < 32 and value[j - 1] in _SCHEME_CHARS:
            j -= 1
        if j == i or not value[j].isascii() or not value[j].isalpha():
            continue
        match = _AUTHORITY.match(value, start)
        authority = match.group(0) if match else ""
        at = authority.rfind("@")
        if at < 0:
            continue
        user, colon, password = authority[:at].partition(":")
        yield j, user, password if colon else None


def url_with_password(value: object) -> bool:
    """A URL with a literal password in it (``postgres://app:hunter2@db/app``, ``redis://:pw@h``)."""
    if not isinstance(value, str) or "://" not in value:
        return False
    return any(pw and not is_reference(pw) for _at, _user, pw in url_userinfo(value))


# host (exact or a subdomain of it), path prefix -> service; checked on every "://" of a value
_WEBHOOKS: tuple[tuple[str, str, str], ...] = (
    ("hooks.slack.com", "/services/", "Slack"),
    ("hooks.slack.com", "/workflows/", "Slack"),
    ("hooks.slack.com", "/triggers/", "Slack"),
    ("discord.com", "/api/webhooks/", "Discord"),
    ("discordapp.com", "/api/webhooks/", "Discord"),
    ("webhook.office.com", "/webhookb2/", "Microsoft Teams"),
    ("logic.azure.com", "/workflows/", "Microsoft Teams (Power Automate)"),
)


def secret_webhook(value: object) -> str | None:
    """The service whose secret incoming-webhook URL ``value`` holds (``"Slack"``...), or ``None``."""
    if not isinstance(value, str) or "://" not in value:
        return None
    start = 0
    while (i := value.find("://", start)) >= 0:
        start = i + 3
        match = _AUTHORITY.match(value, start)
        host = (match.group(0) if match else "").rpartition("@")[2].partition(":")[0].lower()
        rest = value[start + len(match.group(0) if match else "") :]
        for domain, prefix, service in _WEBHOOKS:
            if (host == domain or host.endswith("." + domain)) and rest.startswith(prefix):
                tail = rest[len(prefix) :].split()[0] if rest[len(prefix) :].strip() else ""
                placeholder = is_reference(tail) or tail.startswith(("$", "<", "{{", "XXX", "xxx"))
                if tail and not placeholder and (domain != "logic.azure.com" or "sig=" in tail):
                    return service
    return None
