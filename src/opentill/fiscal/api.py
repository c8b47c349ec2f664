"""The fiscal journal over HTTP: a till's records, their verification, the public keys
(managers and accountants)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from opentill.common.problems import Problem
from opentill.common.schemas import problems
from opentill.fiscal.selectors import (
    profile_for_fiscal_read,
    public_keys_list,
    records_list,
    till_verify,
)
from opentill.identity.roles import may_see_reports

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
