"""Kubernetes resource quantities (``100m``, ``1.5``, ``512Mi``, ``12Gi``, ``1e3``).

Grammar from k8s.io/apimachinery/pkg/api/resource: a signed decimal number followed by a
binary-SI suffix (Ki Mi Gi Ti Pi Ei), a decimal-SI suffix (n u m "" k M G T P E) or a decimal
exponent (e3, E-2). Parsing is exact (``Fraction``) so that comparisons never suffer from float
rounding; helpers return CPU in millicores and memory in bytes.
"""

from __future__ import annotations

import re
from fractions import Fraction

from gitops_gen.memo import short_string_cache

_QUANTITY = re.compile(
    r"^(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$",
    re.ASCII,  # Kubernetes takes ASCII digits only: '１２３' is not a quantity
)
MAX_DIGITS = 64  # longer numbers are not quantities (and would hit Python's int-conversion limit)

_SUFFIX: dict[str, Fraction] = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}

MAX_EXPONENT = 30  # refuse 1e999999 before it turns into a number with a million digits


class QuantityError(ValueError):
    """Raised for a string that is not a Kubernetes quantity."""


#: "no quantity may represent a number greater than 2^63-1 in magnitude ... Numbers larger ... will be
#: capped" (k8s.io/apimachinery/pkg/api/resource, Quantity): 1e300 cores is 2^63-1 cores, not a number
#: whose millicores overflow a float in a report
MAX_QUANTITY = Fraction(2**63 - 1)


def parse_quantity(value: object) -> Fraction:
    """Parse a quantity (str, int or float) to an exact base-unit value (cores or bytes), capped at
    :data:`MAX_QUANTITY` in magnitude as Kubernetes caps it."""
    if isinstance(value, bool):
        raise QuantityError(f"{value!r} is not a quantity")
    if isinstance(value, int):
        return _capped(Fraction(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise QuantityError(f"{value!r} is not a quantity")
        return _capped(Fraction(str(value)))
    if not isinstance(value, str):
        raise QuantityError(f"{value!r} is not a quantity")
    return _parse_text(value)


def _capped(q: Fraction) -> Fraction:
    if abs(q) > MAX_QUANTITY:
        return MAX_QUANTITY if q > 0 else -MAX_QUANTITY
    return q


# "100m", "512Mi", "1.5": the same few strings in every object of an input
@short_string_cache(max_len=32, maxsize=4096)
def _parse_text(value: str) -> Fraction:
    text = value.strip()
    match = _QUANTITY.match(text)
    if not match:
        raise QuantityError(f"{value!r} is not a Kubernetes quantity (examples: 100m, 0.5, 2, 128Mi, 12Gi)")
    if len(match.group("num")) > MAX_DIGITS:
        raise QuantityError(f"{value[:20]!r}...: number too long to be a quantity")
    number = Fraction(match.group("num"))
    suffix = match.group("suffix") or ""
    if suffix not in _SUFFIX:  # a decimal exponent (e3, E-2); "E" and "Ei" are SI suffixes
        exponent = int(suffix[1:]) if len(suffix) <= 8 else MAX_EXPONENT + 1
        if abs(exponent) > MAX_EXPONENT:
            raise QuantityError(f"{value!r}: exponent out of range")
        return _capped(number * Fraction(10) ** exponent)
    return _capped(number * _SUFFIX[suffix])


def is_quantity(value: object) -> bool:
    try:
        parse_quantity(value)
    except QuantityError:
        return False
    return True


def cpu_millis(value: object) -> int:
    """CPU quantity in millicores, rounded up as the API server does (``0.0001`` -> 1m)."""
    q = parse_quantity(value) * 1000
    return int(-(-q.numerator // q.denominator))


def memory_bytes(value: object) -> int:
    """Memory quantity in bytes, rounded up."""
    q = parse_quantity(value)
    return int(-(-q.numerator // q.denominator))


def format_cpu(millis: float) -> str:
    if millis % 1000 == 0:
        return str(int(millis // 1000))
    return f"{int(millis)}m"


def format_memory(num_bytes: float) -> str:
    """Human form in binary units, as ``kubectl describe node`` shows it (``9830Mi``, ``12Gi``)."""
    n = int(num_bytes)
    for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if n and n % size == 0:
            return f"{n // size}{suffix}"
    if n >= 2**20:
        return f"{n / 2**20:.0f}Mi"
    return str(n)
