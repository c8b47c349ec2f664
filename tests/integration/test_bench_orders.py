"""The bench's generated orders are priced by the server's own pricing: the server takes
every one of them, whatever the company's tax settings (not only the demo's)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opentill.bench.baseline import baseline_rows
from opentill.bench.orders import generate_orders, shop_from_catalog
from opentill.catalog.models import Tax
from opentill.money import STORED_PLACES
from opentill.orders.models import OrderLineTax
from opentill.stores.models import Company
from tests.integration.helpers import open_session, sync

ORDERS = 150


@pytest.mark.parametrize(
    ("prices_include_tax", "tax_rounding"),
    [
        (True, Company.TaxRounding.PER_LINE),  # the demo's settings
        (True, Company.TaxRounding.GLOBAL),
        (False, Company.TaxRounding.PER_LINE),
        (False, Company.TaxRounding.GLOBAL),
    ],
)
def test_the_server_takes_every_generated_order(
    api_as, shop, prices_include_tax: bool, tax_rounding: str
) -> None:
    Company.objects.update(prices_include_tax=prices_include_tax, tax_rounding=tax_rounding)
    Tax.objects.update(price_include=prices_include_tax)
    alice = api_as("alice")
    profile = shop["till2"].pk
    session = open_session(alice, profile)["id"]
    catalog = alice.get(f"/profiles/{profile}/catalog").json()
    bench_shop = shop_from_catalog(catalog, profile_id=profile, session_id=session)
    orders = generate_orders(bench_shop, ORDERS, seed=7)

    results = sync(alice, session, *orders)

    assert [r["status"] for r in results] == ["created"] * ORDERS, [
        r["error"] for r in results if r["status"] != "created"
    ][:3]
    # The baseline's rows carry the server's figures too.
    (rows,) = baseline_rows(bench_shop, orders, ORDERS, session)
    by_uuid = {r["order"]["uuid"]: r["order"] for r in results}
    for row in rows.orders:
        served = by_uuid[row[1]]
        assert [
            Decimal(v).scaleb(STORED_PLACES) for v in (served["net_total"], served["tax_total"])
        ] == [
            row[10],
            row[11],
        ]
    # One row per tax of each line, as the server writes them.
    stored = OrderLineTax.objects.filter(order__session_id=session)
    assert len(rows.line_taxes) == stored.count()
    assert sum(row[10] for row in rows.line_taxes) == (
        sum(t.amount for t in stored).scaleb(STORED_PLACES)
    )
