"""The grand totals of a till, the one home of their rule. Pure: no Django.

A ticket or refund record's data holds its lines' sums, sales and refund lines apart
(``"sales"``/``"refunds"``: net, tax, total) and per tax as charged (``"taxes"``: name,
kind, rate, and each side's base and tax). A Z record carries the session's **period**
totals (:func:`period`, from the ticket and refund records of that session) and the till's
**perpetual** totals (:func:`perpetual`: the previous Z's perpetual plus this period), each
in the shape :func:`period` returns: sales and refunds apart, their **real** value
(sales + refunds, refunds being negative) and their **absolute** value (sales − refunds),
overall and per tax, with the count of tickets and refunds. Every figure is a sum, so the
perpetual of the n-th Z is the sum of the periods of the n Z records of the till.

A till's **head** keeps these totals running (:class:`Running`, stored as :func:`head_text`):
the period totals of each session with ticket or refund records not closed by a Z yet
(``"open"``, by session id) and the perpetual totals of its last Z (``"perpetual"``). Each
append adds its records there, so a Z reads its totals in O(1) instead of reading its
session's records back; :func:`head_of` recomputes the same from the records (the verifier
checks a head against it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from opentill.fiscal.canonical import amount, dumps

SALE_KINDS = ("ticket", "refund")
_SIDE = ("net", "tax", "total")
_TAX_SIDE = ("base", "tax")


def _d(text: str) -> Decimal:
    return Decimal(text)


def _side(values: dict[str, Decimal], fields: tuple[str, ...], places: int) -> dict[str, str]:
    return {f: amount(values.get(f, Decimal(0)), places) for f in fields}


def _derived(
    sales: dict[str, Decimal], refunds: dict[str, Decimal], fields: tuple[str, ...]
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    real = {f: sales.get(f, Decimal(0)) + refunds.get(f, Decimal(0)) for f in fields}
    absolute = {f: sales.get(f, Decimal(0)) - refunds.get(f, Decimal(0)) for f in fields}
    return real, absolute


class _Sums:
    """Running sums of the figures of ticket records (or of earlier totals)."""

    def __init__(self) -> None:
        self.tickets = 0
        self.refunds = 0
        self.rounding = Decimal(0)
        self.amount_due = Decimal(0)
        self.sides: dict[str, dict[str, Decimal]] = {"sales": {}, "refunds": {}}
        # (name, kind, rate) → side → field → sum
        self.taxes: dict[tuple[str, str, str], dict[str, dict[str, Decimal]]] = {}

    def _add_side(self, target: dict[str, Decimal], source: dict[str, str]) -> None:
        for field, value in source.items():
            target[field] = target.get(field, Decimal(0)) + _d(value)

    def _tax(self, tax: dict[str, Any]) -> dict[str, dict[str, Decimal]]:
        key = (tax["name"], tax["kind"], tax["rate"])
        return self.taxes.setdefault(key, {"sales": {}, "refunds": {}})

    def add_record(self, kind: str, data: dict[str, Any]) -> None:
        """Add a ticket or refund record's data."""
        if kind == "refund":
            self.refunds += 1
        else:
            self.tickets += 1
        self.rounding += _d(data["rounding"])
        self.amount_due += _d(data["amount_due"])
        for side in ("sales", "refunds"):
            self._add_side(self.sides[side], data[side])
        for tax in data["taxes"]:
            sums = self._tax(tax)
            for side in ("sales", "refunds"):
                self._add_side(sums[side], tax[side])

    def add_totals(self, totals: dict[str, Any]) -> None:
        """Add totals in :func:`period`'s shape (a previous Z's perpetual)."""
        self.tickets += totals["count"]["tickets"]
        self.refunds += totals["count"]["refunds"]
        self.rounding += _d(totals["rounding"])
        self.amount_due += _d(totals["amount_due"])
        for side in ("sales", "refunds"):
            self._add_side(self.sides[side], totals[side])
        for tax in totals["taxes"]:
            sums = self._tax(tax)
            for side in ("sales", "refunds"):
                self._add_side(sums[side], tax[side])

    def render(self, places: int) -> dict[str, Any]:
        sales, refunds = self.sides["sales"], self.sides["refunds"]
        real, absolute = _derived(sales, refunds, _SIDE)
        taxes = []
        for (name, kind, rate), sums in sorted(self.taxes.items()):
            tax_real, tax_absolute = _derived(sums["sales"], sums["refunds"], _TAX_SIDE)
            taxes.append(
                {
                    "name": name,
                    "kind": kind,
                    "rate": rate,
                    "sales": _side(sums["sales"], _TAX_SIDE, places),
                    "refunds": _side(sums["refunds"], _TAX_SIDE, places),
                    "real": _side(tax_real, _TAX_SIDE, places),
                    "absolute": _side(tax_absolute, _TAX_SIDE, places),
                }
            )
        return {
            "count": {"tickets": self.tickets, "refunds": self.refunds},
            "sales": _side(sales, _SIDE, places),
            "refunds": _side(refunds, _SIDE, places),
            "real": _side(real, _SIDE, places),
            "absolute": _side(absolute, _SIDE, places),
            "rounding": amount(self.rounding, places),
            "amount_due": amount(self.amount_due, places),
            "taxes": taxes,
        }


