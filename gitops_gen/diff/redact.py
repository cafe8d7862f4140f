"""Secrets never reach a diff report: values are replaced by ``(redacted)`` before any format.

Redacted (the change itself stays visible: a reviewer sees *that* a password changed):

* every value under a ``Secret``'s ``data`` or ``stringData`` (keys are kept);
* every value under a key that names a credential (the spec loader's strict classifier:
  ``adminPassword``, ``DB_TOKEN``, ``apiKey``...), unless the whole value is a reference
  (``${DB_PASSWORD}``, ``{{ .Values.x }}``), or a list item ``{name: DB_PASSWORD, value: ...}``;
* any string holding a URL with a password (``postgres://app:hunter2@db/app``);
* in multi-line strings (configuration files kept in ConfigMaps or Helm values), the value of a
  ``key = value`` / ``key: value`` line whose key names a credential, and lines with a URL with a
  password.
"""

from __future__ import annotations

import re
from typing import Any

from msgspec.structs import replace

from gitops_gen.credentials import credential_kind, is_reference, secret_webhook, url_with_password
from gitops_gen.diff.compare import MISSING, ChangedObject, FieldChange, Named, ObjectDiff

REDACTED = "(redacted)"
_ASSIGNMENT = re.compile(r"""^(\s*["']?)([A-Za-z0-9_.\-]{1,128})(["']?\s*[:=]\s*)(\S.*)$""")


def _credential_key(key: object) -> bool:
    return isinstance(key, str) and credential_kind(key, strict=True) is not None


def _scrub_text(text: str) -> str:
    if "\n" not in text:
        return REDACTED if url_with_password(text) or secret_webhook(text) else text
    lines = []
    for line in text.split("\n"):
        m = _ASSIGNMENT.match(line)
        if url_with_password(line) or secret_webhook(line):
            line = (m.group(1) + m.group(2) + m.group(3) if m else "") + REDACTED
        elif m and _credential_key(m.group(2)) and not is_reference(m.group(4).strip("'\" ")):
            line = m.group(1) + m.group(2) + m.group(3) + REDACTED
        lines.append(line)
    return "\n".join(lines)


def scrub(value: Any, hidden: bool = False, depth: int = 0) -> Any:
    """``value`` with every sensitive leaf replaced; ``hidden``: everything below is sensitive."""
    if value is MISSING:
        return value
    if depth > 100:
        return REDACTED
    if isinstance(value, dict):
        name = value.get("name")
        env_secret = _credential_key(name) and "value" in value
        return {
            k: scrub(v, hidden or _credential_key(k) or (env_secret and k == "value"), depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(v, hidden, depth + 1) for v in value]
    if hidden:
        if value is None or isinstance(value, bool) or (isinstance(value, str) and is_reference(value)):
            return value
        return REDACTED
    return _scrub_text(value) if isinstance(value, str) else value


def _hidden_at(kind: str, path: tuple[Any, ...], body_env: bool) -> bool:
    if kind == "Secret" and path[:1] in (("data",), ("stringData",)):
        return True
    for part in path:
        if _credential_key(part) or (isinstance(part, Named) and _credential_key(part.value)):
            return True
    return body_env


def redact_change(kind: str, change: FieldChange) -> FieldChange:
    path = change.path
    env_value = (
        len(path) >= 2
        and path[-1] == "value"
        and isinstance(path[-2], Named)
        and _credential_key(path[-2].value)
    )
    hidden = _hidden_at(kind, path, env_value)
    old, new = scrub(change.old, hidden), scrub(change.new, hidden)
    if old is change.old and new is change.new:
        return change
    return replace(change, old=old, new=new)


def redact_objects(diff: ObjectDiff) -> ObjectDiff:
    """A copy of ``diff`` with every sensitive value replaced (see the module doc)."""
    changed = [
        ChangedObject(c.key, c.kind, c.file, c.old_file, [redact_change(c.kind, f) for f in c.changes])
        for c in diff.changed
    ]
    return replace(diff, changed=changed)
