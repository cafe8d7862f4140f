"""Render a diff comment with a GitHub-flavoured Markdown renderer (cmark-gfm, as GitHub uses) and
list what in the HTML could not have come from us: links, images, raw HTML elements, @-mentions
outside code. Used by the markdown injection regression and property tests."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

cmarkgfm = pytest.importorskip("cmarkgfm", reason="cmarkgfm (dev extra) renders GitHub-flavoured Markdown")
from cmarkgfm.cmark import Options  # noqa: E402

# every element our markdown report writes, once rendered
OURS = frozenset(
    {
        "h3",
        "p",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "details",
        "summary",
        "code",
        "pre",
        "ul",
        "li",
        "strong",
        "em",
        "br",
    }
)
_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9][A-Za-z0-9-]*")


class _Walk(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.code_depth = 0
        self.mentions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(a for a in attrs if a[0] not in ("align", "lang", "class"))
        if tag in ("code", "pre"):
            self.code_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre"):
            self.code_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.code_depth <= 0:
            self.mentions.extend(_MENTION.findall(data))

    def handle_comment(self, data: str) -> None:
        self.tags.append("<!--")


def injected(markdown: str) -> list[str]:
    """What the rendered comment holds that we did not write (empty when the comment is safe)."""
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    walk = _Walk()
    walk.feed(html)
    bad = [f"<{t}>" for t in walk.tags if t not in OURS]
    bad += [f"attribute {k}={v!r}" for k, v in walk.attrs]
    bad += [f"mention {m}" for m in walk.mentions]
    opened, closed = walk.tags.count("details"), html.count("</details>")
    if opened != closed or opened != markdown.count("<details>"):
        bad.append(
            f"<details> balance: {opened} opened, {closed} closed, {markdown.count('<details>')} written"
        )
    return bad
