"""Refuse credentials written in plain text into specs.

Specs are committed to git; so is everything rendered from them. A password in a spec ends up in
the git history of the platform repository for good. The loader calls :func:`credential_problems`
on every spec document, and each literal credential is refused (exit 2, ``file:line:col``) with a
pointer to what to do instead: a Secret encrypted with SealedSecrets and a reference to it
(``secretKeyRef`` for an App's env, the chart's ``existingSecret``-style value for Helm values).

What counts as a credential:

* an ``env`` entry (``{name, value}``) whose *name* looks like a credential (``DB_PASSWORD``,
  ``API_TOKEN``, ``STRIPE_SECRET_KEY``, ``APIKEY``...) with a literal non-empty ``value``;
* a key inside a component's ``values`` mapping that looks like a credential (``adminPassword``,
  ``secretAccessKey``, ``bearer_token``, ``apiKey``...) with a literal non-empty string;
* anywhere in those places, a URL with a password in it (``postgres://app:hunter2@db/app``).

Not credentials: references to secrets (``existingSecret``, ``secretName``, ``secretKeyRef``,
``passwordKey`` — the *name of a key* inside a Secret — ``tokenFile``, ``*_PATH``...), and
placeholders resolved elsewhere (``${DB_PASSWORD}`` for Flux post-build substitution, ``$(VAR)``,
``{{ .Values.x }}``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from gitops_gen.errors import Location, Problem
from gitops_gen.yamlio import position_of

# words that make a key a credential on their own
_CREDENTIAL_WORDS = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "credential",
    "credentials", "privatekey", "secretkey", "accesskey", "clientsecret", "webhooksecret",
})
# "<word> key" is a credential (api key, access key, private key...)
_KEY_QUALIFIERS = frozenset({
    "api", "access", "private", "secret", "signing", "encryption", "client", "license", "master",
    "auth", "ssh", "hmac", "session", "shared",
})
# a key ending in one of these words names or points at a credential, it does not hold one
_REFERENCE_WORDS = frozenset({
    "name", "names", "ref", "refs", "file", "files", "path", "paths", "dir", "id", "url", "uri",
    "ttl", "timeout", "expiry", "expiration", "expires", "length", "header", "field", "enabled",
    "enable", "create", "mount", "mounts", "volume", "volumes", "namespace", "selector", "annotations", "labels", "type", "mode",
    "policy", "template", "prefix", "suffix", "keys", "version", "format", "env", "from", "provider",
    "source", "store", "location", "audience", "issuer", "endpoint", "duration", "period",
    "interval", "size", "count", "hash", "algorithm", "generate", "rotation", "required",
})
# "<word> key" that names a key inside a Secret (grafana admin.passwordKey: admin-password)
_KEY_OF = frozenset({"password", "passwd", "token", "user", "username", "cert", "ca", "tls"})
_REFERENCE_FIRST = frozenset({"existing", "use", "from", "external"})
_PLACEHOLDER = re.compile(r"^\s*(\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|<[^>]*>)\s*$", re.DOTALL)
_URL_WITH_PASSWORD = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

HINT_ENV = ("never commit a credential: put it in a Secret (encrypted in git with SealedSecrets: "
            "`kubeseal`) and reference it with `secretKeyRef: {name: <secret>, key: <key>}`")
HINT_VALUES = ("never commit a credential: put it in a Secret (encrypted in git with SealedSecrets: "
               "`kubeseal`) and point the chart at it (most charts take an `existingSecret`-style "
               "value; Grafana's admin: spec.components.monitoring.grafana.adminSecret)")


def _words(key: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(key)]


def is_credential_key(key: str) -> bool:
    """True for keys/env names that hold a credential (``adminPassword``, ``DB_TOKEN``, ``apiKey``)."""
    words = _words(key)
    if not words:
        return False
    if words[-1] in _REFERENCE_WORDS or words[0] in _REFERENCE_FIRST:
        return False
    if len(words) >= 2 and words[-1] == "key" and words[-2] in _KEY_OF:
        return False
    if len(words) >= 2 and words[-1] in ("secret", "secrets") and words[-2] in ("password", "token", "credentials"):
        return False  # passwordSecret: the name of the Secret holding the password
    joined = "".join(words)
    if joined in _CREDENTIAL_WORDS:
        return True
    for i, word in enumerate(words):
        if word in _CREDENTIAL_WORDS:
            return True
        if word == "key" and i > 0 and words[i - 1] in _KEY_QUALIFIERS:
            return True
        if word in ("pass",) and i == len(words) - 1:  # SMTP_PASS, db_pass
            return True
    return False


def _is_literal(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and not _PLACEHOLDER.match(value)


def _url_password(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    match = _URL_WITH_PASSWORD.search(value)
    return match is not None and _is_literal(match.group(1))


def _path_text(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text


def credential_problems(doc: Any, name: str) -> list[Problem]:
    """Every literal credential in a spec document (ruamel round-trip tree, for positions)."""
    return [Problem(Location(name, *(_pos(doc, path))), message, _path_text(path), hint)
            for path, message, hint in _find(doc, ())]


def _pos(doc: Any, path: tuple[str | int, ...]) -> tuple[int, int]:
    line, col = position_of(doc, path)
    return (line or 1, col or 1)


def _find(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """Walk the document (iteratively: depth is bounded by the loader, this stays cheap)."""
    stack: list[tuple[Any, tuple[str | int, ...], bool]] = [(node, path, False)]
    seen: set[int] = set()
    while stack:
        current, where, in_values = stack.pop()
        if isinstance(current, dict | list):
            if id(current) in seen:  # YAML aliases share sub-trees: check each once
                continue
            seen.add(id(current))
        if isinstance(current, dict):
            for key, value in current.items():
                sub = (*where, key) if isinstance(key, str | int) else (*where, str(key))
                if key == "env" and isinstance(value, list) and not in_values:
                    yield from _env(value, sub)
                    continue
                if in_values and isinstance(key, str) and is_credential_key(key) and _is_literal(value):
                    yield (sub, f"literal credential in Helm values ({key!r})", HINT_VALUES)
                    continue
                if in_values and _url_password(value):
                    yield (sub, "URL with a literal password in Helm values", HINT_VALUES)
                    continue
                if isinstance(value, dict | list):
                    stack.append((value, sub, in_values or key == "values"))
        elif isinstance(current, list):
            for i, value in enumerate(current):
                if in_values and _url_password(value):
                    yield ((*where, i), "URL with a literal password in Helm values", HINT_VALUES)
                elif isinstance(value, dict | list):
                    stack.append((value, (*where, i), in_values))


def _env(entries: list[Any], where: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        env_name, value = entry.get("name"), entry.get("value")
        if not _is_literal(value):
            continue
        if isinstance(env_name, str) and is_credential_key(env_name):
            yield ((*where, i, "value"), f"literal credential in env var {env_name!r}", HINT_ENV)
        elif _url_password(value):
            yield ((*where, i, "value"), f"env var {env_name!r} holds a URL with a literal password",
                   HINT_ENV)
