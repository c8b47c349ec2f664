"""The verifier of a till's journal. Pure (no Django): :func:`verify` takes the records as
plain rows and the public keys, and names the first record that fails and why.

Checked for every record: its data is canonical JSON; its key is known; its ``previous`` is
the prior record's signature; its sequence follows the prior one's (no gap, no duplicate,
no swap); its signature verifies with its key's public key; the columns (sequence, kind,
time, session, key) say what the signed data says; the key is the till's key, or the one a
``key_rotation`` record (signed with the outgoing key) introduced; a Z's grand totals are
those the records give (:mod:`opentill.fiscal.totals`). Then the till's head must point at
the last record, so records taken off the end are found.

Records are walked in the order their signed data gives (the stored sequence when the
signature does not verify), so a record whose stored sequence was changed is named itself.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from opentill.fiscal import canonical, periods, totals
from opentill.fiscal.event_checks import KINDS as EVENT_KINDS
from opentill.fiscal.event_checks import check as event_check
from opentill.money import currency_places


@dataclass(frozen=True)
class Row:
    """A record as stored (``created_at`` rendered with :func:`canonical.time`)."""

    sequence: int
    kind: str
    created_at: str
    session_id: int | None
    data: str
    previous: str
    signature: str
    key_id: str


@dataclass(frozen=True)
class Broken:
    sequence: int
    kind: str | None
    reason: str


@dataclass
class Result:
    records: int
    first_broken: Broken | None = None
    keys: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.first_broken is None


@dataclass
class Context:
    """What the walk needs from before the first record walked (a verified range): the
    record just before it, the last Z before it, and earlier ticket and refund records of
    the sessions whose Z falls in the range."""

    before: Row | None = None
    before_key: str | None = None
    last_z: dict[str, Any] | None = None
    earlier_sales: Sequence[Row] = ()
    # The Z and period-close records before the range, for its period closes.
    earlier_closing: Sequence[Row] = ()


def public_keys(rows: Iterable[tuple[str, str]]) -> dict[str, Ed25519PublicKey]:
    """(key id, PEM) rows → the keys whose PEM is an Ed25519 key with that id (a row whose id
    does not match its key is left out, so its records fail as signed by an unknown key)."""
    keys = {}
    for key_id, pem in rows:
        try:
            key = serialization.load_pem_public_key(pem.encode("ascii"))
        except ValueError:
            continue
        if isinstance(key, Ed25519PublicKey) and canonical.key_id_of(key) == key_id:
            keys[key_id] = key
    return keys


def signature_ok(key: Ed25519PublicKey, row: Row) -> bool:
    try:
        key.verify(
            base64.b64decode(row.signature, validate=True),
            canonical.message(row.data, row.previous),
        )
    except (InvalidSignature, ValueError, UnicodeEncodeError):
        return False
    return True


def _signed(row: Row, keys: dict[str, Ed25519PublicKey]) -> dict[str, Any] | None:
    """The row's data when it parses and its signature verifies."""
    key = keys.get(row.key_id)
    if key is None or not signature_ok(key, row):
        return None
    try:
        return canonical.loads(row.data)
    except canonical.CanonicalError:
        return None


def verify(
    rows: Sequence[Row],
    keys: dict[str, Ed25519PublicKey],
    *,
    till_id: int,
    head: tuple[int, str] | None = None,
    context: Context | None = None,
    head_totals: str | None = None,
) -> Result:
    """Verify ``rows`` (one till's records); ``head``: the till's (sequence, signature) when
    the rows run to the end of its journal; ``head_totals``: the running grand totals its
    head keeps, when the rows are the whole journal (checked against the records)."""
    context = context or Context()
    signed = [(_signed(r, keys), r) for r in rows]
    order = sorted(
        signed,
        key=lambda s: (
            s[0]["sequence"] if s[0] and isinstance(s[0].get("sequence"), int) else s[1].sequence,
            s[1].sequence,
        ),
    )
    result = Result(records=len(rows))
    prior = context.before
    current_key = context.before_key
    introduced: str | None = None  # the key a key_rotation record just introduced
    if prior is not None:
        prior_data = _signed(prior, keys)
        current_key = current_key or prior.key_id
        if prior_data and prior.kind == "key_rotation":
            introduced = prior_data.get("new_key_id")
    last_z = context.last_z
    sales: dict[int | None, list[tuple[str, dict[str, Any]]]] = {}
    for row in context.earlier_sales:
        data = _signed(row, keys)
        if data is not None:
            sales.setdefault(row.session_id, []).append((row.kind, data))
    used: list[str] = []
    closes = periods.Tracker()
    for row in context.earlier_closing:
        data = _signed(row, keys)
        if data is not None:
            closes.see(row.kind, row.sequence, data, row.signature, check=False)

    for data, row in order:
        reason = _check(row, data, keys, prior, till_id)
        if reason is None:
            assert data is not None
            expected_key = introduced or current_key
            if expected_key is not None and row.key_id != expected_key:
                reason = (
                    f"signed with key {row.key_id}, but the till's key is {expected_key} "
                    f"and no key rotation introduces {row.key_id}"
                )
        if reason is None and row.kind in EVENT_KINDS:
            assert data is not None
            reason = event_check(row.kind, data)
        if reason is None and row.kind == "z":
            assert data is not None
            reason = _check_z(data, sales.get(row.session_id, []), last_z)
        if reason is None:
            assert data is not None
            reason = closes.see(row.kind, row.sequence, data, row.signature)
        if reason is not None:
            # The kind it was signed as, when its signature holds (its column may lie).
            kind = (
                data["kind"] if data is not None and isinstance(data.get("kind"), str) else row.kind
            )
            result.first_broken = Broken(row.sequence, kind, reason)
            result.keys = used
            return result
        assert data is not None
        current_key = row.key_id
        if row.key_id not in used:
            used.append(row.key_id)
        introduced = data.get("new_key_id") if row.kind == "key_rotation" else None
        if row.kind in totals.SALE_KINDS:
            sales.setdefault(row.session_id, []).append((row.kind, data))
        elif row.kind == "z":
            last_z = data["perpetual"]
        prior = row

    result.keys = used
    if head is not None:
        last = (prior.sequence, prior.signature) if prior is not None else (0, "")
        if head != last:
            result.first_broken = Broken(
                head[0],
                None,
                f"the till's head is at record {head[0]} but the journal ends at record "
                f"{last[0]}: records are missing from its end",
            )
        elif head_totals is not None and context.before is None:
            reason = _check_head_totals(head_totals, [(r.kind, r.session_id, d) for d, r in order])
            if reason is not None:
                result.first_broken = Broken(head[0], None, reason)
    return result


