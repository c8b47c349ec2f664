"""Period closes of the fiscal journal (issue #13 item 4): a till's day, month and year as
signed records summing the journal's Zs, with the till's perpetual totals; refused before the
period ends or while a session of it is open; a month after its days; idempotent; written
by the worker's pass, the CLI and the API; checked by the verifier.

The company's time zone is set so that it is about noon there whenever the test runs: the
Zs of a test fall in one local day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opentill.cli import main
from opentill.common.problems import Problem
from opentill.common.worker import PERIODIC
from opentill.fiscal import periods
from opentill.fiscal.models import FiscalRecord
from opentill.fiscal.period_close import period_close, period_closes_run, till_time_zone
from opentill.pos.models import PosProfile
from opentill.stores.models import Company
from tests.conftest import api_for, order
from tests.integration.closing_helpers import start_till1
from tests.integration.fiscal_helpers import force_close, noon_zone, records, verify_till1
from tests.integration.helpers import sync


@pytest.fixture
def key_file(tmp_path: Path, settings: Any) -> Path:
    settings.OPENTILL_FISCAL_KEY = str(tmp_path / "fiscal_key.pem")
    return tmp_path / "fiscal_key.pem"


@pytest.fixture
def till(shop: dict[str, Any], key_file: Path) -> PosProfile:
    Company.objects.update(time_zone=noon_zone())
    return PosProfile.objects.select_related("store__company").get(code="TILL1")


def two_sessions(shop: dict[str, Any]) -> tuple[int, int]:
    """Two sessions of TILL1 today: 2 espressos and a mug sold, an espresso refunded (Z1);
    an espresso sold (Z2)."""
    alice, manager = api_for("alice"), api_for("manager")
    cash, card = shop["cash1"].pk, shop["card1"].pk
    e, m = shop["espresso"].pk, shop["mug"].pk
    s1 = start_till1(alice, shop)["id"]
    sync(
        alice,
        s1,
        order([(e, "2"), (m, "1")], [(cash, "10.00"), (card, "4.30")]),
        order([(e, "-1")], [(cash, "-2.20")]),
    )
    force_close(manager, s1)
    s2 = start_till1(manager, shop)["id"]
    sync(manager, s2, order([(e, "1")], [(cash, "2.20")]))
    force_close(manager, s2)
    return s1, s2


def today(till: PosProfile, span: str = "day") -> periods.Period:
    return periods.containing(span, datetime.now(UTC), till_time_zone(till))


def test_a_day_close_sums_the_days_zs_and_carries_the_perpetual(shop, till):
    two_sessions(shop)
    day = today(till)
    assert day.time_zone == noon_zone()  # the company's time zone decides the day
    closed = period_close(profile=till, period=day, now=day.end)
    assert closed == {"kind": "day_close", "period": day.name, "sequence": 8, "created": True}
    zs = [r for r in records() if r.kind == "z"]
    data = json.loads(records()[-1].data)
    assert data["kind"] == "day_close" and data["session"] is None
    assert data["calendar"] == day.calendar()
    assert data["zs"] == [z.sequence for z in zs]
    assert data["store"] == {"id": till.store_id, "name": till.store.name}
    totals = data["period"]
    # 14.30 + 2.20 sold, 2.20 refunded.
    assert totals["count"] == {"tickets": 2, "refunds": 1}
    assert totals["sales"] == {"net": "14.41", "tax": "2.09", "total": "16.50"}
    assert totals["refunds"] == {"net": "-2.08", "tax": "-0.12", "total": "-2.20"}
    assert totals["real"] == {"net": "12.33", "tax": "1.97", "total": "14.30"}
    assert totals["absolute"] == {"net": "16.49", "tax": "2.21", "total": "18.70"}
    vat21, vat6 = totals["taxes"]
    assert (vat21["name"], vat21["real"]) == ("VAT 21%", {"base": "8.18", "tax": "1.72"})
    assert vat6["sales"] == {"base": "6.23", "tax": "0.37"}
    assert vat6["refunds"] == {"base": "-2.08", "tax": "-0.12"}
    assert vat6["absolute"] == {"base": "8.31", "tax": "0.49"}
    assert data["perpetual"] == json.loads(zs[-1].data)["perpetual"]
    assert verify_till1().ok

    again = period_close(profile=till, period=day, now=day.end + timedelta(days=3))
    assert again == {"kind": "day_close", "period": day.name, "sequence": 8, "created": False}
    assert FiscalRecord.objects.filter(kind="day_close").count() == 1


def test_a_period_is_refused_before_its_end_and_while_a_session_of_it_is_open(shop, till):
    two_sessions(shop)
    day = today(till)
    with pytest.raises(Problem) as early:
        period_close(profile=till, period=day)
    assert early.value.code == "period_open" and "has not ended" in early.value.detail
    s3 = start_till1(api_for("manager"), shop)
    with pytest.raises(Problem) as busy:
        period_close(profile=till, period=day, now=day.end)
    assert busy.value.code == "period_open"
    assert busy.value.extra["sessions"] == [s3["name"]]
    assert not FiscalRecord.objects.filter(kind="day_close").exists()
    force_close(api_for("manager"), s3["id"])
    assert period_close(profile=till, period=day, now=day.end)["created"]


def test_a_month_needs_its_days_and_a_year_its_months(shop, till):
    two_sessions(shop)
    day, month, year = today(till), today(till, "month"), today(till, "year")
    with pytest.raises(Problem) as waiting:
        period_close(profile=till, period=month, now=month.end)
    assert (waiting.value.code, waiting.value.extra["missing"]) == (
        "periods_not_closed",
        [day.name],
    )
    period_close(profile=till, period=day, now=month.end)
    with pytest.raises(Problem) as months:
        period_close(profile=till, period=year, now=year.end)
    assert months.value.extra["missing"] == [month.name]
    period_close(profile=till, period=month, now=year.end)
    period_close(profile=till, period=year, now=year.end)
    closes = {r.kind: json.loads(r.data) for r in records() if r.kind.endswith("_close")}
    assert closes["month_close"]["closes"] == [
        {
            "sequence": 8,
            "name": day.name,
            "signature": records()[7].signature,
        }
    ]
    assert [c["name"] for c in closes["year_close"]["closes"]] == [month.name]
    for kind in ("month_close", "year_close"):
        assert closes[kind]["period"] == closes["day_close"]["period"]
        assert closes[kind]["perpetual"] == closes["day_close"]["perpetual"]
    assert closes["year_close"]["period"]["real"]["total"] == "14.30"
    assert verify_till1().ok


def test_the_worker_closes_what_is_due_once(shop, till):
    assert period_closes_run in PERIODIC
    two_sessions(shop)
    assert period_closes_run() == 0  # today has not ended
    year = today(till, "year")
    assert period_closes_run(now=year.end) == 3
    assert [r.kind for r in records()][-3:] == ["day_close", "month_close", "year_close"]
    assert period_closes_run(now=year.end + timedelta(days=40)) == 0
    assert verify_till1().ok


def test_a_z_dated_in_a_closed_day_is_found(shop, till):
    """A day closed early (a clock set ahead): the next Z of that day breaks the journal."""
    two_sessions(shop)
    day = today(till)
    period_close(profile=till, period=day, now=day.end)
    manager = api_for("manager")
    s3 = start_till1(manager, shop)["id"]
    force_close(manager, s3)
    broken = verify_till1().first_broken
    assert broken is not None and broken.kind == "z"
    assert "a Z was added to a closed period" in broken.reason


def test_a_close_with_wrong_totals_is_found_even_signed(shop, till):
    """Signed with the till's key, but its totals are not its Zs'."""
    from opentill.fiscal.services import till_journal

    two_sessions(shop)
    day = today(till)
    good = json.loads(
        json.dumps(
            {
                k: v
                for k, v in json.loads(records()[-1].data).items()
                if k in ("period", "perpetual")
            }
        )
    )
    z_seqs = [r.sequence for r in records() if r.kind == "z"]
    good["period"]["sales"]["total"] = "16.60"
    with till_journal(till) as journal:
        journal.append(
            "day_close",
            None,
            {
                "calendar": day.calendar(),
                "store": {},
                "zs": z_seqs,
                "closes": [],
                "period": good["period"],
                "perpetual": good["perpetual"],
            },
        )
    broken = verify_till1().first_broken
    assert broken is not None and (broken.sequence, broken.kind) == (8, "day_close")
    assert "period totals differ" in broken.reason


def test_a_range_of_days_verifies_its_closes_with_what_came_before(shop, till):
    from opentill.fiscal.selectors import till_verify

    two_sessions(shop)
    day = today(till)
    period_closes_run(now=today(till, "year").end)
    local = datetime.fromisoformat(day.name).date()
    # Only the closes' records are in the range of the next days (they were written now,
    # but the range is of the records' own days: today).
    result = till_verify(profile=till, start=local, end=local)
    assert result.ok and result.records == 10


def test_the_api_and_the_cli_close_a_period(shop, till, capsys):
    manager, alice = api_for("manager"), api_for("alice")
    two_sessions(shop)
    day = today(till)
    yesterday = (datetime.fromisoformat(day.name) - timedelta(days=1)).date().isoformat()
    url = f"/profiles/{till.pk}/fiscal/closes"
    early = manager.post(url, {"period": day.name})
    assert (early.status_code, early.json()["code"]) == (409, "period_open")
    created = manager.post(url, {"period": yesterday})
    assert created.status_code == 201, created.content
    assert created.json() == {
        "kind": "day_close",
        "period": yesterday,
        "sequence": 8,
        "created": True,
    }
    assert json.loads(records()[-1].data)["zs"] == []  # a day without a Z: zero totals
    assert json.loads(records()[-1].data)["period"]["real"]["total"] == "0.00"
    again = manager.post(url, {"period": yesterday})
    assert (again.status_code, again.json()["created"]) == (200, False)
    refused = alice.post(url, {"period": yesterday})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    bad = manager.post(url, {"period": "2026-13"})
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    waiting = manager.post(url, {"period": day.name[:7]})
    assert waiting.status_code == 409  # the month has not ended (nor its day)

    assert main(["fiscal", "close", "--till", "TILL1", "--day", yesterday]) == 0
    assert "was closed before (record 8, day_close)" in capsys.readouterr().out
    assert main(["fiscal", "close", "--till", "TILL1", "--day", day.name]) == 1
    assert "has not ended" in capsys.readouterr().err
    assert main(["fiscal", "close", "--till", "TILL1", "--month", "2026-14"]) == 2
    assert main(["fiscal", "close", "--till", "NOPE", "--day", yesterday]) == 2
    assert main(["fiscal", "close", "--due"]) == 0
    assert "0 period close(s) written" in capsys.readouterr().out
    assert verify_till1().ok


def test_a_stores_figures_are_the_sum_of_its_tills_closes(shop, till, capsys):
    from opentill.fiscal.period_close import store_period_report
    from tests.integration.helpers import open_session

    two_sessions(shop)
    manager = api_for("manager")
    till2 = PosProfile.objects.get(code="TILL2")
    assert till2.store_id == till.store_id
    s = open_session(manager, till2.pk, [{"payment_method": shop["cash2"].pk, "amount": "0.00"}])
    sync(manager, s["id"], order([(shop["mug"].pk, "2")], [(shop["card2"].pk, "19.80")]))
    force_close(manager, s["id"])
    day = today(till)
    period_close(profile=till, period=day, now=day.end)

    report = store_period_report(store_id=till.store_id, text=day.name)
    assert [t["till"] for t in report["tills"]] == ["TILL1"]
    assert report["not_closed"] == ["TILL2"]  # it holds a Z of the day, not closed yet
    assert report["totals"]["real"]["total"] == "14.30"
    assert (
        main(["fiscal", "store-report", "--store", str(till.store_id), "--period", day.name]) == 1
    )
    capsys.readouterr()

    period_close(profile=till2, period=day, now=day.end)
    report = store_period_report(store_id=till.store_id, text=day.name)
    assert [(t["till"], t["kind"]) for t in report["tills"]] == [
        ("TILL1", "day_close"),
        ("TILL2", "day_close"),
    ]
    assert report["not_closed"] == []
    closes = {r.profile.code: r for r in FiscalRecord.objects.filter(kind="day_close")}
    assert [t["signature"] for t in report["tills"]] == [
        closes["TILL1"].signature,
        closes["TILL2"].signature,
    ]
    assert report["totals"]["real"]["total"] == "34.10"  # 14.30 + 19.80
    assert report["totals"]["count"] == {"tickets": 3, "refunds": 1}
    assert (
        main(["fiscal", "store-report", "--store", str(till.store_id), "--period", day.name]) == 0
    )
    assert '"34.10"' in capsys.readouterr().out
