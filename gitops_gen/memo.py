"""Classify short repeated strings once.

The same few strings recur in every object of an input (``100m``, ``512Mi``, ``app.kubernetes.io/name``,
``DB_PASSWORD``), so a pure function of such a string is worth caching. Input is untrusted, though: an
``lru_cache`` keeps every string it is given (and whatever the function made of it) until evicted, so
8,192 entries of a megabyte each would hold 8 GB. :func:`short_string_cache` caches only strings of
at most ``max_len`` characters and calls straight through for longer ones: the cache holds at most
``maxsize`` entries of bounded size, and a long string costs what it cost without the cache.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Protocol, TypeVar, TypeVarTuple, cast

__all__ = ["ShortStringCached", "short_string_cache"]

R_co = TypeVar("R_co", covariant=True)
R = TypeVar("R")
Ts = TypeVarTuple("Ts")


class ShortStringCached(Protocol[*Ts, R_co]):
    """What :func:`short_string_cache` returns: the function, plus ``lru_cache``'s ``cache_info`` and
    ``cache_clear`` (of the short strings' cache) and ``__wrapped__`` (the uncached function)."""

    def __call__(self, text: str, /, *args: *Ts) -> R_co: ...

    def cache_info(self) -> functools._CacheInfo: ...

    def cache_clear(self) -> None: ...


def short_string_cache(
    max_len: int, maxsize: int
) -> Callable[[Callable[[str, *Ts], R]], ShortStringCached[*Ts, R]]:
    """Decorator: cache ``fn(text, *args)`` when ``len(text) <= max_len`` (at most ``maxsize`` entries,
    least recently used evicted; ``args`` are part of the key), call ``fn`` uncached for a longer
    ``text``. ``fn`` must be pure: the answer is the same either way. Positional arguments only (one
    plain closure: the callers are hot)."""

    def decorate(fn: Callable[[str, *Ts], R]) -> ShortStringCached[*Ts, R]:
        cached = functools.lru_cache(maxsize=maxsize)(fn)

        @functools.wraps(fn)
        def call(text: str, /, *args: *Ts) -> R:
            if len(text) <= max_len:
                return cached(text, *args)
            return fn(text, *args)

        vars(call).update(cache_info=cached.cache_info, cache_clear=cached.cache_clear)
        return cast(ShortStringCached[*Ts, R], call)

    return decorate