def period(records: Iterable[tuple[str, dict[str, Any]]], places: int) -> dict[str, Any]:
    """The totals of ``records`` ((kind, data) of ticket and refund records), with the
    currency's ``places`` decimals."""
    sums = _Sums()
    for kind, data in records:
        sums.add_record(kind, data)
    return sums.render(places)


def perpetual(
    previous: dict[str, Any] | None, this_period: dict[str, Any], places: int
) -> dict[str, Any]:
    """The till's perpetual totals: the previous Z's perpetual (``None`` for the first Z)
    plus ``this_period``."""
    sums = _Sums()
    if previous is not None:
        sums.add_totals(previous)
    sums.add_totals(this_period)
    return sums.render(places)


# --- the head's running totals ----------------------------------------------------------------


def head_text(head: dict[str, Any]) -> str:
    """A head's totals as stored: canonical JSON ``{"open": {session id: period},
    "perpetual": totals or null}``."""
    return dumps(head)


EMPTY_HEAD = head_text({"open": {}, "perpetual": None})


class Running:
    """A till's head totals while records are appended: the open sessions' period totals
    (added to in place, rendered once at the end) and the perpetual of its last Z."""

    def __init__(self, text: str, places: int) -> None:
        head = json.loads(text or EMPTY_HEAD)
        self.places = places
        self.perpetual: dict[str, Any] | None = head.get("perpetual")
        self._open: dict[str, dict[str, Any]] = dict(head.get("open") or {})
        self._sums: dict[str, _Sums] = {}
        self.changed = False

    def _sums_of(self, session_id: int | None) -> _Sums:
        key = str(session_id)
        sums = self._sums.get(key)
        if sums is None:
            sums = self._sums[key] = _Sums()
            earlier = self._open.pop(key, None)
            if earlier is not None:
                sums.add_totals(earlier)
        return sums

    def add(self, kind: str, session_id: int | None, data: dict[str, Any]) -> None:
        """An appended record: a ticket or refund adds to its session's period; a Z closes
        its session's period and its perpetual becomes the till's."""
        if kind in SALE_KINDS:
            self._sums_of(session_id).add_record(kind, data)
            self.changed = True
        elif kind == "z":
            key = str(session_id)
            self._sums.pop(key, None)
            self._open.pop(key, None)
            self.perpetual = data["perpetual"]
            self.changed = True

    def period(self, session_id: int | None) -> dict[str, Any]:
        """The period totals of a session so far (its Z's ``period``)."""
        key = str(session_id)
        if key in self._sums:
            return self._sums[key].render(self.places)
        earlier = self._open.get(key)
        if earlier is not None:
            return earlier
        return _Sums().render(self.places)

    def head(self) -> dict[str, Any]:
        """The head's totals now."""
        open_ = dict(self._open)
        for key, sums in self._sums.items():
            open_[key] = sums.render(self.places)
        return {"open": open_, "perpetual": self.perpetual}

    def text(self) -> str:
        return head_text(self.head())


def head_of(
    records: Iterable[tuple[str, int | None, dict[str, Any]]], places: int
) -> dict[str, Any]:
    """A head's totals recomputed from a till's records ((kind, session id, data) in sequence
    order, from its first record)."""
    running = Running(EMPTY_HEAD, places)
    for kind, session_id, data in records:
        running.add(kind, session_id, data)
    return running.head()
