"""Period closes of the fiscal journal (docs/fiscal.md): a till's day, month and year, each a
signed record of its journal carrying the period's totals and the till's perpetual totals,
computed from the journal's Z records (the rule: :mod:`opentill.fiscal.periods`).

A period is closed once it has ended (in the company's time zone, the settings' when the
company names none) and every session of the till created before its end is closed; a month
once its days holding a Z are closed, a year once its months are. The worker closes what is
due (:func:`period_closes_run`, a periodic pass of ``common.worker``); a manager may close a
period on demand (``opentill fiscal close``, ``POST /profiles/{id}/fiscal/closes``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from opentill.common.problems import Problem
from opentill.fiscal import canonical, keys, periods
from opentill.fiscal.models import FiscalHead, FiscalRecord
from opentill.fiscal.selectors import till_time_zone  # the day of a till: one home
from opentill.fiscal.services import till_journal
from opentill.pos.models import PosProfile, Session

logger = logging.getLogger("opentill.fiscal")


def period_of(profile: PosProfile, text: str, *, where: str = "body") -> periods.Period:
    """The period named ``text`` (``2026-11-30``, ``2026-11``, ``2026``) in the till's time
    zone; 422 ``validation_error`` for a name that is none."""
    try:
        return periods.parse(text, till_time_zone(profile))
    except periods.PeriodError as exc:
        raise Problem(
            "validation_error",
            str(exc),
            errors=[{"loc": [where, "period"], "msg": str(exc)}],
        ) from None


def _z_seen(sequence: int, data: str) -> periods.ZSeen:
    parsed = canonical.loads(data)
    return periods.ZSeen(
        sequence,
        canonical.parse_time(parsed["created_at"]),
        parsed["period"],
        parsed["perpetual"],
    )


def _closes(profile: PosProfile, kind: str, since: datetime | None = None) -> list[Any]:
    """The till's close records of ``kind`` (made after ``since``) as
    :class:`periods.CloseSeen`."""
    records = FiscalRecord.objects.filter(profile=profile, kind=kind)
    if since is not None:
        records = records.filter(created_at__gte=since)
    out = []
    for sequence, data, signature in records.order_by("sequence").values_list(
        "sequence", "data", "signature"
    ):
        cal = canonical.loads(data)["calendar"]
        p = periods.period(cal["span"], cal["name"], cal["time_zone"])
        out.append(periods.CloseSeen(sequence, kind, p.name, p.start, p.end, signature))
    return out


def closed_record(profile: PosProfile, p: periods.Period) -> int | None:
    """The sequence of the record that closed ``p``, if one did."""
    for c in _closes(profile, p.kind, since=p.start):
        if c.name == p.name:
            return c.sequence
    return None


def _refusal(profile: PosProfile, p: periods.Period, now: datetime) -> Problem | None:
    if now < p.end:
        return Problem(
            "period_open",
            f"{p.name} has not ended yet (it ends at {p.end.isoformat()}, {p.time_zone}).",
            extra={"period": p.name},
        )
    open_sessions = list(
        Session.objects.filter(profile=profile, created_at__lt=p.end)
        .exclude(state=Session.State.CLOSED)
        .order_by("id")
        .values_list("name", flat=True)
    )
    if open_sessions:
        return Problem(
            "period_open",
            f"Sessions of {profile.code} begun in {p.name} are not closed: "
            f"{', '.join(open_sessions)}.",
            extra={"period": p.name, "sessions": open_sessions},
        )
    return None


def period_close(
    *,
    profile: PosProfile,
    period: periods.Period,
    now: datetime | None = None,
    signer: keys.Signer | None = None,
) -> dict[str, Any]:
    """Close ``period`` of the till: a ``day_close``, ``month_close`` or ``year_close``
    record. Idempotent: a period closed before is answered with its record
    (``created`` false). 409 ``period_open`` before its end or while a session of it is
    open, 409 ``periods_not_closed`` while a day of the month (a month of the year) holding a
    Z is not closed."""
    now = now or timezone.now()
    p = period
    with transaction.atomic(), till_journal(profile, signer=signer) as journal:
        # Under the till's lock: two closes of one period take turns, the second finds the
        # first's record.
        done = closed_record(profile, p)
        if done is not None:
            return {"kind": p.kind, "period": p.name, "sequence": done, "created": False}
        refusal = _refusal(profile, p, now)
        if refusal is not None:
            raise refusal
        zs_rows = FiscalRecord.objects.filter(
            profile=profile, kind=FiscalRecord.Kind.Z, created_at__gte=p.start, created_at__lt=p.end
        ).order_by("sequence")
        zs = [_z_seen(s, d) for s, d in zs_rows.values_list("sequence", "data")]
        below: list[periods.CloseSeen] = []
        if p.kind in periods.BELOW:
            below = [
                c
                for c in _closes(profile, periods.BELOW[p.kind], since=p.start)
                if p.start <= c.start < p.end
            ]
        missing = periods.missing_below(p, zs, below)
        if missing:
            raise Problem(
                "periods_not_closed",
                f"Close {', '.join(missing)} first: they hold Z records of {p.name}.",
                extra={"period": p.name, "missing": missing},
            )
        last = (
            FiscalRecord.objects.filter(
                profile=profile, kind=FiscalRecord.Kind.Z, created_at__lt=p.end
            )
            .order_by("-sequence")
            .values_list("sequence", "data")
            .first()
        )
        store = profile.store
        body = periods.close_body(
            p,
            zs,
            below,
            before_end=_z_seen(*last) if last else None,
            places=journal.places,
            store={"id": store.pk, "name": store.name},
        )
        journal.append(p.kind, None, body)
        sequence = journal.sequence
    return {"kind": p.kind, "period": p.name, "sequence": sequence, "created": True}


def closes_due(profile: PosProfile, now: datetime) -> list[periods.Period]:
    """The periods of the till that hold a Z, have ended and are not closed, in the order
    they may be closed (days, then months, then years)."""
    tz = till_time_zone(profile)
    # A closed year's days and months are closed: its Zs and closes need no reading again.
    z_records = FiscalRecord.objects.filter(profile=profile, kind=FiscalRecord.Kind.Z)
    for year in _closes(profile, "year_close"):
        z_records = z_records.exclude(created_at__gte=year.start, created_at__lt=year.end)
    z_times = list(z_records.values_list("created_at", flat=True))
    if not z_times:
        return []
    since = periods.containing("year", min(z_times), tz).start
    due: list[periods.Period] = []
    for span in ("day", "month", "year"):
        closed = {c.name for c in _closes(profile, periods.KIND_OF[span], since=since)}
        names = sorted({periods.containing(span, t, tz).name for t in z_times})
        for name in names:
            p = periods.period(span, name, tz)
            if name not in closed and p.end <= now:
                due.append(p)
    return due


def period_closes_run(now: datetime | None = None) -> int:
    """The worker's pass: close every period that is due, till after till; a period still
    waiting (a session open, a day not closable yet) is left for the next pass. Returns how
    many closes it wrote."""
    now = now or timezone.now()
    written = 0
    tills = FiscalHead.objects.values_list("profile_id", flat=True)
    for profile in (
        PosProfile.objects.filter(pk__in=tills).select_related("store__company").order_by("pk")
    ):
        for p in closes_due(profile, now):
            try:
                if period_close(profile=profile, period=p, now=now)["created"]:
                    written += 1
            except Problem as waiting:
                logger.debug("%s %s waits: %s", profile.code, p.name, waiting.detail)
    return written


def period_closes_list(profile: PosProfile) -> list[dict[str, Any]]:
    """The till's period closes, newest first: ``kind``, ``period``, ``sequence``,
    ``created_at``."""
    out = []
    for sequence, kind, created_at, data in (
        FiscalRecord.objects.filter(profile=profile, kind__in=periods.CLOSE_KINDS)
        .order_by("-sequence")
        .values_list("sequence", "kind", "created_at", "data")
    ):
        out.append(
            {
                "kind": kind,
                "period": canonical.loads(data)["calendar"]["name"],
                "sequence": sequence,
                "created_at": created_at,
            }
        )
    return out


def store_period_report(*, store_id: int, text: str) -> dict[str, Any]:
    """A store's figures for a period: the sum of its tills' closes of that period (each
    named with its record's sequence and signature, so an auditor finds it in the till's
    journal), and the tills holding Zs of the period that have not closed it yet."""
    tills = PosProfile.objects.filter(store_id=store_id).select_related("store__company")
    parts, missing, places, name = [], [], 2, text
    for till in tills.order_by("code"):
        p = period_of(till, text)
        name, places = p.name, till.store.company.places
        sequence = closed_record(till, p)
        if sequence is None:
            held = FiscalRecord.objects.filter(
                profile=till,
                kind=FiscalRecord.Kind.Z,
                created_at__gte=p.start,
                created_at__lt=p.end,
            ).exists()
            if held:
                missing.append(till.code)
            continue
        record = FiscalRecord.objects.get(profile=till, sequence=sequence)
        data = canonical.loads(record.data)
        parts.append(
            {
                "till": till.code,
                "kind": record.kind,
                "sequence": sequence,
                "signature": record.signature,
                "period": data["period"],
                "perpetual": data["perpetual"],
            }
        )
    return {
        "store": store_id,
        "period": name,
        "tills": parts,
        "not_closed": missing,
        "totals": periods.summed([t["period"] for t in parts], places),
        "perpetual": periods.summed([t["perpetual"] for t in parts], places),
    }
