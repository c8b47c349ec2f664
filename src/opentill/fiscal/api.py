"""The fiscal journal over HTTP: a till's records, their verification, the public keys
(managers and accountants)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from opentill.common.problems import Problem
from opentill.common.schemas import problems
from opentill.fiscal.archive import archive_build
from opentill.fiscal.period_close import period_close, period_of
from opentill.fiscal.selectors import (
    profile_for_fiscal_read,
    public_keys_list,
    records_list,
    till_verify,
)
from opentill.identity.roles import may_see_reports
from opentill.pos.access import manages_store

router = Router(tags=["fiscal"])


class DaysQuery(Schema):
    start: date | None = Field(None, alias="from", description="first day, YYYY-MM-DD")
    end: date | None = Field(None, alias="to", description="last day (inclusive), YYYY-MM-DD")


class RecordOut(Schema):
    sequence: int
    kind: str
    number: int | str | None = Field(description="the order's ticket number, when it has one")
    created_at: str = Field(description="RFC 3339 in UTC, as in the signed data")
    data: str = Field(description="the canonical data exactly as signed (docs/fiscal.md)")
    previous: str
    signature: str
    key_id: str


class BrokenOut(Schema):
    sequence: int
    kind: str | None
    reason: str


class VerifyOut(Schema):
    ok: bool
    records: int
    first_broken: BrokenOut | None


class PublicKeyOut(Schema):
    key_id: str
    public_key: str = Field(description="PEM (SubjectPublicKeyInfo), Ed25519")
    created_at: datetime


@router.get(
    "/profiles/{profile_id}/fiscal/records",
    response={200: list[RecordOut], **problems(403, 404, 422)},
)
def fiscal_records(
    request: HttpRequest, profile_id: int, query: Query[DaysQuery]
) -> list[dict[str, Any]]:
    """The till's signed records of the days ``from``–``to`` (inclusive; all without them)."""
    profile = profile_for_fiscal_read(profile_id, request.user)
    return records_list(profile=profile, start=query.start, end=query.end)


@router.get(
    "/profiles/{profile_id}/fiscal/verify",
    response={200: VerifyOut, **problems(403, 404, 422)},
)
def fiscal_verify(request: HttpRequest, profile_id: int, query: Query[DaysQuery]) -> dict[str, Any]:
    """Verify the till's journal: signatures, chain, sequence, grand totals; the first
    record that fails and why."""
    profile = profile_for_fiscal_read(profile_id, request.user)
    result = till_verify(profile=profile, start=query.start, end=query.end)
    broken = result.first_broken
    return {
        "ok": result.ok,
        "records": result.records,
        "first_broken": None
        if broken is None
        else {"sequence": broken.sequence, "kind": broken.kind, "reason": broken.reason},
    }


@router.get("/fiscal/public-key", response={200: list[PublicKeyOut], **problems(403)})
def fiscal_public_key(request: HttpRequest) -> list[dict[str, Any]]:
    """The public keys that verify the journal, oldest first."""
    if not may_see_reports(request.user):
        raise Problem("forbidden", "The fiscal keys are for managers and accountants.")
    return public_keys_list()


class CloseIn(Schema):
    period: str = Field(
        description="the day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY) to close, in the "
        "company's time zone",
        max_length=10,
    )


class CloseOut(Schema):
    kind: str = Field(description="day_close, month_close or year_close")
    period: str
    sequence: int = Field(description="the close's record in the till's journal")
    created: bool = Field(description="false when the period was closed before (idempotent)")


@router.post(
    "/profiles/{profile_id}/fiscal/closes",
    response={200: CloseOut, 201: CloseOut, **problems(400, 403, 404, 409, 413, 422)},
)
def fiscal_close(request: HttpRequest, profile_id: int, body: CloseIn) -> Status:
    """Close a day, a month or a year of the till (managers of its store): 201 with the new
    record, 200 with the one that closed it before; 409 ``period_open`` (not ended, or a
    session of it open), 409 ``periods_not_closed`` (a day of the month, a month of the
    year, still open)."""
    profile = profile_for_fiscal_read(profile_id, request.user)
    if not manages_store(request.user, profile.store_id):
        raise Problem("forbidden", "Closing a fiscal period is for managers of the till's store.")
    closed = period_close(profile=profile, period=period_of(profile, body.period))
    return Status(201 if closed["created"] else 200, closed)


class ArchiveQuery(Schema):
    period: str = Field(
        description="a closed day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY)", max_length=10
    )


@router.get(
    "/profiles/{profile_id}/fiscal/archive",
    response={200: None, **problems(403, 404, 409, 422)},
    openapi_extra={
        "responses": {
            200: {
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}
            }
        }
    },
)
def fiscal_archive(
    request: HttpRequest, profile_id: int, query: Query[ArchiveQuery]
) -> HttpResponse:
    """The signed archive (ZIP) of a closed period of the till (managers of its store and
    accountants); making it is recorded in the till's journal. 409 ``period_open`` while
    the period is not closed."""
    profile = profile_for_fiscal_read(profile_id, request.user)
    name, content = archive_build(
        profile=profile, period=period_of(profile, query.period, where="query")
    )
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
