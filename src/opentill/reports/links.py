"""The signed report link (``/reports/s/<token>``): a terminal, signed in with a bearer
token a browser window cannot send, opens its report there for a few minutes."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from opentill.common.problems import Problem, problem_document
from opentill.pos.selectors import session_for_read
from opentill.reports.responses import check_format, report_response

REPORT_LINK_SALT = "opentill.reports.link"
REPORT_LINK_MAX_AGE = 600  # seconds


def report_link_url(
    *, session_id: int, format: str, paper: str | None, user_id: int, issued: int | None = None
) -> str:
    """``/reports/s/<token>``: the report of the session in ``format`` and ``paper`` as the
    user sees it, for REPORT_LINK_MAX_AGE seconds from ``issued`` (default: now). The
    token is signed (TimestampSigner, via ``signing.dumps``) with the secret key."""
    payload = {
        "s": session_id,
        "f": format,
        "p": paper,
        "u": user_id,
        "t": int(time.time()) if issued is None else issued,
    }
    token = signing.dumps(payload, salt=REPORT_LINK_SALT)
    return reverse("report-link", args=[token])


def _link_refused(request: HttpRequest, detail: str) -> HttpResponse:
    """403: a short page for a browser, a problem document for a client that wants JSON."""
    if "json" in request.headers.get("Accept", ""):
        body = problem_document("forbidden", detail)
        return JsonResponse(body, status=403, content_type="application/problem+json")
    page = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Report link refused</title>'
        f'<p style="font-family:sans-serif">{escape(detail)}</p></html>'
    )
    return HttpResponse(page, status=403, content_type="text/html; charset=utf-8")


@require_safe
@never_cache
@xframe_options_sameorigin
def report_link_view(request: HttpRequest, token: str) -> HttpResponse:
    """The report behind a signed link, rendered exactly like GET …/report: no sign-in, but
    the signature, its age and the user's permission to read the session are checked."""
    expired = "This report link has expired: open the report again from the terminal."
    try:
        payload = signing.loads(token, salt=REPORT_LINK_SALT, max_age=REPORT_LINK_MAX_AGE)
        session_id, format, paper, user_id, issued = (
            payload["s"],
            payload["f"],
            payload["p"],
            payload["u"],
            payload["t"],
        )
        check_format(format, paper)
    except signing.SignatureExpired:
        return _link_refused(request, expired)
    except (signing.BadSignature, ValueError, TypeError, KeyError, Problem):
        return _link_refused(request, "This report link is not valid.")
    # Links on the page to other formats are signed anew; they expire with this one.
    if not isinstance(issued, int) or time.time() - issued > REPORT_LINK_MAX_AGE:
        return _link_refused(request, expired)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    try:
        if user is None:
            raise Problem("forbidden", "unknown or inactive user")
        session = session_for_read(session_id, user)
    except Problem:
        return _link_refused(request, "This report link no longer gives access to the report.")

    def link(other_format: str, other_paper: str | None) -> str:
        return report_link_url(
            session_id=session.pk,
            format=other_format,
            paper=other_paper,
            user_id=user.pk,
            issued=issued,
        )

    response = report_response(session, user, format=format, paper=paper, link=link)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
