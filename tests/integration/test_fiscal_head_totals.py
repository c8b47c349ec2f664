"""The grand totals a till's head keeps running (issue #16): each append adds its tickets and
refunds there, a Z reads them in O(1) instead of reading its session's records back, and the
verifier recomputes them from the records, so a head whose totals were changed is found."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from opentill.common import protection
from opentill.fiscal import totals
from opentill.fiscal.models import FiscalHead, FiscalRecord
from opentill.fiscal.totals import EMPTY_HEAD, head_of
from tests.conftest import api_for, order
from tests.integration.closing_helpers import close, count, start_till1
from tests.integration.fiscal_helpers import records, verify_till1
from tests.integration.helpers import sync

D = Decimal


@pytest.fixture
def key_file(tmp_path: Path, settings: Any) -> Path:
    settings.OPENTILL_FISCAL_KEY = str(tmp_path / "fiscal_key.pem")
    return tmp_path / "fiscal_key.pem"


def head() -> dict[str, Any]:
    return json.loads(FiscalHead.objects.get(profile__code="TILL1").totals)


def recomputed() -> dict[str, Any]:
    return head_of(
        [(r.kind, r.session_id, json.loads(r.data)) for r in records()],
        2,
    )


def test_the_head_keeps_each_open_sessions_period_and_the_last_perpetual(shop, key_file):
    alice = api_for("alice")
    cash, card = shop["cash1"].pk, shop["card1"].pk
    e, m = shop["espresso"].pk, shop["mug"].pk
    sid = start_till1(alice, shop)["id"]

    # Espresso 2.20 and mug 9.90, both with their VAT included (6 % and 21 %):
    #   2 × espresso 4.40: tax 4.40 × 6/106 = 0.249… → 0.25, net 4.15
    #   1 × mug 9.90: tax 9.90 × 21/121 = 1.718… → 1.72, net 8.18
    #   a refund of 1 espresso: −2.20, tax −0.12 (2.20 × 6/106 = 0.1245…), net −2.08
    sync(alice, sid, order([(e, "2"), (m, "1")], [(cash, "10.00"), (card, "4.30")]))
    sync(alice, sid, order([(e, "-1")], [(cash, "-2.20")]))
    running = head()["open"][str(sid)]
    assert running["count"] == {"tickets": 1, "refunds": 1}
    assert running["sales"] == {"net": "12.33", "tax": "1.97", "total": "14.30"}
    assert running["refunds"] == {"net": "-2.08", "tax": "-0.12", "total": "-2.20"}
    assert running["real"]["total"] == "12.10"
    assert running["absolute"]["total"] == "16.50"
    vat6 = next(t for t in running["taxes"] if t["rate"] == "6.0000")
    assert vat6["sales"] == {"base": "4.15", "tax": "0.25"}
    assert vat6["refunds"] == {"base": "-2.08", "tax": "-0.12"}
    assert head()["perpetual"] is None
    assert head() == recomputed()

    closed = close(alice, sid, count(shop["cash1"], "107.80"))
    assert closed.json()["state"] == "closed", closed.content
    z = json.loads(records()[-1].data)
    assert z["kind"] == "z"
    # The Z's totals are the head's (the verifier recomputes them from the records).
    assert z["period"] == running
    assert z["period"]["real"]["total"] == "12.10"
    assert head() == {"open": {}, "perpetual": z["perpetual"]}
    assert head() == recomputed()
    assert verify_till1().ok

    # The next session's tickets start a new period; the perpetual runs on at the next Z.
    s2 = start_till1(alice, shop)["id"]
    sync(alice, s2, order([(m, "1")], [(card, "9.90")]))
    assert head()["open"][str(s2)]["real"]["total"] == "9.90"
    assert head()["perpetual"]["real"]["total"] == "12.10"
    assert head() == recomputed()
    assert verify_till1().ok


def test_the_z_reads_no_ticket_record_back(shop, key_file):
    alice = api_for("alice")
    sid = start_till1(alice, shop)["id"]
    for _ in range(3):
        sync(alice, sid, order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")]))
    table = FiscalRecord._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        closed = close(alice, sid, count(shop["cash1"], "100.00"))
    assert closed.json()["state"] == "closed", closed.content
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if table in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT")
    ]
    # The close looks its voids up (none here) and reads no ticket's data.
    assert not any("'ticket'" in sql or "'refund'" in sql for sql in reads), reads
    assert json.loads(records()[-1].data)["period"]["count"] == {"tickets": 3, "refunds": 0}
    assert verify_till1().ok


def _set_totals(text: str) -> None:
    """Change the head's totals past the triggers (what the database refuses otherwise)."""
    with protection.maintenance():
        FiscalHead.objects.filter(profile__code="TILL1").update(totals=text)


def test_a_head_whose_totals_were_changed_is_found(shop, key_file):
    alice = api_for("alice")
    sid = start_till1(alice, shop)["id"]
    sync(alice, sid, order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")]))
    assert verify_till1().ok
    stored = head()

    # The database refuses to change them without moving the head forward.
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        FiscalHead.objects.filter(profile__code="TILL1").update(totals=EMPTY_HEAD)
    assert protection.is_refusal(refused.value)

    # One figure changed: 9.90 → 9.99.
    changed = json.loads(json.dumps(stored))
    changed["open"][str(sid)]["real"]["total"] = "9.99"
    _set_totals(totals.head_text(changed))
    result = verify_till1()
    assert not result.ok
    assert result.first_broken is not None
    assert result.first_broken.kind is None
    assert "head keeps grand totals that differ" in result.first_broken.reason
    assert "9.90" in result.first_broken.reason

    # The totals emptied, or not JSON: found too.
    _set_totals(EMPTY_HEAD)
    assert not verify_till1().ok
    _set_totals("not json")
    broken = verify_till1().first_broken
    assert broken is not None and "cannot be compared" in broken.reason

    # Put back, the journal verifies again.
    _set_totals(totals.head_text(stored))
    assert verify_till1().ok


def test_a_z_after_changed_head_totals_is_found_by_its_recomputed_totals(shop, key_file):
    # Whoever changes the head's totals before a close gets a Z the records contradict.
    alice = api_for("alice")
    sid = start_till1(alice, shop)["id"]
    sync(alice, sid, order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")]))
    changed = head()
    changed["open"][str(sid)]["sales"]["total"] = "99.90"
    _set_totals(totals.head_text(changed))
    closed = close(alice, sid, count(shop["cash1"], "100.00"))
    assert closed.json()["state"] == "closed", closed.content
    broken = verify_till1().first_broken
    assert broken is not None
    assert broken.kind == "z"
    assert "period totals differ" in broken.reason
