"""Back-office dashboard figures: cash differences per cashier and per profile, sales per
day, sessions per state, each as an SVG chart with its table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from opentill.money import ZERO, fmt
from opentill.orders.models import Order
from opentill.orders.selectors import SOLD_STATES
from opentill.pos.models import Session, SessionCount
from opentill.reports import charts


@dataclass
class Panel:
    """A chart and the table beside it."""

    key: str
    title: str
    svg: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _label(day: date, start: date, end: date) -> str:
    return day.strftime("%m-%d") if start.year == end.year else day.isoformat()


def _scoped(qs: QuerySet[Any], path: str, store_ids: Iterable[int] | None) -> QuerySet[Any]:
    return qs if store_ids is None else qs.filter(**{f"{path}__in": list(store_ids)})


def _differences(
    start: date, end: date, by: str, title: str, key: str, store_ids: Iterable[int] | None
) -> Panel:
    """Closing differences summed per day (closing date) and per ``by`` (cashier/profile)."""
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    counts = SessionCount.objects.filter(
        stage=SessionCount.Stage.CLOSING,
        session__state=Session.State.CLOSED,
        session__training=False,  # training sessions count in no total
        session__closed_at__gte=since,
        session__closed_at__lt=until,
    )
    counts = _scoped(counts, "session__profile__store_id", store_ids)
    rows = (
        counts.annotate(day=TruncDate("session__closed_at", tzinfo=tz))
        .values("day", by)
        .annotate(d=Sum("difference"), n=Count("session", distinct=True))
        .order_by("day", by)
        .values_list("day", by, "d", "n")
    )
    days = _days(start, end)
    cells: dict[tuple[date, str], Decimal] = {}
    sessions: dict[str, int] = {}
    for day, who, difference, n in rows:
        cells[(day, who)] = difference
        sessions[who] = sessions.get(who, 0) + n
    names = sorted(sessions)
    labels = [_label(d, start, end) for d in days]
    series = {name: [cells.get((d, name)) for d in days] for name in names}
    svg = charts.line_chart(labels, series, title=title)
    table = [
        [d.isoformat(), *[(fmt(cells[(d, n)]) or "") if (d, n) in cells else "" for n in names]]
        for d in days
        if any((d, n) in cells for n in names)
    ]
    totals = [
        "Total",
        *[fmt(sum((cells[(d, n)] for d in days if (d, n) in cells), ZERO)) or "" for n in names],
    ]
    return Panel(
        key,
        title,
        svg,
        ["Day", *names],
        [*table, totals] if table else [],
        note="Counted minus expected at close, summed over the payment methods; "
        "negative: money missing.",
    )


def dashboard(*, start: date, end: date, store_ids: Iterable[int] | None = None) -> list[Panel]:
    """The panels of the dashboard for ``start``–``end`` (inclusive local dates)."""
    stores = list(store_ids) if store_ids is not None else None
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    days = _days(start, end)
    labels = [_label(d, start, end) for d in days]
    panels = []

    orders = _scoped(
        Order.objects.filter(
            state__in=SOLD_STATES,
            created_at__gte=since,
            created_at__lt=until,
            session__training=False,  # training tickets are not sales
        ),
        "session__profile__store_id",
        stores,
    )
    per_day = {
        day: (n, total)
        for day, n, total in orders.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"), t=Sum("total"))
        .order_by("day")
        .values_list("day", "n", "t")
    }
    sales = [per_day.get(d, (0, ZERO))[1] for d in days]
    panels.append(
        Panel(
            "sales",
            "Sales per day",
            charts.bar_chart(labels, sales, title="Sales per day"),
            ["Day", "Orders", "Sales"],
            [
                [d.isoformat(), str(per_day[d][0]), fmt(per_day[d][1]) or ""]
                for d in days
                if d in per_day
            ]
            + (
                [
                    [
                        "Total",
                        str(sum(n for n, _ in per_day.values())),
                        fmt(sum((t for _, t in per_day.values()), ZERO)) or "",
                    ]
                ]
                if per_day
                else []
            ),
            note="Paid and invoiced orders by the time they were made, refunds deducted.",
        )
    )
    panels.append(
        _differences(
            start,
            end,
            "session__user__username",
            "Cash differences per cashier",
            "differences_cashier",
            stores,
        )
    )
    panels.append(
        _differences(
            start,
            end,
            "session__profile__name",
            "Cash differences per profile",
            "differences_profile",
            stores,
        )
    )

    # The period's sessions, and every session still open however old: two index reads
    # (creation time; state) rather than one OR that would scan every session ever held.
    in_period = Q(created_at__gte=since, created_at__lt=until)
    still_open = [s for s in Session.State if s != Session.State.CLOSED]
    per_state: dict[str, int] = {}
    for sessions in (
        Session.objects.filter(in_period),
        Session.objects.filter(state__in=still_open).exclude(in_period),
    ):
        scoped = _scoped(sessions, "profile__store_id", stores)
        for state, n in scoped.values("state").annotate(n=Count("id")).values_list("state", "n"):
            per_state[state] = per_state.get(state, 0) + n
    states = [s for s in Session.State if s != Session.State.NEW or per_state.get(s)]
    state_colors = {
        Session.State.NEW: "#999999",
        Session.State.OPENING_CONTROL: "#56B4E9",
        Session.State.IN_PROGRESS: "#0072B2",
        Session.State.CLOSING_CONTROL: "#D55E00",
        Session.State.CLOSED: "#009E73",
    }
    panels.append(
        Panel(
            "states",
            "Sessions per state",
            charts.hbar_chart(
                [s.label for s in states],
                [per_state.get(s, 0) for s in states],
                title="Sessions per state",
                colors=[state_colors[s] for s in states],
            ),
            ["State", "Sessions"],
            [[s.label, str(per_state.get(s, 0))] for s in states],
            note="Sessions created in the range, and every session not closed yet.",
        )
    )
    return panels
