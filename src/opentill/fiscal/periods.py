"""Period closes of a till's journal: the day, the month and the year, the one home of their
rule. Pure: no Django (the calendar is the standard library's ``zoneinfo``).

A period is named ``2026-11-30`` (a day), ``2026-11`` (a month) or ``2026`` (a year) and
lies in the company's time zone: it runs from its first midnight there to the next period's
(``start`` inclusive, ``end`` exclusive, both written in UTC in the record). A Z belongs to
the period its record's ``created_at`` falls in.

A close record (``day_close``, ``month_close``, ``year_close``) says which period it closes
(``calendar``), which Z records it sums (``zs``: their sequences), which closes of the
period below it covers (``closes``: the day closes of a month, the month closes of a year),
the **period** totals (the sum of its Zs' period totals, :mod:`opentill.fiscal.totals`'s
shape) and the till's **perpetual** totals at the period's end (those of its last Z dated
before the end). Every Z of a month must lie in a day close of that month, every Z of a
year in a month close of that year; a period is closed once.

:class:`Tracker` is what the verifier walks the journal with: it checks each close against
the Z and close records before it, and refuses a Z dated in a period already closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opentill.fiscal import canonical, totals
from opentill.money import currency_places

#: A close's kind by the period it closes, and back.
KIND_OF = {"day": "day_close", "month": "month_close", "year": "year_close"}
SPAN_OF = {kind: span for span, kind in KIND_OF.items()}
CLOSE_KINDS = tuple(KIND_OF.values())
#: The closes a close of each kind covers.
BELOW = {"month_close": "day_close", "year_close": "month_close"}

_NAME = {
    "day": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "month": re.compile(r"^\d{4}-\d{2}$"),
    "year": re.compile(r"^\d{4}$"),
}


class PeriodError(ValueError):
    """A period name or time zone that does not exist."""


@dataclass(frozen=True)
class Period:
    """One day, month or year in a time zone."""

    span: str  # day, month, year
    name: str  # 2026-11-30, 2026-11, 2026
    time_zone: str
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC, exclusive

    @property
    def kind(self) -> str:
        """The kind of the record that closes it."""
        return KIND_OF[self.span]

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def calendar(self) -> dict[str, str]:
        """The period as a close record says it."""
        return {
            "span": self.span,
            "name": self.name,
            "time_zone": self.time_zone,
            "start": canonical.time(self.start),
            "end": canonical.time(self.end),
        }


def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PeriodError(f"unknown time zone {name!r}") from None


def _first_day(span: str, name: str) -> tuple[date, date]:
    """The first day of the period and of the next one."""
    if span not in _NAME or not _NAME[span].match(name):
        raise PeriodError(f"{name!r} is not a {span} (YYYY-MM-DD, YYYY-MM or YYYY)")
    try:
        if span == "day":
            first = date.fromisoformat(name)
            return first, first + timedelta(days=1)
        if span == "month":
            year, month = int(name[:4]), int(name[5:7])
            first = date(year, month, 1)
            return first, date(year + month // 12, month % 12 + 1, 1)
        first = date(int(name), 1, 1)
        return first, date(first.year + 1, 1, 1)
    except ValueError:
        raise PeriodError(f"{name!r} is not a {span}") from None


def period(span: str, name: str, time_zone: str) -> Period:
    """The period ``name`` (a ``span``: day, month or year) in ``time_zone``."""
    tz = zone(time_zone)
    first, following = _first_day(span, name)
    start = datetime.combine(first, time.min, tz).astimezone(UTC)
    end = datetime.combine(following, time.min, tz).astimezone(UTC)
    return Period(span, name, time_zone, start, end)


def parse(text: str, time_zone: str) -> Period:
    """A period from its name alone: ``2026-11-30``, ``2026-11`` or ``2026``."""
    for span, pattern in _NAME.items():
        if pattern.match(text):
            return period(span, text, time_zone)
    raise PeriodError(f"{text!r} is not a day, a month or a year (YYYY-MM-DD, YYYY-MM, YYYY)")


def containing(span: str, moment: datetime, time_zone: str) -> Period:
    """The ``span`` (day, month, year) of ``time_zone`` that ``moment`` falls in."""
    local = moment.astimezone(zone(time_zone)).date()
    name = {"day": local.isoformat(), "month": local.isoformat()[:7], "year": f"{local.year}"}
    return period(span, name[span], time_zone)


def days_of(month: Period) -> list[Period]:
    """The days of a month (or of a year), in order."""
    first, following = _first_day(month.span, month.name)
    out, day = [], first
    while day < following:
        out.append(period("day", day.isoformat(), month.time_zone))
        day += timedelta(days=1)
    return out


def zero(places: int) -> dict[str, Any]:
    """Totals of nothing (a period without a Z, a till without one yet)."""
    return totals.period([], places)


def summed(parts: list[dict[str, Any]], places: int) -> dict[str, Any]:
    """The sum of totals in :func:`opentill.fiscal.totals.period`'s shape."""
    out = zero(places)
    for part in parts:
        out = totals.perpetual(out, part, places)
    return out


@dataclass(frozen=True)
class ZSeen:
    """A Z record as a close reads it."""

    sequence: int
    created_at: datetime
    period: dict[str, Any]
    perpetual: dict[str, Any]


@dataclass(frozen=True)
class CloseSeen:
    """A close record as the close above it reads it."""

    sequence: int
    kind: str
    name: str
    start: datetime
    end: datetime
    signature: str


