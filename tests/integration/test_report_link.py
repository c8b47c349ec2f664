"""The signed report link: GET /api/v1/sessions/{id}/report-link gives a URL that opens
the X/Z report without authentication for 10 minutes (a terminal's browser window has the
bearer token of the page, not a cookie). Tampered or expired links are refused with 403;
the link only ever shows what its user may read."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import order
from tests.integration.helpers import open_session, sync


@pytest.fixture
def session(api_as: Any, shop: dict[str, Any]) -> dict[str, Any]:
    """Alice's open session on Till 2 with one cash sale of 2 espressos (4.40)."""
    alice = api_as("alice")
    opened = open_session(alice, shop["till2"].pk)
    results = sync(
        alice, opened["id"], order([(shop["espresso"].pk, "2")], [(shop["cash2"].pk, "4.40")])
    )
    assert results[0]["status"] == "created", results
    return opened


def link_for(api: Any, session_id: int, **params: str) -> str:
    response = api.get(f"/sessions/{session_id}/report-link", **params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["expires_in"] == 600
    url: str = body["url"]
    assert url.startswith("/reports/s/"), url
    return url


def at(monkeypatch: pytest.MonkeyPatch, seconds_from_now: float) -> None:
    """Move the clock that signing (and the view) read by ``seconds_from_now``."""
    moved = time.time() + seconds_from_now
    monkeypatch.setattr(time, "time", lambda: moved)


def test_a_valid_link_renders_the_report_without_signing_in(
    api_as: Any, session: dict[str, Any]
) -> None:
    alice = api_as("alice")
    url = link_for(alice, session["id"], format="html", paper="80")
    anonymous = Client()
    page = anonymous.get(url)
    assert page.status_code == 200, page.content
    assert page["Content-Type"].startswith("text/html")
    assert "no-cache" in page["Cache-Control"] or "no-store" in page["Cache-Control"]
    html = page.content.decode()
    # The same page as the API renders for this format and paper (its links aside).
    same = alice.get(f"/sessions/{session['id']}/report", format="html", paper="80")
    strip = re.compile(r'<nav class="toolbar">.*?</nav>', re.S)
    assert strip.sub("", html) == strip.sub("", same.content.decode())
    assert "<title>X report" in html and 'class="paper-80 roll"' in html
    assert "4.40" in html
    # The page's links to other papers and formats are signed links too, and open.
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', html)
    assert {label for _, label in links} == {"A4", "80 mm", "58 mm", "PDF", "Text"}
    assert all(href.startswith("/reports/s/") for href, _ in links), links
    pdf = anonymous.get(dict((label, href) for href, label in links)["PDF"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("format", "paper", "content_type"),
    [
        ("json", None, "application/json"),
        ("text", "58", "text/plain; charset=utf-8"),
        ("escpos", "80", "application/octet-stream"),
        ("html", "a4", "text/html; charset=utf-8"),
    ],
)
def test_each_format_renders_like_the_api(
    api_as: Any, session: dict[str, Any], format: str, paper: str | None, content_type: str
) -> None:
    alice = api_as("alice")
    params = {"format": format, **({"paper": paper} if paper else {})}
    page = Client().get(link_for(alice, session["id"], **params))
    assert page.status_code == 200, page.content
    assert page["Content-Type"] == content_type
    same = alice.get(f"/sessions/{session['id']}/report", **params)
    assert page.get("Content-Disposition") == same.get("Content-Disposition")
    if format == "json":  # the same figures (made a moment apart)
        ours, theirs = page.json(), same.json()
        assert ours.pop("generated_at") and theirs.pop("generated_at")
        assert ours == theirs
    else:
        assert b"4.40" in page.content


def test_a_closed_session_links_to_its_z_report(
    api_as: Any, shop: dict[str, Any], session: dict[str, Any]
) -> None:
    alice = api_as("alice")
    closed = alice.post(
        f"/sessions/{session['id']}/close",
        {"counts": [{"payment_method": shop["cash2"].pk, "counted": "4.40"}]},
    )
    assert closed.json()["state"] == "closed", closed.content
    page = Client().get(link_for(alice, session["id"]))
    assert page.status_code == 200
    assert "<title>Z report" in page.content.decode()


def test_a_tampered_link_is_refused(api_as: Any, session: dict[str, Any]) -> None:
    url = link_for(api_as("alice"), session["id"], format="html")
    token = url.removeprefix("/reports/s/")
    payload, stamp, signature = token.rsplit(":", 2)
    forged = [
        f"{payload}:{stamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        f"{payload[:-2]}:{stamp}:{signature}",
        f"{payload}:{stamp}",
        "not-a-token",
    ]
    client = Client()
    for bad in forged:
        page = client.get(f"/reports/s/{bad}")
        assert page.status_code == 403, (bad, page.content)
        assert "not valid" in page.content.decode()
    problem = client.get(f"/reports/s/{forged[0]}", HTTP_ACCEPT="application/json")
    assert problem.status_code == 403
    assert problem["Content-Type"] == "application/problem+json"
    assert problem.json()["code"] == "forbidden"


def test_a_token_for_another_session_cannot_be_made_without_the_key(
    api_as: Any, session: dict[str, Any]
) -> None:
    """The payload is only base64: swapping the session id breaks the signature."""
    import base64
    import json

    token = link_for(api_as("alice"), session["id"]).removeprefix("/reports/s/")
    payload, stamp, signature = token.rsplit(":", 2)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert data["s"] == session["id"]
    data["s"] += 1
    swapped = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
    page = Client().get(f"/reports/s/{swapped.decode().rstrip('=')}:{stamp}:{signature}")
    assert page.status_code == 403


def test_an_expired_link_is_refused(
    api_as: Any, session: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = api_as("alice")
    url = link_for(alice, session["id"], format="html", paper="80")
    client = Client()
    at(monkeypatch, 9 * 60)
    page = client.get(url)
    assert page.status_code == 200
    # A link on that page, signed just now, still ends with the link it came from.
    text_link = re.search(r'<a href="([^"]+)">Text</a>', page.content.decode())
    assert text_link
    at(monkeypatch, 10 * 60 + 5)
    for expired in (url, text_link.group(1)):
        refused = client.get(expired)
        assert refused.status_code == 403, expired
        assert "expired" in refused.content.decode()


def test_a_cashier_gets_no_link_to_another_cashiers_session(
    api_as: Any, session: dict[str, Any]
) -> None:
    refused = api_as("bob").get(f"/sessions/{session['id']}/report-link", format="html")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "not_session_owner"
    # A manager and an accountant may read it, so they get a link.
    for reader in ("manager", "accountant"):
        assert Client().get(link_for(api_as(reader), session["id"])).status_code == 200


def test_a_link_stops_working_when_its_user_may_no_longer_read(
    api_as: Any, session: dict[str, Any]
) -> None:
    url = link_for(api_as("alice"), session["id"])
    User.objects.filter(username="alice").update(is_active=False)
    page = Client().get(url)
    assert page.status_code == 403
    assert "no longer" in page.content.decode()


def test_bad_requests_for_a_link(api_as: Any, session: dict[str, Any]) -> None:
    alice = api_as("alice")
    sid = session["id"]
    assert alice.get(f"/sessions/{sid}/report-link", format="docx").status_code == 422
    assert alice.get(f"/sessions/{sid}/report-link", paper="a3").status_code == 422
    escpos_a4 = alice.get(f"/sessions/{sid}/report-link", format="escpos", paper="a4")
    assert escpos_a4.status_code == 422
    assert alice.get("/sessions/999999/report-link").status_code == 404
    assert Client().get(f"/api/v1/sessions/{sid}/report-link").status_code == 401
    # The link page is read-only.
    url = link_for(alice, sid)
    assert Client().post(url).status_code == 405
