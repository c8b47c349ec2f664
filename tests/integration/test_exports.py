"""Exports for accountants: CSV, XLSX and beancount agree with the database to the cent;
the back office and the command line serve them; 100,000 orders export in bounded memory."""

from __future__ import annotations

import argparse
import csv
import io
import time
import tracemalloc
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from opentill.accounting.models import JournalLine
from opentill.catalog.models import Customer
from opentill.orders.models import Order, Payment
from opentill.pos.models import Session
from opentill.reports import cli, exports
from tests.conftest import api_for, shop_rows
from tests.integration.test_reports import run_scenario

TODAY = timezone.localdate


@pytest.fixture(scope="module")
def scenario_once(module_db):
    """The reports' scenario, played once for the module (``module_db``): its tests read it."""
    return run_scenario(api_for, shop_rows())


@pytest.fixture
def scenario(scenario_once, db):
    return dict(scenario_once)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def export_text(name: str, format: str = "csv") -> str:
    out = io.StringIO()
    exports.write_export(exports.dataset(name, TODAY(), TODAY()), format, out)
    return out.getvalue()


def cents(values: Any) -> Decimal:
    return sum((Decimal(v) for v in values), Decimal("0.00"))


def test_csv_exports_agree_with_the_database(scenario):
    orders = csv_rows(export_text("orders"))
    assert len(orders) == Order.objects.count() == 6  # 1 + 5 orders, the voided one too
    assert cents(o["total"] for o in orders) == Order.objects.aggregate(t=Sum("total"))["t"]
    hoek = next(o for o in orders if o["customer"] == "Café De Hoek")
    assert (hoek["state"], hoek["total"], hoek["invoice"].startswith("INV/")) == (
        "invoiced",
        "12.10",
        True,
    )
    voided = next(o for o in orders if o["state"] == "void")
    assert voided["void_reason"] == "customer left"
    # What customers handed over and the change given back, per order (issue #12).
    assert (hoek["tendered"], hoek["change"]) == ("20.00", "7.90")
    assert (voided["tendered"], voided["change"]) == ("0.00", "0.00")  # a draft: no payment
    assert sorted(
        (o["total"], o["tendered"], o["change"]) for o in orders if o["change"] != "0.00"
    ) == [
        ("12.10", "20.00", "7.90"),
        ("4.40", "5.00", "0.60"),
    ]

    payments = csv_rows(export_text("payments"))
    assert cents(p["amount"] for p in payments) == Payment.objects.aggregate(t=Sum("amount"))["t"]
    assert {p["payment_method"] for p in payments} == {"Cash", "Card"}
    assert cents(p["tendered"] for p in payments) == cents(p["amount"] for p in payments) + cents(
        p["change"] for p in payments
    )
    assert sorted(p["change"] for p in payments if p["change"] != "0.00") == ["0.60", "7.90"]

    journal = csv_rows(export_text("journal"))
    assert len(journal) == JournalLine.objects.count()
    assert cents(j["debit"] for j in journal) == cents(j["credit"] for j in journal)
    assert cents(j["debit"] for j in journal) == JournalLine.objects.aggregate(d=Sum("debit"))["d"]

    sessions = {s["id"]: s for s in csv_rows(export_text("sessions"))}
    b = sessions[str(scenario["b"])]
    assert (b["state"], b["orders"], b["sales_total"], b["difference"]) == (
        "closed",
        "4",
        "23.21",
        "-1.20",
    )
    assert (b["expected"], b["counted"]) == ("113.21", "112.01")
    assert b["cashier"] == "alice" and b["rescue"] == "false"


def test_date_range_is_inclusive_and_local(scenario):
    before, after = TODAY() - timedelta(days=1), TODAY() + timedelta(days=1)
    assert exports.dataset("orders", before, before).count() == 0
    assert exports.dataset("orders", after, after).count() == 0
    assert exports.dataset("orders", TODAY(), TODAY()).count() == 6
    assert exports.dataset("orders", before, after).count() == 6
    assert exports.dataset("payments", TODAY(), TODAY()).count() == Payment.objects.count()
    assert exports.dataset("journal", TODAY(), TODAY()).count() == JournalLine.objects.count()
    assert exports.dataset("sessions", TODAY(), TODAY()).count() == 2
    with pytest.raises(exports.ExportError):
        exports.dataset("orders", after, before)
    with pytest.raises(exports.ExportError):
        exports.dataset("customers", before, after)


def test_xlsx_has_exact_numbers(scenario, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "orders.xlsx"
    exports.write_export(exports.dataset("orders", TODAY(), TODAY()), "xlsx", str(path))
    sheet = load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:4] == ("id", "uuid", "number", "created_at")
    total = header.index("total")
    # Stored as numbers (the reader gives floats): back to cents through their text.
    assert sum(Decimal(str(r[total])) for r in body) == Order.objects.aggregate(t=Sum("total"))["t"]
    assert all(r[3].tzinfo is None for r in body)  # local times; Excel has no time zones
    # Every paid order has its ticket number (the server gave them: sent without one).
    assert all(r[2].startswith("TILL") for r in body if r[header.index("state")] == "paid")


