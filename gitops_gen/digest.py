"""``blake2b``, the digest of the lint cache's keys, without importing :mod:`hashlib`.

Importing ``hashlib`` loads OpenSSL for its other algorithms (~6 ms on a 2-core machine, 3% of a
one-file lint); its ``blake2b`` is CPython's built-in ``_blake2.blake2b`` (the same object), which does
not need OpenSSL. Another interpreter gets hashlib's.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # not CPython
    from hashlib import blake2b

__all__ = ["blake2b"]
