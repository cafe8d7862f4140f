"""jsonschema-rs imported without ``email.utils`` (lint.schema.rs_import): the same module, the same
build date, and the real ``email.utils`` for whoever imports it afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

import pytest

from gitops_gen.lint.schema.rs_import import _StandIn, parse_rfc2822

PROBE = """
import json, sys
if sys.argv[1] == "stand-in":
    from gitops_gen.lint.schema.rs_import import import_jsonschema_rs
    import_jsonschema_rs()
import jsonschema_rs
mods = sorted(m for m in sys.modules if m == "email.utils" or m.startswith("email.") or m == "socket")
info = {k: repr(v) for k, v in jsonschema_rs.jsonschema_rs.__build__.items()}
valid = jsonschema_rs.validator_for({"type": "object", "required": ["a"]}).is_valid({"a": 1})
import email.utils
real = hasattr(email.utils, "getaddresses") and type(email.utils).__name__ == "module"
print(json.dumps({"modules": mods, "info": info, "valid": valid, "real": real}))
"""


def _probe(mode: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=120, check=True
    )
    got: dict[str, object] = json.loads(proc.stdout)
    return got


def test_import_without_email_utils_gives_the_same_module() -> None:
    plain, quick = _probe("plain"), _probe("stand-in")
    assert "email.utils" in plain["modules"]  # what the stand-in saves (if this fails, it is moot)
    assert quick["modules"] == []  # nothing of email's but the package itself, no socket
    assert quick["info"] == plain["info"]  # the build date (and the rest) as the real function gives
    assert quick["valid"] is True and quick["real"] is True  # works; email.utils real afterwards


@pytest.mark.parametrize("minutes", [0, 60, -300, 330, 59, -59, 14 * 60 - 1, -(12 * 60)])
def test_parse_rfc2822_is_the_email_functions(minutes: int) -> None:
    zone = timezone(timedelta(minutes=minutes))
    for when in (
        datetime(2026, 11, 12, 7, 50, 16),
        datetime(1999, 1, 1, 0, 0, 0),
        datetime(2024, 2, 29, 23, 59, 59),
    ):
        text = format_datetime(when.replace(tzinfo=zone))
        got = parse_rfc2822(text)
        assert got is not None, text
        want = parsedate_to_datetime(text)
        assert got == want and got.utcoffset() == want.utcoffset() and repr(got) == repr(want), text


@pytest.mark.parametrize(
    "text",
    [
        "Thu, 12 Nov 2026 07:50:16 -0000",  # the real function makes this one naive
        "Thu, 12 Nov 26 07:50:16 +0000",  # a two-digit year (the real function adds a century)
        "Thu, 12 Nov 2026 07:50 +0000",  # no seconds
        "12 Nov 2026 07:50:16 +0000",  # no day name
        "Thu, 12 Nov 2026 07:50:16 GMT",
        "Thu, 31 Feb 2026 07:50:16 +0000",  # no such day
        "Thu, 12 Foo 2026 07:50:16 +0000",
        "Thu, ١٢ Nov 2026 07:50:16 +0000",  # digits, but not ASCII ones
        "",
    ],
)
def test_parse_rfc2822_leaves_other_shapes_to_the_email_function(text: str) -> None:
    assert parse_rfc2822(text) is None
    try:
        want = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return
    assert _StandIn("email.utils").parsedate_to_datetime(text) == want  # handed to the real one


def test_stand_in_hands_other_names_to_the_real_module() -> None:
    import email.utils

    assert _StandIn("email.utils").getaddresses is email.utils.getaddresses