def test_beancount_ledger_loads_and_balances(scenario):
    loader = pytest.importorskip("beancount.loader")
    data = pytest.importorskip("beancount.core.data")

    text = export_text("journal", "beancount")
    entries, errors, options = loader.load_string(text)
    assert errors == [], errors
    transactions = [e for e in entries if isinstance(e, data.Transaction)]
    # The close of session A, the invoice entry of the order session B invoiced at sync
    # (the receivable against its sales) and the close of session B.
    assert len(transactions) == 3
    for t in transactions:
        assert sum(p.units.number for p in t.postings) == 0
    cash = [
        p.units.number
        for t in transactions
        for p in t.postings
        if p.account == "Assets:1000-Cash-in-drawers"
    ]
    lines = JournalLine.objects.filter(account__code="1000")
    assert sum(cash) == sum((x.debit - x.credit for x in lines), Decimal("0.00"))
    assert options["operating_currency"] == ["EUR"]
    with pytest.raises(exports.ExportError):
        export_text("orders", "beancount")


def test_beancount_account_names():
    assert exports.beancount_account("6580", "Cash differences", "expense") == (
        "Expenses:6580-Cash-differences"
    )
    assert exports.beancount_account("3000", "Owner's équité", "equity") == (
        "Equity:3000-Owner-s-equite"
    )
    assert exports.beancount_account("x1", "vat", "liability") == "Liabilities:X1-vat"


# --- back office ----------------------------------------------------------------------------


