"""gitops_gen.memo.short_string_cache: short strings cached, long ones called straight through."""

from __future__ import annotations

import contextlib
from fractions import Fraction
from typing import Any

import pytest

from gitops_gen import credentials, quantity
from gitops_gen.lint.schema import metadata
from gitops_gen.memo import short_string_cache


def test_short_strings_are_cached_long_ones_bypass_the_cache() -> None:
    calls: list[tuple[str, bool]] = []

    @short_string_cache(max_len=4, maxsize=8)
    def shout(text: str, loud: bool) -> str:
        calls.append((text, loud))
        return text.upper() + ("!" if loud else "")

    assert shout("abcd", True) == "ABCD!"
    assert shout("abcd", True) == "ABCD!"
    assert shout("abcd", False) == "ABCD"  # the other arguments are part of the key
    assert calls == [("abcd", True), ("abcd", False)]
    assert shout.cache_info().currsize == 2

    calls.clear()
    assert shout("abcde", True) == "ABCDE!"
    assert shout("abcde", True) == "ABCDE!"
    assert calls == [("abcde", True), ("abcde", True)]  # longer than max_len: called each time
    info = shout.cache_info()
    assert info.currsize == 2 and info.hits == 1 and info.misses == 2  # the cache never saw them


def test_the_cache_holds_at_most_maxsize_entries() -> None:
    @short_string_cache(max_len=8, maxsize=3)
    def same(text: str) -> str:
        return text

    for i in range(10):
        same(str(i))
    assert same.cache_info().currsize == 3
    same.cache_clear()
    assert same.cache_info().currsize == 0


def test_exceptions_are_not_cached_and_propagate() -> None:
    calls: list[str] = []

    @short_string_cache(max_len=8, maxsize=8)
    def fail(text: str) -> str:
        calls.append(text)
        raise ValueError(text)

    for _ in range(2):
        with pytest.raises(ValueError, match="bad"):
            fail("bad")
    assert calls == ["bad", "bad"]


def test_the_wrapped_function_keeps_its_name_and_doc() -> None:
    assert metadata.key_problem.__name__ == "key_problem"
    assert metadata.key_problem.__doc__ and "label/annotation key" in metadata.key_problem.__doc__


# the users: the answer through the cache equals the uncached function's, short and long, good and bad
KEYS = ["app.kubernetes.io/name", "a/b/c", "-bad", "x" * 63, "x" * 64, "p" * 129 + "/name", "k" * 5000]
VALUES = ["", "web-1", "has space", "v" * 63, "v" * 64, "v" * 65, "v" * 5000]
QUANTITIES = ["100m", " 512Mi ", "1e3", "12Gi", "nope", "1" * 31 + "m", "1" * 40, "9" * 70]
CREDENTIAL_KEYS = ["DB_PASSWORD", "existingSecret", "apiToken", "passwordKey", "x" * 300 + "_token"]


@pytest.mark.parametrize("text", KEYS)
def test_key_problem_equals_uncached(text: str) -> None:
    uncached = metadata.key_problem.__wrapped__  # type: ignore[attr-defined]
    assert metadata.key_problem(text) == metadata.key_problem(text) == uncached(text)


@pytest.mark.parametrize("text", VALUES)
def test_label_value_problem_equals_uncached(text: str) -> None:
    uncached = metadata.label_value_problem.__wrapped__  # type: ignore[attr-defined]
    assert metadata.label_value_problem(text) == metadata.label_value_problem(text) == uncached(text)


def _parsed(parse: object, text: str) -> Fraction | str:
    assert callable(parse)
    try:
        result = parse(text)
    except quantity.QuantityError as e:
        return f"error: {e}"
    assert isinstance(result, Fraction)
    return result


@pytest.mark.parametrize("text", QUANTITIES)
def test_parse_quantity_equals_uncached(text: str) -> None:
    uncached = quantity._parse_text.__wrapped__  # type: ignore[attr-defined]
    first = _parsed(quantity.parse_quantity, text)
    assert first == _parsed(quantity.parse_quantity, text) == _parsed(uncached, text)


@pytest.mark.parametrize("text", CREDENTIAL_KEYS)
@pytest.mark.parametrize("strict", [False, True])
def test_credential_kind_equals_uncached(text: str, strict: bool) -> None:
    uncached = credentials._key_kind.__wrapped__  # type: ignore[attr-defined]
    assert credentials.credential_kind(text, strict=strict) == uncached(text, strict)
    assert credentials.credential_kind(text, strict=strict) == uncached(text, strict)


def test_long_strings_stay_out_of_the_users_caches() -> None:
    cases: list[tuple[Any, str]] = [
        (metadata.key_problem, "k" * 5000),
        (metadata.label_value_problem, "v" * 5000),
        (quantity._parse_text, "1" * 5000),
    ]
    for cached, text in cases:
        before = cached.cache_info()
        with contextlib.suppress(quantity.QuantityError):
            cached(text)
        after = cached.cache_info()
        assert (after.hits, after.misses) == (before.hits, before.misses), cached
