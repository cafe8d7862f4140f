"""Refuse credentials written in plain text into specs.

Specs are committed to git; so is everything rendered from them. A password in a spec ends up in
the git history of the platform repository for good. The loader calls :func:`credential_problems`
on every spec document, and each literal credential is refused (exit 2, ``file:line:col``) with a
pointer to what to do instead: a Secret encrypted with SealedSecrets and a reference to it
(``secretKeyRef`` for an App's env, the chart's ``existingSecret``-style value for Helm values).

What counts as a credential:

* an ``env`` entry (``{name, value}``) whose *name* looks like a credential (``DB_PASSWORD``,
  ``API_TOKEN``, ``STRIPE_SECRET_KEY``, ``APIKEY``...) with a literal non-empty ``value``;
* a key inside a component's ``values`` mapping (or external-secrets' store ``provider``) that
  looks like a credential (``adminPassword``, ``secretAccessKey``, ``bearer_token``, ``apiKey``...)
  with a literal non-empty string;
* anywhere in a spec (``git.url`` included), a URL with a password in it
  (``postgres://app:hunter2@db/app``, ``https://x-access-token:ghp_...@github.com/...``);
* a number under a credential key (``redisPassword: 31415926``): a literal, not a reference.

Not credentials: references to secrets (``existingSecret``, ``secretName``, ``secretKeyRef``,
``passwordKey`` — the *name of a key* inside a Secret — ``tokenFile``, ``*_PATH``...), and
placeholders resolved elsewhere (``${DB_PASSWORD}`` for Flux post-build substitution, ``$(VAR)``,
``{{ .Values.x }}``).

The classifier is :mod:`gitops_gen.credentials`, shared with the lint rule ``secrets``; the spec
uses its ``strict`` policy (a credential word anywhere in a key counts, every non-reference value
is a literal), a superset of what lint reports, so lint stays quiet on what the loader accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_gen.credentials import (
    as_text,
    credential_kind,
    is_literal_credential,
    is_reference,
    secret_webhook,
    url_with_password,
)
from gitops_gen.errors import Location, Problem
from gitops_gen.values import dotted
from gitops_gen.yamlio import position_of

HINT_ENV = (
    "never commit a credential: put it in a Secret (encrypted in git with SealedSecrets: "
    "`kubeseal`) and reference it with `secretKeyRef: {name: <secret>, key: <key>}`"
)
HINT_VALUES = (
    "never commit a credential: put it in a Secret (encrypted in git with SealedSecrets: "
    "`kubeseal`) and point the chart at it (most charts take an `existingSecret`-style "
    "value; Grafana's admin: spec.components.monitoring.grafana.adminSecret)"
)

HINT_GIT = (
    "never commit a credential: Flux reads git credentials from a Secret (`flux create secret git`, "
    "sealed with SealedSecrets); name it in spec.git.secretRef and keep the URL without user and password"
)


def is_credential_key(key: str) -> bool:
    """True for keys/env names that hold a credential (``adminPassword``, ``DB_TOKEN``, ``apiKey``)."""
    return credential_kind(key, strict=True) is not None


def _is_literal(value: Any) -> bool:
    text = as_text(value)
    return text is not None and not is_reference(text)


def credential_problems(doc: Any, name: str) -> list[Problem]:
    """Every literal credential in a spec document (ruamel round-trip tree, for positions)."""
    return [
        Problem(Location(name, *(_pos(doc, path))), message, dotted(path), hint)
        for path, message, hint in _find(doc, ())
    ]


def _pos(doc: Any, path: tuple[str | int, ...]) -> tuple[int, int]:
    line, col = position_of(doc, path)
    return (line or 1, col or 1)


_CONTAINERS = (dict, list)  # a tuple: isinstance against it is faster than against ``dict | list``


def _find(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """Walk the document (iteratively: depth is bounded by the loader, this stays cheap). A key's path
    is made only for what is reported or walked into: most values are short scalars."""
    stack: list[tuple[Any, tuple[str | int, ...], bool]] = [(node, path, False)]
    seen: set[int] = set()
    while stack:
        current, where, in_values = stack.pop()
        if id(current) in seen:  # YAML aliases share sub-trees: check each once
            continue
        seen.add(id(current))
        if isinstance(current, dict):
            for key, value in current.items():
                if key == "env" and not in_values and isinstance(value, list):
                    yield from _env(value, _sub(where, key))
                    continue
                if in_values and isinstance(key, str) and is_literal_credential(key, value, strict=True):
                    place = "the secret store's provider" if "provider" in where else "Helm values"
                    yield (_sub(where, key), f"literal credential in {place} ({key!r})", HINT_VALUES)
                    continue
                if isinstance(value, str):
                    if "://" not in value:
                        continue  # neither a webhook nor a URL
                    if (service := secret_webhook(value)) is not None:
                        yield (
                            _sub(where, key),
                            f"{service} webhook URL (the URL is the credential)",
                            HINT_VALUES,
                        )
                        continue
                    if url_with_password(value):
                        sub = _sub(where, key)
                        git = sub[-2:] == ("git", "url")
                        place = " in Helm values" if in_values else " in git.url" if git else ""
                        yield (sub, f"URL with a literal password{place}", HINT_GIT if git else HINT_VALUES)
                    continue
                if isinstance(value, _CONTAINERS):
                    # provider: a secret store
                    stack.append((value, _sub(where, key), in_values or key in ("values", "provider")))
        elif isinstance(current, list):
            for i, value in enumerate(current):
                if isinstance(value, str):
                    if "://" not in value:
                        continue
                    if (service := secret_webhook(value)) is not None:
                        yield ((*where, i), f"{service} webhook URL (the URL is the credential)", HINT_VALUES)
                    elif url_with_password(value):
                        what = " in Helm values" if in_values else ""
                        yield ((*where, i), f"URL with a literal password{what}", HINT_VALUES)
                elif isinstance(value, _CONTAINERS):
                    stack.append((value, (*where, i), in_values))


def _sub(where: tuple[str | int, ...], key: object) -> tuple[str | int, ...]:
    return (*where, key) if isinstance(key, str | int) else (*where, str(key))


def _env(
    entries: list[Any], where: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        env_name, value = entry.get("name"), entry.get("value")
        if not _is_literal(value):
            continue
        if isinstance(env_name, str) and is_literal_credential(env_name, value, strict=True):
            yield ((*where, i, "value"), f"literal credential in env var {env_name!r}", HINT_ENV)
        elif url_with_password(value):
            yield (
                (*where, i, "value"),
                f"env var {env_name!r} holds a URL with a literal password",
                HINT_ENV,
            )
