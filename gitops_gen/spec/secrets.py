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
                if in_values and isinstance(key, str) and is_literal_credential(key, value, strict=True):
                    place = "the secret store's provider" if "provider" in where else "Helm values"
                    yield (sub, f"literal credential in {place} ({key!r})", HINT_VALUES)
                    continue
                if (service := secret_webhook(value)) is not None:
                    yield (sub, f"{service} webhook URL (the URL is the credential)", HINT_VALUES)
                    continue
                if url_with_password(value):
                    git = sub[-2:] == ("git", "url")
                    place = " in Helm values" if in_values else " in git.url" if git else ""
                    yield (sub, f"URL with a literal password{place}", HINT_GIT if git else HINT_VALUES)
                    continue
                if isinstance(value, dict | list):
                    stack.append(
                        (value, sub, in_values or key in ("values", "provider"))
                    )  # provider: a secret store
        elif isinstance(current, list):
            for i, value in enumerate(current):
                if (service := secret_webhook(value)) is not None:
                    yield ((*where, i), f"{service} webhook URL (the URL is the credential)", HINT_VALUES)
                elif url_with_password(value):
                    what = " in Helm values" if in_values else ""
                    yield ((*where, i), f"URL with a literal password{what}", HINT_VALUES)
                elif isinstance(value, dict | list):
                    stack.append((value, (*where, i), in_values))


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
