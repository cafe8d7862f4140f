"""Import jsonschema-rs without the ``email`` package it reads one date with.

jsonschema-rs's module initialisation (pyo3-built's build information) turns its build time, an
RFC 2822 string, into a ``datetime`` with ``email.utils.parsedate_to_datetime``. Importing
``email.utils`` costs ~15 ms (``socket``, ``random``, ``email.charset``, ``calendar``...): on the lint
of one edited file (the pre-commit hook's usual run) that is as much as validating its objects.

:func:`import_jsonschema_rs` imports jsonschema-rs with a stand-in for that one module, for the time of
the import only: its ``parsedate_to_datetime`` gives the same ``datetime`` for the one shape of date
the build information holds (``Thu, 12 Nov 2026 07:50:16 +0000``), and hands anything else - another
shape, another function - to the real module. Afterwards ``email.utils`` is the real module for
whoever imports it; nothing of jsonschema-rs but that build date passes through here.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

__all__ = ["import_jsonschema_rs"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def import_jsonschema_rs() -> None:
    """Import ``jsonschema_rs``; the caller's ``import jsonschema_rs`` then finds it imported. Nothing to
    do when it is, or when ``email.utils`` is (the plain import then costs no more)."""
    if "jsonschema_rs" in sys.modules or "email.utils" in sys.modules:
        return
    stand_in = _StandIn("email.utils")
    sys.modules["email.utils"] = stand_in
    try:
        import jsonschema_rs  # noqa: F401
    finally:
        if sys.modules.get("email.utils") is stand_in:
            del sys.modules["email.utils"]


class _StandIn(ModuleType):
    """``email.utils`` for the time of jsonschema-rs's import: one function, the rest the real one's."""

    def parsedate_to_datetime(self, data: str) -> Any:
        quick = parse_rfc2822(data)
        return quick if quick is not None else _real_email_utils().parsedate_to_datetime(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(_real_email_utils(), name)


def _real_email_utils() -> ModuleType:
    """The real ``email.utils`` (the stand-in taken out of ``sys.modules`` first)."""
    if isinstance(sys.modules.get("email.utils"), _StandIn):
        del sys.modules["email.utils"]
    import email.utils

    return email.utils


def parse_rfc2822(data: object) -> Any:
    """``Day, DD Mon YYYY HH:MM:SS +HHMM`` as ``email.utils.parsedate_to_datetime`` gives it (an aware
    ``datetime``); None for any other text (``-0000``, which that function makes naive, included)."""
    if not isinstance(data, str):
        return None
    parts = data.split()
    if len(parts) != 6 or not parts[0].endswith(","):
        return None
    _day, day, month, year, clock, zone = parts
    hms = clock.split(":")
    if (
        month not in _MONTHS
        or len(hms) != 3
        or len(year) != 4
        or len(zone) != 5
        or zone[0] not in "+-"
        or zone == "-0000"
        or not all(p.isascii() and p.isdigit() for p in (day, year, *hms, zone[1:]))
    ):
        return None
    from datetime import datetime, timedelta, timezone

    minutes = int(zone[1:3]) * 60 + int(zone[3:5])
    hour, minute, second = (int(p) for p in hms)
    try:
        return datetime(
            int(year),
            _MONTHS.index(month) + 1,
            int(day),
            hour,
            minute,
            second,
            tzinfo=timezone(timedelta(minutes=minutes if zone[0] == "+" else -minutes)),
        )
    except ValueError:  # a day or hour out of range: the real function says what it says
        return None
