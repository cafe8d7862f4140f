"""Rule ``image``: no ``:latest`` and no untagged images; digests are pinned."""

from __future__ import annotations

import pytest
from rules_helpers import fixture, only

from gitops_gen.lint.model import Severity
from gitops_gen.lint.rules.image import image_tag


def test_bad_fixture() -> None:
    found = fixture("image", "bad.yaml")
    assert len(found) == 3 and {f.severity for f in found} == {Severity.ERROR}
    f = only(found, contains="'busybox:latest'")
    assert f.path == ("spec", "containers", 0, "image") and "mutable 'latest'" in f.message
    f = only(found, contains="'nginx' has no tag")
    assert f.path == ("spec", "containers", 1, "image")
    f = only(found, contains="registry.local:5000/tools/fetch")
    assert f.path == ("spec", "initContainers", 0, "image") and "no tag" in f.message


def test_good_fixture() -> None:
    assert fixture("image", "good.yaml") == []


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", (None, False)),
        ("nginx:1.27", ("1.27", False)),
        ("host:5000/img", (None, False)),
        ("host:5000/img:v1", ("v1", False)),
        ("img@sha256:abc", (None, True)),
        ("img:latest@sha256:abc", (None, True)),
        ("a/b/c:latest", ("latest", False)),
    ],
)
def test_image_tag(image: str, expected: tuple[str | None, bool]) -> None:
    assert image_tag(image) == expected
