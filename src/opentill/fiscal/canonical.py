"""The canonical form of a fiscal record's data, and the bytes its signature covers. Pure: no
Django; docs/fiscal.md states the same rules for an auditor who re-serialises a record.

* A record's data is one JSON object, written with its keys sorted (by code point), no
  whitespace between tokens (``,`` and ``:`` alone), as UTF-8 (characters outside ASCII
  written as they are, not ``\\u`` escapes): Python's
  ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``.
* Values are objects, arrays, strings, integers, ``true``, ``false`` and ``null``: never a
  JSON number with a fraction or an exponent.
* An amount is a string: an optional ``-``, the digits, and the currency's decimals
  (``"12.30"`` for EUR, ``"1200"`` for JPY, ``"1.250"`` for BHD); zero is never negative.
  An amount finer than the currency's decimals (none on a ticket) keeps its exact digits.
* A rate is a string with four decimals (``"21.0000"``).
* A time is a string, RFC 3339 in UTC with microseconds: ``"2026-11-21T09:02:03.000000Z"``.
* The signature covers ``data`` (UTF-8) + ``b"\\n"`` + ``previous`` (the previous record's
  signature as stored, base64 in ASCII; empty for a till's first record).
* A key's id is the first 16 hex digits of the SHA-256 of its raw 32-byte public key.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from opentill.money import RATE_PLACES, STORED_PLACES, fmt

#: The version of the record format, in every record's data as ``"format"``.
FORMAT = 1


class CanonicalError(ValueError):
    """A value the canonical form does not have (a float, a naive time…)."""


def dumps(value: dict[str, Any]) -> str:
    """The canonical text of a record's data."""
    _check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> dict[str, Any]:
    """A record's data back; raises :class:`CanonicalError` unless ``text`` is an object in
    exactly the canonical form (so two texts never stand for one record)."""
    try:
        value = json.loads(text, parse_float=_no_float, parse_constant=_no_float)
    except ValueError as exc:
        raise CanonicalError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise CanonicalError("not a JSON object")
    if dumps(value) != text:
        raise CanonicalError("not in the canonical form")
    return value


def message(data: str, previous: str) -> bytes:
    """The bytes a record's signature covers."""
    return data.encode("utf-8") + b"\n" + previous.encode("ascii")


def key_id_of(public: Ed25519PublicKey) -> str:
    """A key's id: the first 16 hex digits of the SHA-256 of its raw 32-byte public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


_EXPONENTS = {places: Decimal(1).scaleb(-places) for places in range(STORED_PLACES + 1)}


def amount(value: Decimal, places: int) -> str:
    """An amount with the currency's ``places`` decimals (``Decimal('12.3')``, 2 → ``"12.30"``);
    exact digits kept when finer."""
    exponent = _EXPONENTS.get(places)
    if exponent is None:
        exponent = Decimal(1).scaleb(-places)
    result = Decimal(value).quantize(exponent, rounding=ROUND_HALF_UP)
    if result != value:
        return fmt(value, STORED_PLACES) or ""
    if not result:
        result = abs(result)  # zero is never negative
    return f"{result:f}"


@lru_cache(maxsize=256)
def rate(value: Decimal) -> str:
    """A rate with four decimals: ``Decimal('21')`` → ``"21.0000"``."""
    return fmt(value, RATE_PLACES) or ""


def time(value: datetime) -> str:
    """RFC 3339 in UTC with microseconds; a naive time is refused."""
    if value.tzinfo is None:
        raise CanonicalError(f"naive time {value!r}")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """A canonical time back (what :func:`time` wrote)."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise CanonicalError(f"not a canonical time: {text!r}") from None


def _no_float(text: str) -> Any:
    raise CanonicalError(f"a number with a fraction or exponent: {text}")


_PLAIN = frozenset({str, int, bool, type(None)})


def _check(value: Any) -> None:
    """Refuse what has no canonical form: walked without recursion, the plain types by their
    exact type first (the journal checks every record it writes)."""
    stack = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind in _PLAIN:
            continue
        if kind is dict or isinstance(item, dict):
            for key, inner in item.items():
                if not isinstance(key, str):
                    raise CanonicalError(f"a key that is not a string: {key!r}")
                push(inner)
        elif kind is list or isinstance(item, list):
            extend(item)
        elif not isinstance(item, str | bool | int):
            raise CanonicalError(f"{kind.__name__} has no canonical form: {item!r}")
