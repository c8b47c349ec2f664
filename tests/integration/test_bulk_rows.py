"""The sync's bulk rows (issue #16): on PostgreSQL a batch's rows go by ``COPY`` from
``common.db.COPY_FROM`` rows on; the rows stored are exactly those of multi-row INSERTs —
orders, lines, line taxes, payments, financial transactions and fiscal records."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from opentill.accounting.models import FinancialTransaction
from opentill.common import db
from opentill.fiscal.models import FiscalRecord
from opentill.orders.models import Order, OrderLine, OrderLineTax, Payment
from tests.conftest import order
from tests.integration.closing_helpers import start_till1
from tests.integration.helpers import sync

ORDERS = 30  # 30 orders: 60 lines, line taxes and payments, 30 fiscal records


def _batch(shop: dict[str, Any]) -> list[dict[str, Any]]:
    cash, card = shop["cash1"].pk, shop["card1"].pk
    e, m = shop["espresso"].pk, shop["mug"].pk
    out = []
    for i in range(ORDERS):
        if i % 5 == 4:  # a refund
            out.append(order([(e, "-1"), (m, "-1")], [(cash, "-12.10")], note="é ✓"))
        else:
            out.append(
                order(
                    [(e, str(i % 3 + 1)), (m, "1.500")],
                    [(card, "1.00")],
                    created_at=f"2026-11-21T10:{i:02d}:03+01:00",
                )
            )
            due = Decimal("2.20") * (i % 3 + 1) + Decimal("14.85")
            out[-1]["payments"].append(
                {"payment_method": cash, "amount": f"{due - 1}", "tendered": "50.00"}
            )
    return out


def _rows(uuids: list[str]) -> list[Any]:
    orders = Order.objects.filter(uuid__in=uuids).order_by("created_at", "total")
    out = []
    for o in orders:
        out.append(
            (
                o.state,
                o.created_at,
                o.net_total,
                o.tax_total,
                o.total,
                o.rounding,
                o.amount_due,
                o.customer_id,
                o.requested_session_id,
                o.user_id,
                o.till_id,
                [
                    (
                        line.product_id,
                        line.quantity,
                        line.unit_price,
                        line.list_price,
                        line.discount_percent,
                        line.tax_label,
                        line.income_account_id,
                        line.discount,
                        line.net,
                        line.tax_amount,
                        line.total,
                        [
                            (
                                t.tax_id,
                                t.name,
                                t.kind,
                                t.rate,
                                t.account_id,
                                t.refund,
                                t.base,
                                t.amount,
                            )
                            for t in OrderLineTax.objects.filter(line=line).order_by("id")
                        ],
                    )
                    for line in OrderLine.objects.filter(order=o).order_by("id")
                ],
                list(
                    Payment.objects.filter(order=o)
                    .order_by("id")
                    .values_list("payment_method_id", "amount", "tendered", "change")
                ),
            )
        )
    return out


def test_copied_rows_are_the_inserted_rows(api_as, shop, monkeypatch):
    alice = api_as("alice")
    sid = start_till1(alice, shop)["id"]
    monkeypatch.setattr(db, "COPY_FROM", 10**9)  # multi-row INSERTs
    inserted = _batch(shop)
    assert {r["status"] for r in sync(alice, sid, *inserted)} == {"created"}
    before = FinancialTransaction.objects.count()
    monkeypatch.setattr(db, "COPY_FROM", 1)  # COPY on PostgreSQL
    copied = _batch(shop)
    assert {r["status"] for r in sync(alice, sid, *copied)} == {"created"}

    assert _rows([o["uuid"] for o in copied]) == _rows([o["uuid"] for o in inserted])
    assert len(_rows([o["uuid"] for o in copied])) == ORDERS
    # One financial transaction per method and batch, the same two amounts each time.
    amounts = list(
        FinancialTransaction.objects.order_by("id").values_list("account_id", "amount", "comment")
    )
    assert sorted(amounts[before:]) == sorted(amounts[before - 2 : before])
    # The fiscal records of both batches: the same figures, a chain that verifies.
    records = list(FiscalRecord.objects.order_by("sequence"))
    first, second = records[:ORDERS], records[ORDERS : 2 * ORDERS]
    strip = ("order", "created_at", "sequence", "ordered_at", "number")
    for a, b in zip(first, second, strict=True):
        da, dbb = json.loads(a.data), json.loads(b.data)
        assert {k: v for k, v in da.items() if k not in strip} == {
            k: v for k, v in dbb.items() if k not in strip
        }
        assert b.previous and b.signature and b.key_id == a.key_id
