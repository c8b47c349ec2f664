"""The orders the bench sends, generated from the demo shop's catalog and priced by the
server's own pricing (:mod:`opentill.orders.pricing`), so their payments match exactly."""

from __future__ import annotations

import random
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from opentill.bench.client import Api
from opentill.bench.errors import BenchError
from opentill.money import CENT, quantize
from opentill.orders.pricing import Conventions, LineInput, OrderPrice, TaxSpec, price_order

PROFILE_NAME = "Till 2"  # no opening control
REFUND_SHARE = 0.05
SPLIT_SHARE = 0.30
WEIGHED_SHARE = 0.05
CUSTOMER_SHARE = 0.02


@dataclass(frozen=True)
class Product:
    id: int
    price: Decimal
    taxes: tuple[TaxSpec, ...]

    @property
    def tax_rate(self) -> Decimal:
        """The rate of its percent taxes together (what the plain-SQL baseline stores)."""
        return sum((t.rate for t in self.taxes), Decimal(0))


@dataclass(frozen=True)
class Shop:
    """What the bench reads from the API: the profile, its catalog, the open session."""

    profile_id: int
    session_id: int
    products: tuple[Product, ...]
    cash_id: int
    card_id: int
    customers: tuple[int, ...]
    conventions: Conventions


def open_shop(api: Api) -> Shop:
    """Find Till 2, read its catalog and create (open) a session on it."""
    profiles = api.call("GET", "/profiles")
    profile = next((p for p in profiles if p["name"] == PROFILE_NAME), None)
    if profile is None:
        raise BenchError(f"no profile {PROFILE_NAME!r} in the demo shop")
    catalog = api.call("GET", f"/profiles/{profile['id']}/catalog")
    if catalog["company"]["cash_rounding"] not in ("0.01", "0.00"):
        raise BenchError("the bench expects no cash rounding (step 0.01)")
    session = api.call("POST", f"/profiles/{profile['id']}/sessions", {}, expect=201)
    if session["state"] == "opening_control":
        session = api.call("POST", f"/sessions/{session['id']}/open", {"counts": [], "notes": ""})
    if session["state"] != "in_progress":
        raise BenchError(f"the session is {session['state']}, not in_progress")
    return shop_from_catalog(catalog, profile_id=profile["id"], session_id=session["id"])


def shop_from_catalog(catalog: dict[str, Any], *, profile_id: int, session_id: int) -> Shop:
    """The :class:`Shop` of a profile's catalog (``GET /profiles/{id}/catalog``)."""
    methods = {m["kind"]: m["id"] for m in catalog["payment_methods"]}
    return Shop(
        profile_id=profile_id,
        session_id=session_id,
        products=tuple(
            Product(p["id"], Decimal(p["price"]), tuple(_tax(t) for t in p["taxes"]))
            for p in catalog["products"]
        ),
        cash_id=methods["cash"],
        card_id=methods["card"],
        customers=tuple(c["id"] for c in catalog["customers"] if not c["is_walk_in"]),
        conventions=Conventions(
            tax_rounding=catalog["company"]["tax_rounding"],
            discount_rounding=catalog["company"]["discount_rounding"],
        ),
    )


def _tax(tax: dict[str, Any]) -> TaxSpec:
    """A tax of the catalog as pricing takes it."""
    return TaxSpec(
        id=tax["id"],
        kind=tax["kind"],
        rate=Decimal(tax["rate"]),
        amount=Decimal(tax["amount"]),
        price_include=tax["price_include"],
        include_base_amount=tax["include_base_amount"],
        sequence=tax["sequence"],
    )


def money(value: Decimal) -> str:
    """``Decimal('-2.2')`` → ``"-2.20"``."""
    return f"{quantize(value):f}"


def price(shop: Shop, lines: list[tuple[Product, Decimal]]) -> OrderPrice:
    """What the server charges for ``(product, quantity)`` lines at the product's price, no
    discount: the server's own :func:`~opentill.orders.pricing.price_order` with the
    company's settings (the bench refuses a shop with cash rounding, see :func:`open_shop`)."""
    return price_order(
        [
            LineInput(quantity, product.price, Decimal(0), product.taxes)
            for product, quantity in lines
        ],
        conventions=shop.conventions,
    )


def _quantity(rng: random.Random, refund: bool) -> Decimal:
    if rng.random() < WEIGHED_SHARE:
        value = Decimal(rng.randint(50, 2500)).scaleb(-3)  # 0.050 … 2.500 (weighed goods)
    else:
        value = Decimal(rng.choice((1, 1, 1, 2, 2, 3)))
    return -value if refund else value


def _payments(rng: random.Random, total: Decimal, shop: Shop) -> list[dict[str, Any]]:
    """One payment, or cash + card for about 30 % of the sales; refunds go back in one."""
    if total > 0 and total >= Decimal("0.02") and rng.random() < SPLIT_SHARE:
        cash = Decimal(rng.randint(1, int(total / CENT) - 1)) * CENT
        return [
            {"payment_method": shop.cash_id, "amount": money(cash)},
            {"payment_method": shop.card_id, "amount": money(total - cash)},
        ]
    method = shop.cash_id if rng.random() < 0.55 else shop.card_id
    return [{"payment_method": method, "amount": money(total)}]


def generate_orders(shop: Shop, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` order payloads, the same for the same seed: about 3 lines each (both tax
    rates), 1–2 payments that match the server's total exactly, about 5 % refunds."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 21, 8, 0, tzinfo=timezone(timedelta(hours=1)))
    orders = []
    for index in range(count):
        refund = rng.random() < REFUND_SHARE
        lines = [
            (rng.choice(shop.products), _quantity(rng, refund))
            for _ in range(rng.choice((1, 2, 3, 3, 4, 5)))
        ]
        total = price(shop, lines).amount_due
        order: dict[str, Any] = {
            "uuid": str(uuidlib.UUID(int=rng.getrandbits(128), version=4)),
            "created_at": (start + timedelta(seconds=index)).isoformat(),
            "lines": [
                {"product": product.id, "quantity": f"{quantity:f}"} for product, quantity in lines
            ],
            "payments": _payments(rng, total, shop),
        }
        if shop.customers and rng.random() < CUSTOMER_SHARE:
            order["customer"] = rng.choice(shop.customers)
        orders.append(order)
    return orders
