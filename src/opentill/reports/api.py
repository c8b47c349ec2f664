"""GET /api/v1/sessions/{id}/report: the X or Z report as JSON, HTML, PDF, plain text or
ESC/POS; GET …/report-link: a signed link to it that opens without authentication for a
few minutes (terminals sign in with a bearer token, which a browser window cannot send);
POST …/print and GET …/print-jobs: the profile's receipt printer."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Field, Query, Router, Schema

from opentill.common.problems import Problem
from opentill.common.schemas import problems
from opentill.identity.roles import may_see_reports
from opentill.pos.models import Session
from opentill.pos.selectors import session_for_read
from opentill.reports import printing
from opentill.reports.models import PrintJob
from opentill.reports.responses import (
    Paper,
    ReportFormat,
    bad_choice,
    check_format,
    export_response,
    report_response,
)
from opentill.reports.selectors import session_report

router = Router(tags=["reports"])

_TEXT = {"schema": {"type": "string"}}
_BYTES = {"schema": {"type": "string", "format": "binary"}}
# What each format answers, for the OpenAPI document.
_REPORT_MEDIA = {
    "responses": {
        200: {
            "content": {
                "text/html": _TEXT,
                "application/pdf": _BYTES,
                "text/plain": _TEXT,
                "application/octet-stream": _BYTES,
            }
        }
    }
}
_EXPORT_MEDIA = {
    "responses": {
        200: {
            "description": "the file, streamed",
            "content": {
                "text/csv": _TEXT,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _BYTES,
                "text/plain": _TEXT,
            },
        }
    }
}


@router.get(
    "/sessions/{session_id}/report",
    response={200: dict[str, Any], **problems(403, 404, 422)},
    openapi_extra=_REPORT_MEDIA,
)
def report(
    request: HttpRequest,
    session_id: int,
    format: ReportFormat = "json",
    paper: Paper | None = None,
) -> Any:
    """X report while open, Z report once closed. ``paper``: ``a4`` (default), ``80`` or
    ``58`` mm for HTML and text; ``80`` or ``58`` for ESC/POS (default: the profile's)."""
    check_format(format, paper)
    session = session_for_read(session_id, request.user)
    if format == "json":
        return session_report(session=session, user=request.user)
    return report_response(session, request.user, format=format, paper=paper)


class ReportLinkOut(Schema):
    url: str
    expires_in: int = Field(..., description="seconds the link stays valid")


@router.get(
    "/sessions/{session_id}/report-link",
    response={200: ReportLinkOut, **problems(403, 404, 422)},
)
def report_link(
    request: HttpRequest,
    session_id: int,
    format: ReportFormat = "html",
    paper: Paper | None = None,
) -> dict[str, Any]:
    """A link to the report (``format`` and ``paper`` as for …/report) that opens without
    authentication, as the requesting user sees it, for 10 minutes: for a browser window
    of a terminal that signs in with a bearer token. Same permission as the report."""
    from opentill.reports.links import REPORT_LINK_MAX_AGE, report_link_url

    check_format(format, paper)
    session = session_for_read(session_id, request.user)
    user_id = request.user.pk
    assert user_id is not None  # the API authenticates every request
    url = report_link_url(session_id=session.pk, format=format, paper=paper, user_id=user_id)
    return {"url": url, "expires_in": REPORT_LINK_MAX_AGE}


@router.post(
    "/sessions/{session_id}/print", response={200: dict[str, Any], **problems(403, 404, 409, 422)}
)
def print_report(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """Print the X/Z report on the profile's receipt printer now (the Print button). The
    answer is the print job: ``status`` ``sent`` or ``failed`` with its ``error``."""
    session: Session = session_for_read(session_id, request.user)
    if not printing.printer_configured(session.profile):
        raise Problem(
            "invalid_state", f"The profile {session.profile.name!r} has no receipt printer."
        )
    job = printing.print_session(session=session, user=request.user)
    return printing.print_job_out(job)


@router.get(
    "/sessions/{session_id}/print-jobs",
    response={200: list[dict[str, Any]], **problems(403, 404, 422)},
)
def print_jobs(request: HttpRequest, session_id: int) -> list[dict[str, Any]]:
    """The session's print jobs, newest first: automatic on close and from Print buttons."""
    session = session_for_read(session_id, request.user)
    return [printing.print_job_out(j) for j in PrintJob.objects.filter(session=session)[:50]]


class ExportQuery(Schema):
    start: date = Field(..., alias="from", description="first day, YYYY-MM-DD")
    end: date = Field(..., alias="to", description="last day (inclusive), YYYY-MM-DD")
    format: Literal["csv", "xlsx", "beancount"] = Field(
        "csv", description="csv, xlsx or (journal only) beancount"
    )


@router.get(
    "/exports/{dataset}",
    response={200: None, **problems(403, 404, 422)},
    openapi_extra=_EXPORT_MEDIA,
)
def export(request: HttpRequest, dataset: str, query: Query[ExportQuery]) -> HttpResponseBase:
    """Managers and accountants: ``sessions``, ``orders``, ``payments`` or ``journal`` of the
    days ``from``–``to`` (inclusive) as ``csv``, ``xlsx`` or (journal) ``beancount``,
    streamed. Managers listed on stores get those stores' records."""
    from opentill.reports import exports
    from opentill.stores.access import visible_store_ids

    if not may_see_reports(request.user):
        raise Problem("forbidden", "Exports are for managers and accountants.")
    if dataset not in exports.DATASETS:
        raise Problem(
            "not_found", f"No export {dataset!r}; use one of: {', '.join(exports.DATASETS)}."
        )
    start, end, format = query.start, query.end, query.format
    if format not in exports.FORMATS or (format == "beancount" and dataset != "journal"):
        allowed = exports.FORMATS if dataset == "journal" else ("csv", "xlsx")
        raise bad_choice("format", format, allowed)
    try:
        data = exports.dataset(dataset, start, end, store_ids=visible_store_ids(request.user))
    except exports.ExportError as exc:
        raise Problem(
            "validation_error", str(exc), errors=[{"loc": ["query", "to"], "msg": str(exc)}]
        ) from None
    return export_response(data, format, exports.export_filename(dataset, format, start, end))


# --- a ticket's receipt (reports/receipt.py) ---------------------------------------------------


def _order_for_read(order_uuid: str, user: Any) -> Any:
    import uuid as uuidlib

    from opentill.orders.models import Order

    try:
        key = uuidlib.UUID(order_uuid)
    except ValueError:
        raise Problem("not_found", f"No order {order_uuid!r}.") from None
    order = (
        Order.objects.select_related("session__profile__store__company", "user")
        .filter(uuid=key)
        .first()
    )
    if order is None:
        raise Problem("not_found", f"No order {order_uuid!r}.")
    session_for_read(order.session_id, user)
    return order


class ProofOut(Schema):
    number: str | None = Field(description="the ticket number, TILL1-000123")
    signed: bool = Field(description="false while the ticket has no record in the journal")
    sequence: int | None = Field(description="the record's place in its till's journal")
    kind: str | None = Field(description="ticket, refund or training")
    key_id: str | None
    excerpt: str | None = Field(description="the signature's first 16 characters")
    qr: str | None = Field(description="the QR code's text (docs/fiscal.md)")
    qr_svg: str | None = Field(description="the QR code as an SVG element")
    training: bool


@router.get(
    "/orders/{order_uuid}/proof",
    response={200: ProofOut, **problems(403, 404, 422)},
    tags=["fiscal"],
)
def order_proof(request: HttpRequest, order_uuid: str) -> dict[str, Any]:
    """The fiscal proof of a ticket for the receipt shown at the sale (the terminal asks
    once its sync answered): not a reprint. ``signed`` is false until the ticket's record
    exists."""
    from opentill.reports.receipt import qr_svg, receipt_data

    order = _order_for_read(order_uuid, request.user)
    data = receipt_data(order)
    proof = data["proof"]
    return {
        "number": order.number,
        "signed": proof is not None,
        "sequence": proof["sequence"] if proof else None,
        "kind": proof["kind"] if proof else None,
        "key_id": proof["key_id"] if proof else None,
        "excerpt": proof["excerpt"] if proof else None,
        "qr": proof["qr"] if proof else None,
        "qr_svg": qr_svg(proof["qr"]) if proof else None,
        "training": data["training"],
    }


@router.get(
    "/orders/{order_uuid}/receipt",
    response={200: dict[str, Any], **problems(403, 404, 422)},
    openapi_extra=_REPORT_MEDIA,
)
def order_receipt(
    request: HttpRequest,
    order_uuid: str,
    format: ReportFormat = "json",
    paper: Literal["80", "58"] | None = None,
) -> Any:
    """A ticket's receipt asked for again (screen: ``json``, or ``html``, ``pdf``, ``text``,
    ``escpos``; ``paper`` 80 or 58 mm): a ``reprint`` record in the till's journal, and the
    receipt says REPRINT."""
    from django.http import HttpResponse

    from opentill.reports.receipt import FORMATS, receipt_reprint, render_receipt

    if format not in FORMATS:
        raise bad_choice("format", format, FORMATS)
    order = _order_for_read(order_uuid, request.user)
    data = receipt_reprint(
        order=order, user=request.user, format="screen" if format == "json" else format
    )
    if format == "json":
        return data
    rendered = render_receipt(data, format=format, paper=paper)
    response = HttpResponse(rendered.body, content_type=rendered.content_type)
    if rendered.filename:
        disposition = "inline" if format == "pdf" else "attachment"
        response["Content-Disposition"] = f'{disposition}; filename="{rendered.filename}"'
    return response


@router.post(
    "/orders/{order_uuid}/receipt/print",
    response={202: dict[str, Any], **problems(403, 404, 409, 422)},
)
def order_receipt_print(request: HttpRequest, order_uuid: str) -> Any:
    """Queue the ticket's receipt for its till's printer (the durable print queue). The
    first print is the original; a later one is a reprint (``reprint`` record, REPRINT).
    The answer is the queued print job."""
    from ninja import Status

    from opentill.reports.receipt_print import receipt_print

    order = _order_for_read(order_uuid, request.user)
    profile = order.session.profile
    if not printing.printer_configured(profile):
        raise Problem("invalid_state", f"The profile {profile.name!r} has no receipt printer.")
    job = receipt_print(order=order, user=request.user)
    return Status(
        202, {**printing.print_job_out(job), "order": str(order.uuid), "reprint": job.reprint}
    )
