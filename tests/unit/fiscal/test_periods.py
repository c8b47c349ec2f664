"""The pure rule of the fiscal period closes (opentill.fiscal.periods): where a day, a month
and a year start and end in a time zone, which Zs a close sums, and what the verifier's
tracker refuses — figures worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from opentill.fiscal import canonical, periods, totals

BXL = "Europe/Brussels"


def test_a_day_runs_from_midnight_to_midnight_in_the_company_time_zone():
    day = periods.period("day", "2026-11-30", BXL)
    # Brussels is UTC+1 in winter: its day starts at 23:00 UTC the evening before.
    assert day.start == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert day.end == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert day.kind == "day_close"
    assert day.calendar() == {
        "span": "day",
        "name": "2026-11-30",
        "time_zone": BXL,
        "start": "2026-11-29T23:00:00.000000Z",
        "end": "2026-11-30T23:00:00.000000Z",
    }


def test_the_spring_forward_day_has_23_hours_and_a_month_and_a_year_their_bounds():
    spring = periods.period("day", "2026-03-29", BXL)
    assert (spring.end - spring.start).total_seconds() == 23 * 3600
    march = periods.period("month", "2026-03", BXL)
    assert march.start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert march.end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # summer time by then
    december = periods.period("month", "2026-12", "UTC")
    assert december.end == datetime(2027, 1, 1, tzinfo=UTC)
    year = periods.parse("2026", "Asia/Tokyo")
    assert (year.span, year.start) == ("year", datetime(2025, 12, 31, 15, 0, tzinfo=UTC))
    assert len(periods.days_of(periods.parse("2026-02", BXL))) == 28


def test_a_moment_belongs_to_the_local_day():
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 December in Brussels
    assert periods.containing("day", late, BXL).name == "2026-12-01"
    assert periods.containing("month", late, BXL).name == "2026-12"
    assert periods.containing("day", late, "UTC").name == "2026-11-30"


@pytest.mark.parametrize(
    ("span", "name"),
    [("day", "2026-02-30"), ("month", "2026-13"), ("day", "2026-11"), ("year", "26")],
)
def test_a_period_that_does_not_exist_is_refused(span, name):
    with pytest.raises(periods.PeriodError):
        periods.period(span, name, BXL)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(periods.PeriodError):
        periods.parse("2026-11-30", "Mars/Olympus")


def _z_totals(total: str, tax: str) -> dict[str, Any]:
    """A Z's period totals of one 10 % sale of ``total`` (tax ``tax``)."""
    net = str(Decimal(total) - Decimal(tax))
    return totals.period(
        [
            (
                "ticket",
                {
                    "rounding": "0.00",
                    "amount_due": total,
                    "sales": {"net": net, "tax": tax, "total": total},
                    "refunds": {"net": "0.00", "tax": "0.00", "total": "0.00"},
                    "taxes": [
                        {
                            "name": "VAT 10%",
                            "kind": "percent",
                            "rate": "10.0000",
                            "sales": {"base": net, "tax": tax},
                            "refunds": {"base": "0.00", "tax": "0.00"},
                        }
                    ],
                },
            )
        ],
        2,
    )


def _z(sequence: int, at: datetime, total: str, tax: str, before: Any) -> periods.ZSeen:
    period = _z_totals(total, tax)
    return periods.ZSeen(sequence, at, period, totals.perpetual(before, period, 2))


def _journal() -> list[periods.ZSeen]:
    """Three Zs: 11.00 on 29 Nov, 22.00 and 5.50 on 30 Nov (Brussels)."""
    z1 = _z(4, datetime(2026, 11, 29, 18, tzinfo=UTC), "11.00", "1.00", None)
    z2 = _z(9, datetime(2026, 11, 30, 12, tzinfo=UTC), "22.00", "2.00", z1.perpetual)
    z3 = _z(12, datetime(2026, 11, 30, 22, 30, tzinfo=UTC), "5.50", "0.50", z2.perpetual)
    return [z1, z2, z3]


