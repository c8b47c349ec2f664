"""A manager limited to some stores sees those stores' money and nothing else (issue #11, 8)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from opentill.accounting.models import FinancialAccount, LedgerAccount
from opentill.stores.models import Store
from tests.conftest import order
from tests.integration.helpers import open_session, sync
from tests.integration.test_back_office import staff_client


@pytest.fixture
def far_store(shop):
    """A second store with its own drawer account; the demo manager manages only it."""
    store = Store.objects.create(company=shop["till1"].store.company, name="Far away")
    store.managers.add(User.objects.get(username="manager"))
    drawer = FinancialAccount.objects.create(
        name="Far away drawer",
        kind="drawer",
        store=store,
        ledger_account=LedgerAccount.objects.get(code="1000"),
    )
    return {"store": store, "drawer": drawer}


def names(response):
    assert response.status_code == 200, response.content
    return {a["name"] for a in response.json()}


def test_demo_accounts_belong_to_the_store_and_the_bank_to_the_company(shop):
    store = shop["till1"].store
    assert shop["cash1"].financial_account.store == store
    assert shop["card2"].financial_account.store == store
    assert FinancialAccount.objects.get(name="Safe").store == store
    assert FinancialAccount.objects.get(name="Bank").store is None


def test_a_store_manager_sees_only_the_accounts_of_their_stores(api_as, shop, far_store):
    # The demo shop's till took money: its balances are not the far store manager's business.
    bob = api_as("bob")
    session = open_session(bob, shop["till2"].pk)
    sync(bob, session["id"], order([(shop["mug"].pk, "1")], [(shop["cash2"].pk, "9.90")]))

    seen = names(api_as("manager").get("/financial-accounts"))
    assert seen == {"Far away drawer"}
    # The company's bank and the demo store's drawers, safe and clearing accounts stay hidden.
    everything = names(api_as("accountant").get("/financial-accounts"))
    assert {"Bank", "Safe", "Till 1 cash drawer", "Far away drawer"} <= everything
    drawer = next(
        a
        for a in api_as("accountant").get("/financial-accounts").json()
        if a["name"] == "Till 2 cash drawer"
    )
    assert drawer["store"] == shop["till1"].store.pk
    assert Decimal(drawer["balance"]) == Decimal("9.90")


def test_a_manager_listed_on_no_store_sees_every_account(api_as, shop):
    seen = names(api_as("manager").get("/financial-accounts"))
    assert {"Bank", "Safe", "Till 1 cash drawer", "Till 2 card clearing"} <= seen


def test_the_back_office_scopes_accounts_transactions_and_entries(api_as, shop, far_store):
    bob = api_as("bob")
    session = open_session(bob, shop["till2"].pk)
    sync(bob, session["id"], order([(shop["mug"].pk, "1")], [(shop["cash2"].pk, "9.90")]))
    manager = staff_client("manager")
    page = manager.get("/admin/accounting/financialaccount/").content.decode()
    assert "Far away drawer" in page
    assert "Till 1 cash drawer" not in page
    for hidden in ("Bank", "Safe", "Till 2 cash drawer"):
        account = FinancialAccount.objects.get(name=hidden)
        assert f"/admin/accounting/financialaccount/{account.pk}/change/" not in page
    drawer = shop["cash2"].financial_account
    assert manager.get(f"/admin/accounting/financialaccount/{drawer.pk}/change/").status_code in (
        302,
        404,
    )
    transactions = manager.get("/admin/accounting/financialtransaction/").content.decode()
    assert "0 financial transactions" in transactions
    accountant = staff_client("accountant")
    assert (
        "Till 1 cash drawer"
        in accountant.get("/admin/accounting/financialaccount/").content.decode()
    )