def staff(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_back_office_export_streams_a_download(scenario):
    day = end = TODAY().isoformat()
    response = staff("accountant").get(
        "/admin/reports/exports/",
        {"dataset": "journal", "format": "csv", "from": day, "to": end, "download": "1"},
    )
    assert response.status_code == 200
    assert response.streaming
    assert f"opentill-journal-{day}-{end}.csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    assert len(csv_rows(text)) == JournalLine.objects.count()

    xlsx = staff("manager").get(
        "/admin/reports/exports/",
        {"dataset": "orders", "format": "xlsx", "from": day, "to": end, "download": "1"},
    )
    assert xlsx.status_code == 200
    assert b"".join(xlsx.streaming_content).startswith(b"PK")

    page = staff("accountant").get(
        "/admin/reports/exports/", {"from": day, "to": day, "count": "1"}
    )
    assert page.status_code == 200 and "Rows in this range" in page.content.decode()
    bad = staff("accountant").get(
        "/admin/reports/exports/",
        {"dataset": "orders", "format": "beancount", "from": day, "to": end, "download": "1"},
    )
    assert bad.status_code == 200 and "journal entries only" in bad.content.decode()


def test_dashboard_charts_with_their_tables(scenario):
    page = staff("manager").get("/admin/reports/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    for title in (
        "Sales per day",
        "Cash differences per cashier",
        "Cash differences per profile",
        "Sessions per state",
    ):
        assert title in html
    assert html.count('class="ot-chart"') == 4
    # The tables beside the charts: today's sales, alice's difference, the closed sessions.
    assert ">25.41<" in html  # 2.20 (session A) + 23.21 (session B)
    assert ">-1.20<" in html
    assert "alice" in html and "Till 1" in html
    assert staff("accountant").get("/admin/reports/dashboard/").status_code == 200
    index = staff("manager").get("/admin/").content.decode()
    assert "/admin/reports/dashboard/" in index and "/admin/reports/exports/" in index


def test_cashiers_see_no_reports(scenario):
    alice = User.objects.get(username="alice")
    alice.is_staff = True  # even with back-office access
    alice.save()
    for url in ("/admin/reports/dashboard/", "/admin/reports/exports/"):
        assert staff("alice").get(url).status_code == 403
    anonymous = Client().get("/admin/reports/dashboard/")
    assert anonymous.status_code == 302


# --- command line ---------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="opentill")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.add_commands(sub)
    sub.add_parser("migrate")
    return parser.parse_args(argv)


def test_cli_report_and_export(scenario, tmp_path, capsys):
    name = Session.objects.get(pk=scenario["b"]).name
    pdf = tmp_path / "z.pdf"
    assert cli.run(parse(["report", name, "--format", "pdf", "-o", str(pdf)])) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    text = tmp_path / "z.txt"
    assert cli.run(parse(["report", str(scenario["b"]), "--format", "text", "-o", str(text)])) == 0
    assert "Sales total" in text.read_text()
    assert cli.run(parse(["report", "NOPE/1", "--format", "json"])) == 2
    assert cli.run(parse(["migrate"])) is None  # not one of ours

    day = end = TODAY().isoformat()
    out = tmp_path / "orders.csv"
    code = cli.run(parse(["export", "orders", "--from", day, "--to", end, "-o", str(out)]))
    assert code == 0
    assert len(csv_rows(out.read_text())) == 6
    err = capsys.readouterr().err
    assert "orders  [" in err and "100%" in err and "6/6" in err
    ledger = tmp_path / "journal.beancount"
    args = ["export", "journal", "--from", day, "--to", end, "--format", "beancount"]
    assert cli.run(parse([*args, "-o", str(ledger), "--quiet"])) == 0
    assert "open Assets:1000-Cash-in-drawers" in ledger.read_text()
    assert capsys.readouterr().err == ""
    assert cli.run(parse(["export", "orders", "--from", day, "--to", end, "--format", "xlsx"])) == 2


def test_progress_bar_on_a_terminal_and_in_a_log():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = cli.ProgressBar("orders", 200, tty)
    bar.update(100)
    bar.finish(200)
    assert "\rorders  [###############---------------]  50%  100/200" in tty.getvalue()
    log = io.StringIO()
    bar = cli.ProgressBar("orders", 1000, log)
    for done in range(0, 1001, 10):
        bar.update(done)
    bar.finish(1000)
    lines = log.getvalue().splitlines()
    assert len(lines) == 12  # 0 %, 10 % … 100 %, and the summary
    assert lines[-1].startswith("orders: 1000 rows in ")


# --- 100,000 orders -------------------------------------------------------------------------

N = 100_000


class Sink(io.TextIOBase):
    """Counts what is written and keeps nothing."""

    def __init__(self) -> None:
        self.chars = 0
        self.lines = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        self.lines += text.count("\n")
        return len(text)


def rss() -> int | None:
    """Resident memory of this process in bytes (Linux), else None."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    import resource

    return pages * resource.getpagesize()


@pytest.mark.slow
def test_100000_orders_export_in_bounded_memory(shop, tmp_path):
    from opentill.pos.services import session_create

    user = User.objects.get(username="alice")
    session = session_create(profile=shop["till2"], user=user)  # no opening control
    customer = Customer.objects.get(name="Jansen Architects")
    now = timezone.now()
    earlier = exports.dataset("orders", TODAY() - timedelta(days=1), TODAY()).count()
    Order.objects.bulk_create(
        (
            Order(
                uuid=uuid.uuid4(),
                session=session,
                requested_session=session,
                user=user,
                customer=customer if i % 7 == 0 else None,
                state=Order.State.PAID,
                created_at=now - timedelta(seconds=i % 3600),
                net_total=Decimal("8.18"),
                tax_total=Decimal("1.72"),
                total=Decimal("9.90"),
                rounding=Decimal("0.00"),
                amount_due=Decimal("9.90"),
            )
            for i in range(N)
        ),
        batch_size=5000,
    )
    data = exports.dataset("orders", TODAY() - timedelta(days=1), TODAY())
    assert data.count() == earlier + N  # the module's scenario may be there too

    # CSV, every allocation traced: the peak stays far below what the rows would take
    # (about 16 MB of text, several times that as Python objects).
    sink = Sink()
    tracemalloc.start()
    try:
        exports.write_export(data, "csv", sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.lines == earlier + N + 1
    assert sink.chars > 12_000_000
    assert peak < 12_000_000, f"CSV peak {peak / 1e6:.1f} MB: the export is not streaming"

    # XLSX (write-only mode): the process's resident memory, sampled as rows are written,
    # grows by far less than the rows would take if they were held.
    before = rss()
    highest = before or 0

    def sample(done: int) -> None:
        nonlocal highest
        highest = max(highest, rss() or 0)

    path = tmp_path / "orders.xlsx"
    started = time.monotonic()
    exports.write_export(data, "xlsx", str(path), progress=sample)
    seconds = time.monotonic() - started
    assert path.stat().st_size > 1_000_000
    if before is not None:
        grown = highest - before
        assert grown < 64_000_000, f"XLSX grew {grown / 1e6:.0f} MB: not streaming"
    assert seconds < 300, f"XLSX took {seconds:.0f} s"


def test_api_export_for_accountants_only(scenario, api_as):
    day = TODAY().isoformat()
    accountant = api_as("accountant")
    response = accountant.get("/exports/journal", **{"from": day, "to": day, "format": "beancount"})
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    assert "open Assets:1000-Cash-in-drawers" in text
    orders = accountant.get("/exports/orders", **{"from": day, "to": day})
    assert len(csv_rows(b"".join(orders.streaming_content).decode())) == 6
    assert scenario["api"].get("/exports/orders", **{"from": day, "to": day}).status_code == 403
    bad = accountant.get("/exports/orders", **{"from": day, "to": day, "format": "beancount"})
    assert bad.status_code == 422
    assert accountant.get("/exports/customers", **{"from": day, "to": day}).status_code == 404
    assert accountant.get("/exports/orders", **{"from": "yesterday", "to": day}).status_code == 422