def test_a_day_close_sums_its_zs_and_carries_the_perpetual_of_its_last_z():
    _z1, z2, z3 = _journal()
    day = periods.period("day", "2026-11-30", BXL)
    body = periods.close_body(day, [z3, z2], [], before_end=z3, places=2, store={"id": 1})
    assert body["zs"] == [9, 12]
    assert body["period"]["count"] == {"tickets": 2, "refunds": 0}
    assert body["period"]["real"] == {"net": "25.00", "tax": "2.50", "total": "27.50"}
    assert body["period"]["taxes"][0]["real"] == {"base": "25.00", "tax": "2.50"}
    assert body["perpetual"]["real"]["total"] == "38.50"  # 11.00 + 22.00 + 5.50
    assert body["closes"] == []


def _data(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "kind": kind, "currency": "EUR"}


def _tracker_with(zs: list[periods.ZSeen]) -> periods.Tracker:
    tracker = periods.Tracker()
    for z in zs:
        data = {"created_at": canonical.time(z.created_at), "period": z.period}
        assert tracker.see("z", z.sequence, {**data, "perpetual": z.perpetual}, "s") is None
    return tracker


def test_the_tracker_accepts_a_right_close_and_refuses_a_wrong_one():
    z1, z2, z3 = _journal()
    day = periods.period("day", "2026-11-30", BXL)
    right = periods.close_body(day, [z2, z3], [], before_end=z3, places=2, store={})
    tracker = _tracker_with([z1, z2, z3])
    assert tracker.see("day_close", 13, _data("day_close", right), "sig13") is None
    again = tracker.see("day_close", 14, _data("day_close", right), "sig14")
    assert again is not None and "closed before" in again

    short = periods.close_body(day, [z2], [], before_end=z3, places=2, store={})
    reason = _tracker_with([z1, z2, z3]).see("day_close", 13, _data("day_close", short), "s")
    assert reason is not None and "[9, 12] are dated in 2026-11-30" in reason

    wrong = dict(right, period=_z_totals("27.60", "2.50"))
    reason = _tracker_with([z1, z2, z3]).see("day_close", 13, _data("day_close", wrong), "s")
    assert reason is not None and "recomputed 27.50" in reason

    early = periods.close_body(day, [z2, z3], [], before_end=z2, places=2, store={})
    reason = _tracker_with([z1, z2, z3]).see("day_close", 13, _data("day_close", early), "s")
    assert reason is not None and "perpetual" in reason


def test_a_month_needs_its_days_closed_and_lists_them():
    z1, z2, z3 = _journal()
    month = periods.period("month", "2026-11", BXL)
    assert periods.missing_below(month, [z1, z2, z3], []) == ["2026-11-29", "2026-11-30"]
    tracker = _tracker_with([z1, z2, z3])
    early = periods.close_body(month, [z1, z2, z3], [], before_end=z3, places=2, store={})
    reason = tracker.see("month_close", 13, _data("month_close", early), "s")
    assert reason is not None and "2026-11-29, 2026-11-30 of 2026-11" in reason

    tracker = _tracker_with([z1, z2, z3])
    below = []
    for sequence, (name, zs) in enumerate(
        [("2026-11-29", [z1]), ("2026-11-30", [z2, z3])], start=13
    ):
        day = periods.period("day", name, BXL)
        body = periods.close_body(day, zs, [], before_end=zs[-1], places=2, store={})
        assert (
            tracker.see("day_close", sequence, _data("day_close", body), f"sig{sequence}") is None
        )
        below.append(
            periods.CloseSeen(sequence, "day_close", name, day.start, day.end, f"sig{sequence}")
        )
    body = periods.close_body(month, [z1, z2, z3], below, before_end=z3, places=2, store={})
    assert body["period"]["real"]["total"] == "38.50"
    assert [c["name"] for c in body["closes"]] == ["2026-11-29", "2026-11-30"]
    assert tracker.see("month_close", 15, _data("month_close", body), "sig15") is None


