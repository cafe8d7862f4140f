"""Container image references: the tag and digest of ``registry/repo:tag@sha256:...``.

Shared by the spec loader (an app's image must be pinned) and the lint rule ``image``, so render
never emits an image that lint rejects.
"""

from __future__ import annotations


def image_tag(image: str) -> tuple[str | None, bool]:
    """``(tag or None, pinned by digest)`` of an image reference."""
    ref = image.strip()
    if "@" in ref:
        ref, _, digest = ref.partition("@")
        if digest:
            return None, True
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[colon + 1 :], False
    return None, False


def unpinned_reason(image: str) -> str | None:
    """Why ``image`` is not pinned (no tag, or ``latest``), or None when it is."""
    tag, pinned = image_tag(image)
    if pinned:
        return None
    if not tag:
        return "has no tag, so it runs whatever 'latest' is at pull time"
    if tag == "latest":
        return "uses the mutable 'latest' tag"
    return None
