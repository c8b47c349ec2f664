"""Past records read as they were issued (issue #11, point 6).

A ledger account with posted lines keeps its code and kind (service, back office and the
database refuse the change); its label may be renamed, audited, and the lines keep the label
they were posted with. Invoices keep the customer's name, VAT number, address and e-mail as
issued, whatever the customer is renamed to afterwards.
"""

from __future__ import annotations

import csv
import importlib
import io
import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from opentill.accounting.models import JournalLine, LedgerAccount
from opentill.accounting.postings import Posting
from opentill.accounting.services import journal_entry_create, ledger_account_update
from opentill.audit.models import AuditEvent
from opentill.catalog.models import Customer
from opentill.common.problems import Problem
from opentill.invoicing.models import Invoice
from opentill.pos.models import Session
from opentill.reports import exports
from opentill.reports.selectors import session_report
from tests.conftest import order
from tests.integration.helpers import open_session, sync


def staff_client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def sell_and_close(api_as: Any, shop: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A till-1 session that sells two espressos in cash (``extra`` goes to the order) and
    closes: one journal entry posted on the drawer's ledger account, invoices issued."""
    alice = api_as("alice")
    cash = shop["cash1"].pk
    session = open_session(alice, shop["till1"].pk, [{"payment_method": cash, "amount": "0.00"}])
    sync(alice, session["id"], order([(shop["espresso"].pk, "2")], [(cash, "4.40")], **extra))
    closed = alice.post(
        f"/sessions/{session['id']}/close",
        {"counts": [{"payment_method": cash, "counted": "4.40"}]},
    )
    assert closed.status_code == 200, closed.content
    assert closed.json()["state"] == "closed"
    return session


def drawer_account(shop: dict[str, Any]) -> LedgerAccount:
    return shop["cash1"].financial_account.ledger_account


def account_form(account: LedgerAccount, **changes: str) -> dict[str, str]:
    return {"code": account.code, "name": account.name, "kind": account.kind, **changes}


# --- Ledger accounts: code and kind kept once posted -----------------------------------------


def test_service_refuses_the_code_or_kind_of_a_posted_account(api_as, shop):
    sell_and_close(api_as, shop)
    account = drawer_account(shop)
    assert JournalLine.objects.filter(account=account).exists()
    accountant = User.objects.get(username="accountant")
    for change in ({"code": "1099"}, {"kind": "expense"}):
        values = {"code": account.code, "name": account.name, "kind": account.kind, **change}
        with pytest.raises(Problem) as refused:
            ledger_account_update(account_id=account.pk, user=accountant, **values)
        assert refused.value.code == "validation_error"
        assert refused.value.status == 422
        assert [e["loc"][-1] for e in refused.value.errors or []] == list(change)
    kept = LedgerAccount.objects.get(pk=account.pk)
    assert (kept.code, kept.kind) == (account.code, account.kind)


def test_service_changes_code_and_kind_of_an_account_without_posted_lines(shop):
    account = LedgerAccount.objects.create(code="1099", name="Spare", kind="asset")
    manager = User.objects.get(username="manager")
    ledger_account_update(
        account_id=account.pk, user=manager, code="6099", name="Sundry", kind="expense"
    )
    changed = LedgerAccount.objects.get(pk=account.pk)
    assert (changed.code, changed.name, changed.kind) == ("6099", "Sundry", "expense")


def test_back_office_refuses_the_code_and_kind_of_a_posted_account(api_as, shop):
    sell_and_close(api_as, shop)
    account = drawer_account(shop)
    url = f"/admin/accounting/ledgeraccount/{account.pk}/change/"
    page = staff_client("accountant").get(url)
    assert page.status_code == 200
    assert "the code and the kind are kept" in page.content.decode()
    response = staff_client("accountant").post(
        url, account_form(account, code="1099", kind="expense")
    )
    assert response.status_code == 200  # the form again, with its errors
    text = response.content.decode()
    assert "its code is kept" in text
    assert "it stays asset" in text
    kept = LedgerAccount.objects.get(pk=account.pk)
    assert (kept.code, kept.kind) == (account.code, account.kind)
    assert not AuditEvent.objects.filter(
        object_type="accounting.LedgerAccount", object_id=str(account.pk)
    ).exists()


def test_back_office_changes_the_code_of_an_account_without_posted_lines(shop):
    account = LedgerAccount.objects.create(code="1099", name="Spare", kind="asset")
    response = staff_client("accountant").post(
        f"/admin/accounting/ledgeraccount/{account.pk}/change/",
        account_form(account, code="6099", kind="expense"),
    )
    assert response.status_code == 302, response.content
    assert LedgerAccount.objects.get(pk=account.pk).kind == "expense"


@pytest.mark.parametrize("column, value", [("code", "1099"), ("kind", "expense")])
def test_database_refuses_the_code_or_kind_of_a_posted_account(api_as, shop, column, value):
    sell_and_close(api_as, shop)
    account = drawer_account(shop)
    table = connection.ops.quote_name(LedgerAccount._meta.db_table)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, account.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=account.pk).update(**{column: value})
    kept = LedgerAccount.objects.get(pk=account.pk)
    assert (kept.code, kept.kind, kept.posted) == (account.code, account.kind, True)
    # Once posted, always posted: PostgreSQL keeps the flag, SQLite refuses to unset it.
    try:
        with transaction.atomic():
            LedgerAccount.objects.filter(pk=account.pk).update(posted=False)
    except IntegrityError:
        assert connection.vendor == "sqlite"
    assert LedgerAccount.objects.get(pk=account.pk).posted
    # The label is free, and so is an account nothing is posted on.
    LedgerAccount.objects.filter(pk=account.pk).update(name="Drawers")
    spare = LedgerAccount.objects.create(code="1098", name="Spare", kind="asset")
    LedgerAccount.objects.filter(pk=spare.pk).update(**{column: value})
    assert getattr(LedgerAccount.objects.get(pk=spare.pk), column) == value