def test_a_z_dated_in_a_closed_period_is_refused():
    z1, z2, z3 = _journal()
    tracker = _tracker_with([z1, z2])
    day = periods.period("day", "2026-11-30", BXL)
    body = periods.close_body(day, [z2], [], before_end=z2, places=2, store={})
    assert tracker.see("day_close", 10, _data("day_close", body), "s") is None
    data = {"created_at": canonical.time(z3.created_at), "period": z3.period}
    reason = tracker.see("z", 12, {**data, "perpetual": z3.perpetual}, "s")
    assert reason is not None and "a Z was added to a closed period" in reason


def test_a_close_whose_calendar_lies_is_refused():
    z1, z2, z3 = _journal()
    day = periods.period("day", "2026-11-30", BXL)
    body = periods.close_body(day, [z2, z3], [], before_end=z3, places=2, store={})
    body["calendar"] = dict(body["calendar"], end="2026-12-01T23:00:00.000000Z")
    reason = _tracker_with([z1, z2, z3]).see("day_close", 13, _data("day_close", body), "s")
    assert reason is not None and "calendar" in reason
    as_month = _tracker_with([z1, z2, z3]).see(
        "month_close", 13, _data("month_close", dict(body, calendar=day.calendar())), "s"
    )
    assert as_month == "a month_close of a day"


# --- property: the closes add up -----------------------------------------------------------

_START = datetime(2026, 12, 20, tzinfo=UTC)


@hsettings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=40 * 24 * 60),  # minutes after 20 Dec 2026
            st.integers(min_value=-5000, max_value=20000),  # the Z's total in cents
        ),
        min_size=1,
        max_size=25,
    ),
    st.sampled_from(["Europe/Brussels", "UTC", "Pacific/Auckland", "America/New_York"]),
)
def test_day_month_and_year_closes_add_up_to_their_zs(zs_in, time_zone):
    """Zs at random times over a new year, closed as the worker does (days, then months,
    then years): the tracker accepts every close, each month is the sum of its days, each
    year of its months, and every figure is the sum of the Zs' own."""
    tracker, zs, perpetual = periods.Tracker(), [], None
    for sequence, (minutes, cents) in enumerate(sorted(zs_in), start=1):
        total = Decimal(cents).scaleb(-2)
        tax = (total / 11).quantize(Decimal("0.01"))
        at = _START + timedelta(minutes=minutes)
        z = _z(sequence, at, f"{total:.2f}", f"{tax:.2f}", perpetual)
        perpetual = z.perpetual
        data = {"created_at": canonical.time(at), "period": z.period, "perpetual": z.perpetual}
        assert tracker.see("z", sequence, data, f"s{sequence}") is None
        zs.append(z)
    sequence = len(zs)
    made: dict[str, list[tuple[periods.CloseSeen, dict[str, Any]]]] = {}
    for span, below in (("day", None), ("month", "day"), ("year", "month")):
        names = sorted({periods.containing(span, z.created_at, time_zone).name for z in zs})
        for name in names:
            p = periods.period(span, name, time_zone)
            inside = [z for z in zs if p.holds(z.created_at)]
            covered = [c for c, _ in made.get(below or "", []) if p.start <= c.start < p.end]
            last = max((z for z in zs if z.created_at < p.end), key=lambda z: z.sequence)
            body = periods.close_body(p, inside, covered, before_end=last, places=2, store={})
            sequence += 1
            reason = tracker.see(p.kind, sequence, _data(p.kind, body), f"s{sequence}")
            assert reason is None, reason
            seen = periods.CloseSeen(sequence, p.kind, p.name, p.start, p.end, f"s{sequence}")
            made.setdefault(span, []).append((seen, body))
            expected = sum((Decimal(z.period["real"]["total"]) for z in inside), Decimal(0))
            assert Decimal(body["period"]["real"]["total"]) == expected
            if below:
                parts = [b for c, b in made[below] if p.start <= c.start < p.end]
                assert body["period"] == periods.summed([b["period"] for b in parts], 2)
                assert body["perpetual"] == parts[-1]["perpetual"]
    everything = sum((Decimal(z.period["real"]["total"]) for z in zs), Decimal(0))
    years = sum((Decimal(b["period"]["real"]["total"]) for _, b in made["year"]), Decimal(0))
    assert years == everything == Decimal(zs[-1].perpetual["real"]["total"])
