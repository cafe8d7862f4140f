"""gitops_gen.credentials: the one classifier behind the spec refusal and the lint rule ``secrets``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_gen.credentials import (
    credential_kind,
    is_literal_credential,
    is_reference,
    secret_webhook,
    url_with_password,
)

WORDS = [
    "password",
    "pass",
    "secret",
    "token",
    "api",
    "key",
    "existing",
    "name",
    "ref",
    "admin",
    "db",
    "domain",
    "access",
    "private",
    "client",
    "use",
    "file",
    "base",
    "credentials",
    "tls",
    "smtp",
]


@st.composite
def keys(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))
    style = draw(st.sampled_from(["snake", "camel", "kebab"]))
    if style == "snake":
        return "_".join(w.upper() for w in words)
    if style == "kebab":
        return "-".join(words)
    return words[0] + "".join(w.capitalize() for w in words[1:])


VALUES = st.sampled_from(
    [
        "hunter2",
        "",
        "${PW}",
        "op://v/i/f",
        "grafana-creds",
        "Zx81_kQ9vPn2",
        "/run/pw",
        "ENC[AES256_GCM,data:x]",
        "true",
        "{{ .Values.pw }}",
        "s3cr3t!",
    ]
)


@settings(max_examples=300, deadline=None)
@given(keys(), VALUES)
def test_strict_flags_everything_lenient_flags(key: str, value: str) -> None:
    """What the spec loader accepts (strict), the lint rule (lenient) must not report."""
    if is_literal_credential(key, value):
        assert is_literal_credential(key, value, strict=True)


@pytest.mark.parametrize("key", ["SECRET_DOMAIN", "SECRET_KEY_BASE", "JWT_SECRET_VALUE", "SMTP_PASS"])
def test_credential_word_anywhere_is_strict_only(key: str) -> None:
    assert credential_kind(key) is None
    assert credential_kind(key, strict=True) is not None


@pytest.mark.parametrize(
    "key",
    [
        "existingSecret",
        "passwordSecret",
        "passwordKey",
        "secretName",
        "useSecret",
        "adminExistingSecret",
        "tokenFile",
        "apiKeySecret",
        "imagePullSecrets",
    ],
)
def test_references_are_never_credentials(key: str) -> None:
    assert credential_kind(key) is None and credential_kind(key, strict=True) is None


def test_name_like_values_are_secret_names_only_when_lenient() -> None:
    assert not is_literal_credential("clientSecret", "oauth-client-secret")
    assert is_literal_credential("clientSecret", "oauth-client-secret", strict=True)
    assert is_literal_credential("password", "changeme")  # a password is never taken for a name


def test_values_resolved_elsewhere() -> None:
    for v in ("", "${X}", "$(X)", "$X", "op://a/b/c", "vault:x", "ENC[x]", "<path:x>", "no"):
        assert is_reference(v), v
    assert not is_reference("hunter2")
    assert url_with_password("postgres://app:hunter2@db/app")
    assert not url_with_password("postgres://app:${PW}@db/app") and not url_with_password("https://db/app")


@pytest.mark.parametrize(
    ("value", "service"),
    [
        ("https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnop", "Slack"),
        ("see https://hooks.slack.com/workflows/T1/A1/123/abc for alerts", "Slack"),
        ("https://discord.com/api/webhooks/1234/s3cr3t-token", "Discord"),
        ("https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456", "Microsoft Teams"),
        (
            "https://prod-1.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=xyz",
            "Microsoft Teams (Power Automate)",
        ),
    ],
)
def test_secret_webhook_urls(value: str, service: str) -> None:
    assert secret_webhook(value) == service


@pytest.mark.parametrize(
    "value",
    [
        "https://hooks.slack.com/services/${SLACK_PATH}",
        "https://hooks.slack.com/services/<your-webhook>",
        "https://hooks.slack.com/",
        "https://slack.com/services/T1/B1/x",
        "https://evilhooks.slack.com.example.org/services/T1/B1/x",
        "https://prod-1.westus.logic.azure.com/workflows/abc/triggers/manual",
        "https://api.slack.com/messaging/webhooks",
        42,
    ],
)
def test_not_secret_webhook_urls(value: object) -> None:
    assert secret_webhook(value) is None