def test_database_rule_reads_only_the_account_row(shop):
    """No trigger names both tables: on SQLite such a trigger makes Django's rebuild of either
    table fail ("error in trigger … no such table"), so later migrations could not run."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite rebuilds tables to alter them; PostgreSQL does not")
    with connection.cursor() as cursor:
        cursor.execute("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = cursor.fetchall()
    names = {"accounting_ledgeraccount", "accounting_journalline"}
    assert any(table == "accounting_ledgeraccount" for table, _ in triggers)
    for table, sql in triggers:
        if table in names:
            assert (names - {table}).pop() not in sql, sql


# --- Ledger accounts: a renamed label, audited; past entries read as posted ------------------


def journal_csv() -> list[dict[str, str]]:
    out = io.StringIO()
    day = timezone.localdate()
    exports.write_export(exports.dataset("journal", day, day), "csv", out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_renamed_label_is_audited_and_past_entries_read_as_posted(api_as, shop):
    first = sell_and_close(api_as, shop)
    account = drawer_account(shop)
    old = account.name
    response = staff_client("accountant").post(
        f"/admin/accounting/ledgeraccount/{account.pk}/change/",
        account_form(account, name="Tills"),
    )
    assert response.status_code == 302, response.content
    assert LedgerAccount.objects.get(pk=account.pk).name == "Tills"

    event = AuditEvent.objects.get(
        object_type="accounting.LedgerAccount", object_id=str(account.pk)
    )
    assert event.user.username == "accountant"
    assert (event.before["name"], event.after["name"]) == (old, "Tills")
    assert old in event.detail and "Tills" in event.detail
    page = staff_client("manager").get(f"/admin/accounting/ledgeraccount/{account.pk}/change/")
    assert f"{old} → Tills" in page.content.decode()

    second = sell_and_close(api_as, shop)
    manager = api_as("manager")

    def names(session: dict[str, Any]) -> set[str]:
        entries = manager.get(f"/sessions/{session['id']}/journal-entries").json()
        return {
            line["account"]["name"]
            for entry in entries
            for line in entry["lines"]
            if line["account"]["code"] == account.code
        }

    assert names(first) == {old}
    assert names(second) == {"Tills"}

    report = session_report(session=Session.objects.get(pk=first["id"]))
    assert {a["name"] for a in report["journal"]["accounts"] if a["code"] == account.code} == {old}
    rows = [r for r in journal_csv() if r["account"] == account.code]
    assert {(r["session"], r["account_name"]) for r in rows} == {
        (first["name"], old),
        (second["name"], "Tills"),
    }
    entry = JournalLine.objects.filter(account=account).order_by("id").first().entry
    page = staff_client("manager").get(f"/admin/accounting/journalentry/{entry.pk}/change/")
    assert f"{account.code} {old}" in page.content.decode()
    session_page = staff_client("manager").get(f"/admin/pos/session/{first['id']}/change/")
    assert f"{account.code} {old}" in session_page.content.decode()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_kind_change_waits_for_a_posting_in_flight_then_is_refused(shop):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: no posting is in flight during an update")
    account = LedgerAccount.objects.create(code="1097", name="Fresh", kind="asset")
    other = LedgerAccount.objects.get(code="6580")
    posted = threading.Event()
    release = threading.Event()
    outcome: dict[str, Any] = {}

    def post() -> None:
        try:
            with transaction.atomic():
                journal_entry_create(
                    kind="order",
                    reference="in flight",
                    postings=[Posting(account.pk, "x", 1), Posting(other.pk, "x", -1)],
                )
                posted.set()
                release.wait(10)
        finally:
            connection.close()

    def change() -> None:
        try:
            posted.wait(10)
            LedgerAccount.objects.filter(pk=account.pk).update(kind="expense")
            outcome["changed"] = True
        except IntegrityError as exc:
            outcome["refused"] = str(exc)
        finally:
            connection.close()

    poster = threading.Thread(target=post)
    changer = threading.Thread(target=change)
    poster.start()
    changer.start()
    try:
        changer.join(1.0)
        waited = changer.is_alive()
    finally:
        release.set()
        poster.join(10)
        changer.join(10)
    assert waited, f"the kind change did not wait for the posting in flight: {outcome}"
    assert "refused" in outcome, outcome
    assert LedgerAccount.objects.get(pk=account.pk).kind == "asset"


# --- Invoices: the customer as issued --------------------------------------------------------


def test_invoice_keeps_the_customer_as_issued(api_as, shop):
    hoek = Customer.objects.get(name="Café De Hoek")
    hoek.address = "Markt 1, 9000 Gent"
    hoek.save()
    session = sell_and_close(api_as, shop, customer=hoek.pk, to_invoice=True)
    invoice = Invoice.objects.get(session_id=session["id"], customer=hoek)

    hoek.name, hoek.tax_id = "De Hoek BV", "BE0999999999"
    hoek.address, hoek.email = "Elders 2", "new@dehoek.example"
    hoek.save()

    as_issued = {
        "customer_name": "Café De Hoek",
        "customer_tax_id": "BE0123456789",
        "customer_address": "Markt 1, 9000 Gent",
        "customer_email": "orders@dehoek.example",
    }
    [shown] = api_as("manager").get(f"/sessions/{session['id']}/invoices").json()
    assert {k: shown[k] for k in as_issued} == as_issued
    report = session_report(session=Session.objects.get(pk=session["id"]))
    assert [i["customer"] for i in report["invoices"]] == ["Café De Hoek"]
    listing = staff_client("manager").get("/admin/invoicing/invoice/").content.decode()
    assert "Café De Hoek" in listing and "De Hoek BV" not in listing
    page = staff_client("accountant").get(f"/admin/invoicing/invoice/{invoice.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Markt 1, 9000 Gent" in text and "BE0123456789" in text


def test_consolidated_invoice_keeps_the_walk_in_customer_as_issued(api_as, shop):
    session = sell_and_close(api_as, shop)
    walk_in = Customer.objects.get(is_walk_in=True)
    walk_in.name = "Passer-by"
    walk_in.save()
    [shown] = api_as("manager").get(f"/sessions/{session['id']}/invoices").json()
    assert shown["consolidated"] is True
    assert shown["customer_name"] == "Walk-in customer"


def test_migration_marks_every_account_with_lines_as_posted(api_as, shop):
    sell_and_close(api_as, shop)
    # A line written by hand, not by journal_entry_create: on SQLite nothing marks its
    # account at once; the migration marks every account that has lines.
    spare = LedgerAccount.objects.create(code="1096", name="Spare", kind="asset")
    JournalLine.objects.create(entry=JournalLine.objects.first().entry, account=spare)
    from django.apps import apps

    flag = importlib.import_module("opentill.accounting.migrations.0005_posted_flag")
    flag.mark_posted(apps, None)
    assert LedgerAccount.objects.get(pk=spare.pk).posted
    assert set(
        LedgerAccount.objects.filter(journal_lines__isnull=False).values_list("posted", flat=True)
    ) == {True}