def close_body(
    p: Period,
    zs: list[ZSeen],
    below: list[CloseSeen],
    *,
    before_end: ZSeen | None,
    places: int,
    store: dict[str, Any],
) -> dict[str, Any]:
    """A close record's data (besides the fields every record has): ``zs`` are the Z
    records dated in the period, ``below`` the closes it covers (a month's day closes, a
    year's month closes), ``before_end`` the till's last Z dated before the period's end."""
    return {
        "calendar": p.calendar(),
        "store": store,
        "zs": [z.sequence for z in sorted(zs, key=lambda z: z.sequence)],
        "closes": [
            {"sequence": c.sequence, "name": c.name, "signature": c.signature}
            for c in sorted(below, key=lambda c: c.sequence)
        ],
        "period": summed([z.period for z in sorted(zs, key=lambda z: z.sequence)], places),
        "perpetual": before_end.perpetual if before_end is not None else zero(places),
    }


def missing_below(p: Period, zs: list[ZSeen], below: list[CloseSeen]) -> list[str]:
    """The periods under ``p`` (days of a month, months of a year) that hold a Z but no
    close yet, by name; nothing for a day."""
    if p.span == "day":
        return []
    span = "day" if p.span == "month" else "month"
    names = {c.name for c in below}
    missing = []
    for z in zs:
        name = containing(span, z.created_at, p.time_zone).name
        if name not in names and name not in missing:
            missing.append(name)
    return sorted(missing)


class Tracker:
    """The verifier's memory of a till's Z and close records, in the journal's order."""

    def __init__(self) -> None:
        self.zs: list[ZSeen] = []
        self.closes: list[CloseSeen] = []
        self.closed: set[tuple[str, str]] = set()

    def see(
        self, kind: str, sequence: int, data: dict[str, Any], signature: str, *, check: bool = True
    ) -> str | None:
        """Take a verified record in; why it is broken (a close or a Z), or ``None``. With
        ``check`` false (records before a verified range) it is only remembered."""
        try:
            if kind == "z":
                return self._z(sequence, data, check)
            if kind in CLOSE_KINDS:
                return self._close(kind, sequence, data, signature, check)
            if kind == "archive" and check:
                return self._archive(data)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            return f"its period close cannot be checked: {exc!r}" if check else None
        return None

    def _z(self, sequence: int, data: dict[str, Any], check: bool) -> str | None:
        z = ZSeen(
            sequence, canonical.parse_time(data["created_at"]), data["period"], data["perpetual"]
        )
        self.zs.append(z)
        if check:
            for c in self.closes:
                if c.start <= z.created_at < c.end:
                    return (
                        f"it is dated in {c.name}, which record {c.sequence} closed before it: "
                        "a Z was added to a closed period"
                    )
        return None

    def _close(
        self, kind: str, sequence: int, data: dict[str, Any], signature: str, check: bool
    ) -> str | None:
        cal = data["calendar"]
        p = period(cal["span"], cal["name"], cal["time_zone"])
        reason = self._check_close(kind, data, p) if check else None
        self.closes.append(CloseSeen(sequence, kind, p.name, p.start, p.end, signature))
        self.closed.add((kind, p.name))
        return reason

    def _archive(self, data: dict[str, Any]) -> str | None:
        """An archive names the close of its period, made before it."""
        cal = data["calendar"]
        p = period(cal["span"], cal["name"], cal["time_zone"])
        if cal != p.calendar():
            return f"its calendar does not say where {p.name} starts and ends in {p.time_zone}"
        for c in self.closes:
            if c.sequence == data["close"] and (c.kind, c.name) == (p.kind, p.name):
                return None
        return f"it names record {data['close']} as the close of {p.name}, which it is not"

    def _check_close(self, kind: str, data: dict[str, Any], p: Period) -> str | None:
        if SPAN_OF.get(kind) != p.span:
            return f"a {kind} of a {p.span}"
        if data["calendar"] != p.calendar():
            return f"its calendar does not say where {p.name} starts and ends in {p.time_zone}"
        if (kind, p.name) in self.closed:
            return f"{p.name} was closed before: a period is closed once"
        places = currency_places(str(data.get("currency", "")))
        zs = [z for z in self.zs if p.holds(z.created_at)]
        below = [c for c in self.closes if c.kind == BELOW.get(kind) and p.start <= c.start < p.end]
        before_end = max(
            (z for z in self.zs if z.created_at < p.end), key=lambda z: z.sequence, default=None
        )
        expected = close_body(
            p, zs, below, before_end=before_end, places=places, store=data.get("store") or {}
        )
        if data["zs"] != expected["zs"]:
            return f"it sums the Z records {data['zs']}, but {expected['zs']} are dated in {p.name}"
        missing = missing_below(p, zs, below)
        if missing:
            return f"{', '.join(missing)} of {p.name} hold Z records but were not closed before it"
        if data["closes"] != expected["closes"]:
            return f"the closes it covers are not those of {p.name} before it"
        if data["period"] != expected["period"]:
            return (
                f"its period totals differ from its Z records: signed real total "
                f"{data['period']['real']['total']}, recomputed "
                f"{expected['period']['real']['total']}"
            )
        if data["perpetual"] != expected["perpetual"]:
            return (
                f"its perpetual totals are not those of the last Z before the end of {p.name}: "
                f"signed real total {data['perpetual']['real']['total']}, recomputed "
                f"{expected['perpetual']['real']['total']}"
            )
        return None
