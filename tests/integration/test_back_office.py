"""The back office (Django admin) for each role, its session actions and the audit trail."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from opentill.audit.models import AppendOnlyError, AuditEvent
from opentill.pos.models import PaymentMethod, Session
from tests.conftest import order
from tests.integration.helpers import open_session, sync

OPERATIONS = ["pos/session", "orders/order", "orders/payment", "pos/cashmove", "invoicing/invoice"]
CONFIGURATION = [
    "pos/posprofile",
    "pos/paymentmethod",
    "pos/denomination",
    "pos/cashmovedestination",
    "catalog/product",
]
ACCOUNTING = [
    "accounting/journalentry",
    "accounting/financialaccount",
    "accounting/financialtransaction",
    "accounting/reconciliation",
    "accounting/ledgeraccount",
    "audit/auditevent",
]


def staff_client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def closed_session(api_as, shop):
    alice = api_as("alice")
    session = open_session(
        alice, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "100.00"}]
    )
    sync(alice, session["id"], order([(shop["espresso"].pk, "2")], [(shop["cash1"].pk, "4.40")]))
    alice.post(
        f"/sessions/{session['id']}/cash-moves",
        {
            "kind": "drop",
            "payment_method": shop["cash1"].pk,
            "amount": "50.00",
            "reason": "too much cash",
        },
    )
    closed = alice.post(
        f"/sessions/{session['id']}/close",
        {"counts": [{"payment_method": shop["cash1"].pk, "counted": "54.40"}]},
    )
    assert closed.json()["state"] == "closed"
    return session


def test_index_is_arranged_in_sections(shop):
    page = staff_client("manager").get("/admin/")
    assert page.status_code == 200
    text = page.content.decode()
    for section in ("POS · Operations", "POS · Configuration", "Accounting", "Audit"):
        assert section in text
    assert (
        text.index("POS · Operations")
        < text.index("POS · Configuration")
        < text.index("Accounting")
    )


@pytest.mark.parametrize("page", OPERATIONS + CONFIGURATION + ACCOUNTING)
def test_manager_sees_every_page(shop, closed_session, page):
    assert staff_client("manager").get(f"/admin/{page}/").status_code == 200


@pytest.mark.parametrize("page", OPERATIONS + ACCOUNTING)
def test_accountant_reads_operations_and_accounting(shop, closed_session, page):
    assert staff_client("accountant").get(f"/admin/{page}/").status_code == 200


@pytest.mark.parametrize("page", ["pos/posprofile/{till}/change", "catalog/product/add"])
def test_accountant_cannot_change_configuration(shop, page):
    response = staff_client("accountant").get(f"/admin/{page.format(till=shop['till1'].pk)}/")
    # View-only: the page renders without a save button, or adding is refused.
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert 'name="_save"' not in response.content.decode()


@pytest.mark.parametrize("page", ["", *OPERATIONS, *ACCOUNTING])
def test_cashier_is_refused_the_back_office(shop, page):
    response = staff_client("alice").get(f"/admin/{page}")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_session_page_shows_cash_control_orders_moves_and_accounting(shop, closed_session):
    page = staff_client("manager").get(f"/admin/pos/session/{closed_session['id']}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    for heading in (
        "Cash control",
        "Payments per method",
        "Orders (1",
        "Cash moves",
        "Invoices",
        "Journal entries",
        "Reconciliations",
        "Audit trail",
    ):
        assert heading in text
    assert "too much cash" in text
    assert "54.40" in text
    assert "/force-close/" not in text  # closed: no action offered
    assert (
        staff_client("accountant")
        .get(f"/admin/pos/session/{closed_session['id']}/change/")
        .status_code
        == 200
    )


def test_closed_session_and_its_records_are_read_only(shop, closed_session):
    manager = staff_client("manager")
    page = manager.get(f"/admin/pos/session/{closed_session['id']}/change/").content.decode()
    assert 'name="_save"' not in page
    response = manager.post(
        f"/admin/pos/session/{closed_session['id']}/change/", {"state": "in_progress"}
    )
    assert response.status_code == 403
    assert Session.objects.get(pk=closed_session["id"]).state == "closed"
    assert manager.get(f"/admin/pos/session/{closed_session['id']}/delete/").status_code == 403


def _shortage(api_as, shop):
    alice = api_as("alice")
    session = open_session(
        alice, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]
    )
    sync(alice, session["id"], order([(shop["mug"].pk, "2")], [(shop["cash1"].pk, "19.80")]))
    closed = alice.post(
        f"/sessions/{session['id']}/close",
        {"counts": [{"payment_method": shop["cash1"].pk, "counted": "9.80"}]},
    )
    assert closed.json()["state"] == "closing_control"
    return session


def test_manager_validates_a_stuck_closing_from_the_back_office(api_as, shop):
    session = _shortage(api_as, shop)
    url = f"/admin/pos/session/{session['id']}/validate-closing/"
    assert staff_client("accountant").get(url).status_code in (302, 403)
    manager = staff_client("manager")
    assert (
        "Validate closing"
        in manager.get(f"/admin/pos/session/{session['id']}/change/").content.decode()
    )
    assert manager.get(url).status_code == 200
    response = manager.post(url, {"notes": "counted twice, 10.00 missing"})
    assert response.status_code == 302
    stored = Session.objects.get(pk=session["id"])
    assert stored.state == "closed"
    assert stored.closed_by.username == "manager"
    assert (
        AuditEvent.objects.filter(session_id=session["id"], action="session_validated").count() == 1
    )


def test_force_close_from_the_back_office_needs_a_reason(api_as, shop):
    session = open_session(api_as("bob"), shop["till2"].pk)
    manager = staff_client("manager")
    url = f"/admin/pos/session/{session['id']}/force-close/"
    response = manager.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Session.objects.get(pk=session["id"]).state == "in_progress"
    manager.post(url, {"reason": "terminal broken"})
    stored = Session.objects.get(pk=session["id"])
    assert stored.state == "closed"
    assert stored.force_close_reason == "terminal broken"


def test_a_manager_of_another_store_cannot_act(api_as, shop):
    from opentill.stores.models import Store

    other = Store.objects.create(company=shop["till1"].store.company, name="Other shop")
    other.managers.add(User.objects.get(username="manager"))
    session = open_session(api_as("bob"), shop["till2"].pk)
    manager = staff_client("manager")
    assert manager.get(f"/admin/pos/session/{session['id']}/change/").status_code in (302, 404)
    assert (
        manager.post(
            f"/admin/pos/session/{session['id']}/force-close/", {"reason": "x"}
        ).status_code
        == 404
    )
    response = api_as("manager").post(f"/sessions/{session['id']}/force-close", {"reason": "x"})
    assert response.status_code == 403
    assert Session.objects.get(pk=session["id"]).state == "in_progress"


def test_close_rescue_session_from_the_back_office(api_as, shop):
    alice = api_as("alice")
    session = open_session(alice, shop["till2"].pk)
    alice.post(
        f"/sessions/{session['id']}/close",
        {"counts": [{"payment_method": shop["cash2"].pk, "counted": "0.00"}]},
    )
    late = sync(
        alice, session["id"], order([(shop["espresso"].pk, "1")], [(shop["cash2"].pk, "2.20")])
    )
    assert late[0]["status"] == "rescued"
    rescue = Session.objects.get(pk=late[0]["session"])
    assert rescue.rescue
    manager = staff_client("manager")
    assert (
        "Close rescue session"
        in manager.get(f"/admin/pos/session/{rescue.pk}/change/").content.decode()
    )
    manager.post(f"/admin/pos/session/{rescue.pk}/close-rescue/", {"notes": "late ticket"})
    rescue.refresh_from_db()
    assert rescue.state == "closed"
    entries = api_as("manager").get(f"/sessions/{rescue.pk}/journal-entries").json()
    assert len(entries) == 1


def test_payment_method_account_is_locked_while_a_session_is_active(api_as, shop):
    from opentill.accounting.models import FinancialAccount

    open_session(api_as("bob"), shop["till2"].pk)
    spare = FinancialAccount.objects.create(
        name="Spare drawer",
        kind="drawer",
        ledger_account=shop["cash2"].financial_account.ledger_account,
    )
    manager = staff_client("manager")
    method = shop["cash2"]
    page = manager.get(f"/admin/pos/paymentmethod/{method.pk}/change/")
    assert page.status_code == 200
    data = {
        "profile": method.profile_id,
        "name": method.name,
        "kind": method.kind,
        "sequence": method.sequence,
        "financial_account": spare.pk,
        "cash_difference_gl_item": method.cash_difference_gl_item_id,
        "keep_policy": method.keep_policy,
        "keep_amount": "100.00",
        "close_destination": method.close_destination_id,
        "transfer_gl_item": method.transfer_gl_item_id or "",
        "drop_gl_item": method.drop_gl_item_id or "",
        "deposit_gl_item": method.deposit_gl_item_id or "",
        "denominations-TOTAL_FORMS": "0",
        "denominations-INITIAL_FORMS": "0",
    }
    response = manager.post(f"/admin/pos/paymentmethod/{method.pk}/change/", data)
    assert response.status_code == 200
    assert "active session" in response.content.decode()
    assert (
        PaymentMethod.objects.get(pk=method.pk).financial_account_id == method.financial_account_id
    )


def test_configuration_changes_are_audited_with_before_and_after(shop):
    manager = staff_client("manager")
    product = shop["mug"]
    data = {
        "company": product.company_id,
        "sku": product.sku,
        "barcode": product.barcode,
        "name": "White mug XL",
        "price": "11.90",
        "taxes": [t.pk for t in product.taxes.all()],
        "category": product.category_id,
        "income_account": product.income_account_id,
        "stock_tracked": "on",
        "active": "on",
    }
    response = manager.post(f"/admin/catalog/product/{product.pk}/change/", data)
    assert response.status_code == 302, response.content
    event = AuditEvent.objects.get(
        action="config_changed", object_type="catalog.Product", object_id=str(product.pk)
    )
    assert event.user.username == "manager"
    assert event.before["price"] == "9.90"
    assert event.after["price"] == "11.90"


def test_every_action_is_audited(api_as, shop):
    alice = api_as("alice")
    session = open_session(
        alice, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "20.00"}]
    )
    draft = order([(shop["espresso"].pk, "1")], state="draft")
    sync(alice, session["id"], draft, order([(shop["mug"].pk, "1")], [(shop["cash1"].pk, "9.90")]))
    alice.post(f"/orders/{draft['uuid']}/void", {"reason": "customer left"})
    alice.post(
        f"/sessions/{session['id']}/cash-moves",
        {
            "kind": "deposit",
            "payment_method": shop["cash1"].pk,
            "amount": "10.00",
            "reason": "change",
        },
    )
    alice.post(
        f"/sessions/{session['id']}/partial-close",
        {"counts": [{"payment_method": shop["cash1"].pk, "counted": "39.90"}]},
    )
    alice.post(
        f"/sessions/{session['id']}/close",
        {"counts": [{"payment_method": shop["cash1"].pk, "counted": "20.00"}]},
    )
    api_as("manager").post(f"/sessions/{session['id']}/validate-closing", {"notes": "ok"})
    actions = list(
        AuditEvent.objects.filter(session_id=session["id"])
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "session_created",
        "session_opened",
        "order_voided",
        "cash_moved",
        "session_counted",
        "session_closing_control",
        "session_validated",
    ]
    opened = AuditEvent.objects.get(session_id=session["id"], action="session_opened")
    assert opened.user.username == "alice"
    assert opened.before == {"state": "opening_control"}
    assert opened.after["counts"]["Cash"] == {"expected": "0.00", "counted": "20.00"}


def test_audit_trail_cannot_be_changed_or_deleted(api_as, shop, closed_session):
    event = AuditEvent.objects.filter(session_id=closed_session["id"]).first()
    assert event is not None
    manager = staff_client("manager")
    assert (
        manager.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200
    )  # view only
    assert (
        manager.post(f"/admin/audit/auditevent/{event.pk}/change/", {"detail": "x"}).status_code
        == 403
    )
    assert (
        manager.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    superuser = User.objects.create_superuser("root", password="x")
    root = Client()
    root.force_login(superuser)
    assert (
        root.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    event.detail = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    # Below the application, the database refuses too.
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET detail = 'tampered' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).detail != "tampered"
