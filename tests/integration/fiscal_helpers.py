"""Helpers of the fiscal journal's tests: a till's journal with every kind of record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opentill.fiscal.models import FiscalRecord
from opentill.fiscal.selectors import till_verify
from opentill.fiscal.services import key_rotate
from opentill.pos.models import PosProfile
from tests.conftest import api_for, order
from tests.integration.closing_helpers import close, count, start_till1
from tests.integration.helpers import sync


def verify_till1() -> Any:
    return till_verify(profile=PosProfile.objects.get(code="TILL1"))


def records(code: str = "TILL1") -> list[FiscalRecord]:
    return list(FiscalRecord.objects.filter(profile__code=code).order_by("sequence"))


def force_close(api: Any, session_id: int, reason: str = "terminal crashed") -> None:
    response = api.post(f"/sessions/{session_id}/force-close", {"reason": reason})
    assert response.status_code == 200, response.content


def build_journal(shop: dict[str, Any], key_path: Path) -> dict[str, Any]:
    """TILL1's journal with every kind of record:
    1 ticket, 2 refund, 3 void, 4 z, 5 rescue, 6 ticket, 7 force_close, 8 z (rescue session),
    9 key_rotation, 10 ticket (new key), 11 force_close, 12 z; 13 device (registered) and
    14 device (daily_close) of a signing device (``device_events``); then the technical
    events and a training session (``technical_events``): 15 version, 16 settings,
    17 approval, 18 training, 19 reprint, 20 z (training session); then its periods
    closed and archived (``period_events``): 21 day_close, 22 month_close, 23 year_close,
    24 archive (of the month)."""
    alice, manager = api_for("alice"), api_for("manager")
    cash, card = shop["cash1"].pk, shop["card1"].pk
    e, m = shop["espresso"].pk, shop["mug"].pk
    s1 = start_till1(alice, shop)["id"]
    draft = order([(m, "1")], state="draft")
    results = sync(
        alice,
        s1,
        order([(e, "2"), (m, "1")], [(cash, "10.00"), (card, "4.30")]),
        order([(e, "-1")], [(cash, "-2.20")]),
        draft,
    )
    assert [r["status"] for r in results] == ["created"] * 3
    voided = alice.post(f"/orders/{draft['uuid']}/void", {"reason": "customer left"})
    assert voided.status_code == 200, voided.content
    closed = close(alice, s1, count(shop["cash1"], "107.80"))
    assert closed.json()["state"] == "closed", closed.content
    (late,) = sync(alice, s1, order([(m, "1")], [(card, "9.90")]))
    assert late["status"] == "rescued"
    force_close(manager, late["session"], "late tickets")
    key_rotate(path=key_path)
    s2 = start_till1(manager, shop)["id"]  # a manager opens whatever the drawer holds
    sync(manager, s2, order([(e, "1")], [(cash, "2.20")]))
    force_close(manager, s2)
    device_events(shop)
    sessions = {"s1": s1, "rescue": late["session"], "s2": s2, **technical_events(shop)}
    return {**sessions, **period_events(shop)}


def approval_token(api: Any, action: str, session_id: int) -> str:
    """The demo manager types their PIN on ``api``'s screen to approve ``action``."""
    response = api.post(
        "/auth/approvals",
        {"username": "manager", "pin": "1234", "action": action, "session": session_id},
    )
    assert response.status_code == 201, response.content
    return str(response.json()["approval"])


def technical_events(shop: dict[str, Any]) -> dict[str, Any]:
    """TILL1's technical records (fiscal/events.py) after its sessions: the version at
    migrate, a price change in the back office, a training session opened with a manager's
    approval of its opening difference, a training ticket, its receipt asked again, its Z."""
    from opentill.catalog.models import Product
    from opentill.fiscal.events import version_record

    alice = api_for("alice")
    assert version_record(version="0.1.0+journal") == 1  # only TILL1 has records
    espresso = Product.objects.get(pk=shop["espresso"].pk)
    espresso.price = espresso.price + 1
    espresso.save()
    created = alice.post(f"/profiles/{shop['till1'].pk}/sessions", {"training": True})
    assert created.status_code == 201, created.content
    training = created.json()["id"]
    opened = alice.client.post(
        f"/api/v1/sessions/{training}/open",
        json.dumps({"counts": [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {alice.token}",
        HTTP_X_OPENTILL_APPROVAL=approval_token(alice, "opening_difference", training),
    )
    assert opened.status_code == 200, opened.content
    ticket = order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")])
    sync(alice, training, ticket)
    assert alice.get(f"/orders/{ticket['uuid']}/receipt").status_code == 200
    # The drawer's real float (a training session's opening difference and sales move no
    # cash): nothing to approve at the close.
    closed = close(alice, training, count(shop["cash1"], "100.00"))
    assert closed.json()["state"] == "closed", closed.content
    return {"training": training}


def device_events(shop: dict[str, Any]) -> None:
    """TILL1 given the software signer for a while: its registration and the device's daily
    close, two ``device`` records (fiscal/devices); then no device again."""
    from django.utils import timezone

    from opentill.fiscal.devices.models import FiscalDevice
    from opentill.fiscal.devices.services import till_device_assign, till_device_daily_close

    till1 = shop["till1"]
    device = FiscalDevice.objects.create(name="journal", driver=FiscalDevice.Driver.SOFTWARE)
    till_device_assign(profile=till1, device=device)
    till_device_daily_close(profile=till1, day=timezone.localdate().isoformat())
    till_device_assign(profile=till1, device=None)


def noon_zone() -> str:
    """A fixed-offset zone where it is between 10:00 and 14:00 now: the records written now
    fall in one local day whenever a test runs."""
    from datetime import UTC, datetime

    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12  # -12 … 11
    # Etc/GMT-3 is UTC+3 (POSIX signs).
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def period_events(shop: dict[str, Any]) -> dict[str, Any]:
    """TILL1's day, month and year closed (as the worker does once the year has ended, the
    company's time zone set so that its records fall in one day), then the month's archive:
    day_close, month_close, year_close and archive records (fiscal/period_close.py,
    fiscal/archive.py)."""
    from datetime import UTC, datetime

    from opentill.fiscal import periods
    from opentill.fiscal.archive import archive_build
    from opentill.fiscal.period_close import period_closes_run
    from opentill.stores.models import Company

    Company.objects.update(time_zone=noon_zone())
    till1 = PosProfile.objects.select_related("store__company").get(pk=shop["till1"].pk)
    month = periods.containing("month", datetime.now(UTC), noon_zone())
    year = periods.containing("year", month.start, month.time_zone)
    assert period_closes_run(now=year.end) == 3
    archive_build(profile=till1, period=month)
    return {"month": month.name}