def _check_head_totals(
    text: str, records: Sequence[tuple[str, int | None, dict[str, Any] | None]]
) -> str | None:
    """Why the head's running grand totals are not those of the till's records (or ``None``):
    each open session's period and the perpetual of the last Z (:func:`totals.head_of`)."""
    sales: list[tuple[str, int | None, dict[str, Any]]] = [
        (k, s, d) for k, s, d in records if d is not None and k in (*totals.SALE_KINDS, "z")
    ]
    currency = str(sales[-1][2].get("currency", "")) if sales else ""
    try:
        expected = totals.head_of(sales, currency_places(currency))
        stored = json.loads(text)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        return f"the till's head totals cannot be compared with its records: {exc!r}"
    if stored != expected:
        return (
            "the till's head keeps grand totals that differ from its records: the records "
            "give the open sessions "
            f"{ {k: v['real']['total'] for k, v in expected['open'].items()} } and a perpetual "
            f"real total of {_total(expected['perpetual'])}"
        )
    return None


def _check(
    row: Row,
    data: dict[str, Any] | None,
    keys: dict[str, Ed25519PublicKey],
    prior: Row | None,
    till_id: int,
) -> str | None:
    """Why ``row`` is broken, on its own and against the record before it (or ``None``)."""
    try:
        parsed = canonical.loads(row.data)
    except canonical.CanonicalError as exc:
        return f"its data is not canonical: {exc}"
    if row.key_id not in keys:
        return f"signed with an unknown key {row.key_id!r}"
    expected_previous = prior.signature if prior is not None else ""
    if row.previous != expected_previous:
        where = f"record {prior.sequence}'s signature" if prior else "empty (first record)"
        return f"its previous signature is not {where}: the chain is broken"
    expected_sequence = prior.sequence + 1 if prior is not None else 1
    if row.sequence != expected_sequence:
        return f"its sequence is {row.sequence} where {expected_sequence} was expected"
    if data is None:
        return f"its signature does not verify with key {row.key_id}"
    signed = {
        "sequence": row.sequence,
        "kind": row.kind,
        "created_at": row.created_at,
        "session": row.session_id,
        "key_id": row.key_id,
        "till": till_id,
    }
    for name, stored in signed.items():
        if parsed.get(name) != stored:
            return f"its {name} is {stored!r} but its signed data says {parsed.get(name)!r}"
    if row.kind == "device":  # the signing device's events (fiscal/devices/facts.py)
        from opentill.fiscal.devices import facts as device_facts

        return device_facts.check(parsed)
    return None


def _check_z(
    data: dict[str, Any],
    sales: list[tuple[str, dict[str, Any]]],
    last_z: dict[str, Any] | None,
) -> str | None:
    places = currency_places(str(data.get("currency", "")))
    try:
        period = totals.period(sales, places)
        perpetual = totals.perpetual(last_z, period, places)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        return f"its grand totals cannot be recomputed: {exc!r}"
    if data.get("period") != period:
        return (
            f"its period totals differ from its session's records: signed real total "
            f"{_total(data.get('period'))}, recomputed {period['real']['total']}"
        )
    if data.get("perpetual") != perpetual:
        return (
            f"its perpetual totals differ from the records: signed real total "
            f"{_total(data.get('perpetual'))}, recomputed {perpetual['real']['total']}"
        )
    return None


def _total(totals_data: Any) -> Any:
    try:
        return totals_data["real"]["total"]
    except (KeyError, TypeError):
        return None
