"""The catalog's cheap refresh (ETag / If-None-Match → 304) and the limits it publishes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opentill.catalog.models import Customer, FiscalPosition, Product
from opentill.pos.models import Denomination
from tests.conftest import Api


def fetch(api: Api, shop: dict[str, Any], tag: str | None = None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"}
    if tag is not None:
        headers["HTTP_IF_NONE_MATCH"] = tag
    return api.client.get(f"/api/v1/profiles/{shop['till1'].pk}/catalog", **headers)


def test_the_catalog_publishes_the_limits_and_its_version(api_as, shop):
    response = fetch(api_as("alice"), shop)
    assert response.status_code == 200
    body = response.json()
    assert body["limits"] == {
        "max_amount": "1000000000.00",
        "max_unit_price": "1000000000.00",
        "max_quantity": "1000000",
        "max_denomination_quantity": 1000000,
        "max_balance": "100000000000.00",
        "max_count": "100000000000.00",
        "max_lines": 500,
        "max_payments": 20,
        "max_batch": 1000,
    }
    etag = response["ETag"]
    assert etag == f'"{body["version"]}"'  # strong: no W/ prefix
    assert len(body["version"]) == 32
    assert response["Cache-Control"] == "private, no-cache"


def test_the_same_catalog_has_the_same_etag_for_every_user(api_as, shop):
    first = fetch(api_as("alice"), shop)["ETag"]
    assert fetch(api_as("alice"), shop)["ETag"] == first
    assert fetch(api_as("manager"), shop)["ETag"] == first


def test_if_none_match_with_the_current_etag_is_304_without_a_body(api_as, shop):
    alice = api_as("alice")
    etag = fetch(alice, shop)["ETag"]
    for header in (etag, f"W/{etag}", f'"elsewhere", {etag}', "*"):
        response = fetch(alice, shop, header)
        assert response.status_code == 304, header
        assert response.content == b""
        assert response["ETag"] == etag
    assert fetch(alice, shop, '"an-old-version"').status_code == 200


def test_a_304_needs_the_same_access_as_the_catalog(api_as, shop):
    from django.contrib.auth.models import User

    etag = fetch(api_as("alice"), shop)["ETag"]
    shop["till1"].allowed_users.set([User.objects.get(username="bob")])
    assert fetch(api_as("alice"), shop, etag).status_code == 403
    assert fetch(Api(None), shop, etag).status_code == 401
    assert fetch(api_as("bob"), shop, etag).status_code == 304


def test_a_deactivated_product_changes_the_etag(api_as, shop):
    alice = api_as("alice")
    etag = fetch(alice, shop)["ETag"]
    espresso = shop["espresso"]
    espresso.active = False
    espresso.save()
    response = fetch(alice, shop, etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert espresso.pk not in [p["id"] for p in response.json()["products"]]
    assert fetch(alice, shop, response["ETag"]).status_code == 304


def test_a_new_price_changes_the_etag(api_as, shop):
    alice = api_as("alice")
    etag = fetch(alice, shop)["ETag"]
    mug = Product.objects.get(pk=shop["mug"].pk)
    mug.price = Decimal("10.50")
    mug.save()
    response = fetch(alice, shop, etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    (listed,) = [p for p in response.json()["products"] if p["id"] == mug.pk]
    assert listed["price"] == "10.50"


def test_taxes_customers_methods_and_company_settings_change_the_etag(api_as, shop):
    alice = api_as("alice")
    company = shop["till1"].store.company

    def changed(change: Any) -> None:
        before = fetch(alice, shop)["ETag"]
        change()
        after = fetch(alice, shop, before)
        assert after.status_code == 200, change
        assert after["ETag"] != before

    def new_tax_rate() -> None:
        tax = shop["espresso"].taxes.get()
        tax.rate = Decimal("7.0000")
        tax.save()

    def new_customer() -> None:
        Customer.objects.create(company=company, name="Bakkerij Jansen")

    def new_coin() -> None:
        Denomination.objects.create(
            payment_method=shop["cash1"], value=Decimal("0.03"), kind="coin"
        )

    def new_rounding() -> None:
        company.cash_rounding = Decimal("0.05")
        company.save()

    def new_convention() -> None:
        company.discount_rounding = "line"
        company.save()

    def position_offered() -> None:
        shop["till1"].fiscal_positions.clear()

    def new_position() -> None:
        position = FiscalPosition.objects.create(company=company, name="Export")
        customer = Customer.objects.get(name="Café De Hoek")
        customer.fiscal_position = position
        customer.save()

    for change in (
        new_tax_rate,
        new_customer,
        new_coin,
        new_rounding,
        new_convention,
        position_offered,
        new_position,
    ):
        changed(change)


def test_a_304_costs_the_same_few_queries_whatever_the_catalog_size(api_as, shop):
    alice = api_as("alice")

    def queries_for_304() -> int:
        etag = fetch(alice, shop)["ETag"]
        with CaptureQueriesContext(connection) as captured:
            assert fetch(alice, shop, etag).status_code == 304
        return len(captured.captured_queries)

    small = queries_for_304()
    template = shop["mug"]
    Product.objects.bulk_create(
        Product(
            company_id=template.company_id,
            sku=f"BULK-{i}",
            name=f"Bulk {i}",
            price=Decimal("1.00"),
            income_account_id=template.income_account_id,
        )
        for i in range(300)
    )
    assert queries_for_304() == small
    assert small <= 15
