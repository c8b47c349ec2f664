"""Reading the fiscal journal: who may read a till's records, the records of a range of days,
the public keys, and the verifier fed with a till's rows (:mod:`opentill.fiscal.verify`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from opentill.common.problems import Problem
from opentill.fiscal import canonical, periods, verify
from opentill.fiscal.models import FiscalHead, FiscalKey, FiscalRecord
from opentill.fiscal.periods import CLOSE_KINDS
from opentill.fiscal.totals import EMPTY_HEAD, SALE_KINDS
from opentill.identity.roles import may_see_reports
from opentill.pos.models import PosProfile
from opentill.stores.access import visible_store_ids

_ROW_FIELDS = (
    "sequence",
    "kind",
    "created_at",
    "session_id",
    "data",
    "previous",
    "signature",
    "key_id",
)


def profile_for_fiscal_read(profile_id: int, user: Any) -> PosProfile:
    """The till whose journal ``user`` reads: managers of its store and accountants
    (``identity.roles.may_see_reports`` and ``stores.access.visible_store_ids``)."""
    profile = PosProfile.objects.filter(pk=profile_id).select_related("store").first()
    if profile is None:
        raise Problem("not_found", f"Profile {profile_id} does not exist.")
    stores = visible_store_ids(user)
    if not may_see_reports(user) or (stores is not None and profile.store_id not in stores):
        raise Problem("forbidden", "The fiscal journal is for managers and accountants.")
    return profile


def till_time_zone(profile: PosProfile) -> str:
    """The time zone that decides a till's days (its period closes, the days of a range of
    its records): its company's, else the settings'."""
    name = (profile.store.company.time_zone or "").strip()
    try:
        periods.zone(name)
    except periods.PeriodError:
        return str(settings.TIME_ZONE)
    return name


def _bounds(
    profile: PosProfile, start: date | None, end: date | None
) -> tuple[datetime | None, datetime | None]:
    """The days ``start``–``end`` (inclusive, in the till's time zone) as times."""
    if start is not None and end is not None and end < start:
        raise Problem(
            "validation_error",
            "'to' is before 'from'.",
            errors=[{"loc": ["query", "to"], "msg": "must not be before 'from'"}],
        )
    zone = periods.zone(till_time_zone(profile))
    low = datetime.combine(start, time.min, zone) if start else None
    high = datetime.combine(end + timedelta(days=1), time.min, zone) if end else None
    return low, high


def _records(profile: PosProfile, start: date | None, end: date | None) -> QuerySet[FiscalRecord]:
    low, high = _bounds(profile, start, end)
    records = FiscalRecord.objects.filter(profile=profile)
    if low is not None:
        records = records.filter(created_at__gte=low)
    if high is not None:
        records = records.filter(created_at__lt=high)
    return records.order_by("sequence")


def records_list(
    *, profile: PosProfile, start: date | None = None, end: date | None = None
) -> list[dict[str, Any]]:
    """The till's records of the days ``start``–``end`` (inclusive), as stored."""
    out = []
    for r in _records(profile, start, end).values_list(*_ROW_FIELDS):
        row = _row(r)
        try:
            number = canonical.loads(row.data).get("number")
        except canonical.CanonicalError:
            number = None
        out.append(
            {
                "sequence": row.sequence,
                "kind": row.kind,
                "number": number,
                "created_at": row.created_at,
                "data": row.data,
                "previous": row.previous,
                "signature": row.signature,
                "key_id": row.key_id,
            }
        )
    return out


def public_keys_list() -> list[dict[str, Any]]:
    """Every public key that signed records, oldest first."""
    return [
        {"key_id": k.key_id, "public_key": k.public_key, "created_at": k.created_at}
        for k in FiscalKey.objects.order_by("id")
    ]


def _row(values: tuple[Any, ...]) -> verify.Row:
    sequence, kind, created_at, session_id, data, previous, signature, key_id = values
    return verify.Row(
        sequence=sequence,
        kind=kind,
        created_at=canonical.time(created_at),
        session_id=session_id,
        data=data,
        previous=previous,
        signature=signature,
        key_id=key_id,
    )


def till_verify(
    *, profile: PosProfile, start: date | None = None, end: date | None = None
) -> verify.Result:
    """Verify the till's records of the days ``start``–``end`` (every record without them);
    without ``end`` the journal must end where the till's head says."""
    rows = [_row(r) for r in _records(profile, start, end).values_list(*_ROW_FIELDS)]
    keys = verify.public_keys(FiscalKey.objects.values_list("key_id", "public_key"))
    head = None
    head_totals = None
    if end is None:
        found = (
            FiscalHead.objects.filter(pk=profile.pk)
            .values_list("sequence", "signature", "totals")
            .first()
        )
        head = (int(found[0]), str(found[1])) if found else (0, "")
        if start is None:  # the whole journal: the head's running totals are checked too
            head_totals = str(found[2]) if found else EMPTY_HEAD
    context = verify.Context()
    if start is not None and rows:
        context = _context(profile, rows)
    return verify.verify(
        rows, keys, till_id=profile.pk, head=head, context=context, head_totals=head_totals
    )


def _context(profile: PosProfile, rows: list[verify.Row]) -> verify.Context:
    """What the walk of a range needs from before it."""
    first = min(r.sequence for r in rows)
    earlier = FiscalRecord.objects.filter(profile=profile, sequence__lt=first)
    before = earlier.order_by("-sequence").values_list(*_ROW_FIELDS).first()
    last_z = earlier.filter(kind="z").order_by("-sequence").values_list("data", flat=True).first()
    z_sessions = {r.session_id for r in rows if r.kind == "z" and r.session_id is not None}
    sales = earlier.filter(kind__in=SALE_KINDS, session_id__in=z_sessions).order_by("sequence")
    before_row = _row(before) if before else None
    try:
        perpetual = canonical.loads(last_z)["perpetual"] if last_z else None
    except (canonical.CanonicalError, KeyError):
        perpetual = None
    return verify.Context(
        before=before_row,
        before_key=before_row.key_id if before_row else None,
        last_z=perpetual,
        earlier_sales=[_row(r) for r in sales.values_list(*_ROW_FIELDS)],
        earlier_closing=[
            _row(r)
            for r in earlier.filter(kind__in=("z", *CLOSE_KINDS))
            .order_by("sequence")
            .values_list(*_ROW_FIELDS)
        ],
    )
