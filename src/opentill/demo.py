"""The demo shop: one company, one store, two tills, 20 products, three users.

Idempotent: running it again updates the same rows (looked up by natural keys).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from opentill.accounting.models import FinancialAccount, GLItem, LedgerAccount
from opentill.catalog.models import (
    Category,
    Customer,
    FiscalPosition,
    FiscalPositionTax,
    Product,
    Tax,
)
from opentill.identity.services import user_create
from opentill.pos.models import Denomination, PaymentMethod, PosProfile
from opentill.stores.models import Company, Store

DEMO_PASSWORD = "demo"
DEMO_PINS = {"manager": "1234"}  # approvals typed on the cashier's screen
DEMO_USERS = (
    ("manager", ["manager"]),
    ("alice", ["cashier"]),
    ("bob", ["cashier"]),
    ("accountant", ["accountant"]),
)

CHART = [
    ("1000", "Cash in drawers", "asset"),
    ("1010", "Safe", "asset"),
    ("1020", "Card clearing", "asset"),
    ("1100", "Bank", "asset"),
    ("1400", "Inventory", "asset"),
    ("2000", "VAT payable 21%", "liability"),
    ("2010", "VAT payable 6%", "liability"),
    ("2020", "VAT payable 12%", "liability"),
    ("3000", "Owner's equity", "equity"),
    ("4000", "Customers", "asset"),
    ("7000", "Sales of goods", "income"),
    ("7010", "Sales of food", "income"),
    ("6580", "Cash differences", "expense"),
    ("6590", "Cash rounding", "expense"),
]

EUR_COINS = ["0.01", "0.02", "0.05", "0.10", "0.20", "0.50", "1.00", "2.00"]
EUR_NOTES = ["5.00", "10.00", "20.00", "50.00", "100.00", "200.00", "500.00"]

PRODUCTS = [
    # sku, name, price (tax included), rate, category
    ("COF-ESP", "Espresso", "2.20", "6", "Drinks"),
    ("COF-CAP", "Cappuccino", "3.10", "6", "Drinks"),
    ("TEA-GRN", "Green tea", "2.60", "6", "Drinks"),
    ("JUI-ORA", "Orange juice", "3.40", "6", "Drinks"),
    ("WAT-STL", "Still water 50 cl", "1.80", "6", "Drinks"),
    ("BRD-SOU", "Sourdough loaf", "4.50", "6", "Bakery"),
    ("BRD-CRO", "Croissant", "1.60", "6", "Bakery"),
    ("BRD-BAG", "Baguette", "2.10", "6", "Bakery"),
    ("SNK-CHO", "Dark chocolate bar", "2.95", "6", "Food"),
    ("SNK-APP", "Apple", "0.65", "6", "Food"),
    ("MUG-WHT", "White mug", "9.90", "21", "Goods"),
    ("MUG-BLK", "Black mug", "9.90", "21", "Goods"),
    ("BAG-TOT", "Tote bag", "12.50", "21", "Goods"),
    ("BOO-NOT", "Notebook A5", "6.75", "21", "Goods"),
    ("PEN-BLU", "Blue pen", "1.95", "21", "Goods"),
    ("CAR-GFT", "Greeting card", "3.50", "21", "Goods"),
    ("CAN-SOY", "Soy candle", "14.95", "21", "Goods"),
    ("COF-BEA", "Coffee beans 250 g", "8.40", "6", "Food"),
    ("TEE-LOG", "T-shirt with logo", "19.99", "21", "Goods"),
    ("BAT-AA4", "AA batteries (4)", "5.49", "21", "Goods"),
    # Eaten in (a restaurant service, 12 %) unless the ticket is take-away (6 %).
    ("SND-HAM", "Ham sandwich", "5.30", "12", "Food"),
    ("SOU-DAY", "Soup of the day", "4.80", "12", "Food"),
]


def _upsert(model: Any, lookup: dict[str, Any], values: dict[str, Any]) -> Any:
    obj, _ = model.objects.update_or_create(**lookup, defaults=values)
    return obj


@transaction.atomic
def demo_load() -> dict[str, Any]:
    """Create or update the demo shop; return what a person needs to log in."""
    accounts = {
        code: _upsert(LedgerAccount, {"code": code}, {"name": name, "kind": kind})
        for code, name, kind in CHART
    }
    gl = {
        "difference": _upsert(GLItem, {"name": "Cash difference"}, {"account": accounts["6580"]}),
        "drop": _upsert(GLItem, {"name": "Cash drop"}, {"account": accounts["1010"]}),
        "deposit": _upsert(GLItem, {"name": "Cash deposit"}, {"account": accounts["1010"]}),
        "transfer": _upsert(GLItem, {"name": "Close transfer"}, {"account": accounts["1010"]}),
    }
    company = Company.objects.filter(name="OpenTill Demo Shop").first() or Company(
        name="OpenTill Demo Shop"
    )
    company.currency = "EUR"
    company.locale = "nl-BE"
    company.time_zone = "Europe/Brussels"
    company.prices_include_tax = True
    company.cash_rounding = Decimal("0.01")
    company.tax_rounding = Company.TaxRounding.PER_LINE
    company.rounding_account = accounts["6590"]
    company.receivable_account = accounts["4000"]
    company.save()
    walk_in = _upsert(
        Customer, {"company": company, "is_walk_in": True}, {"name": "Walk-in customer"}
    )
    _upsert(
        Customer,
        {"company": company, "name": "Café De Hoek"},
        {"email": "orders@dehoek.example", "tax_id": "BE0123456789"},
    )
    _upsert(
        Customer,
        {"company": company, "name": "Jansen Architects"},
        {"email": "office@jansen.example", "tax_id": "BE0987654321"},
    )
    company.walk_in_customer = walk_in
    company.save(update_fields=["walk_in_customer"])
    store = _upsert(
        Store,
        {"company": company, "name": "Main Street"},
        {"address": "Main Street 1, 1000 Brussels"},
    )
    taxes = {
        "21": _upsert(
            Tax,
            {"company": company, "name": "VAT 21%"},
            {"rate": Decimal("21"), "account": accounts["2000"]},
        ),
        "6": _upsert(
            Tax,
            {"company": company, "name": "VAT 6%"},
            {"rate": Decimal("6"), "account": accounts["2010"]},
        ),
        "12": _upsert(
            Tax,
            {"company": company, "name": "VAT 12%"},
            {"rate": Decimal("12"), "account": accounts["2020"]},
        ),
    }
    take_away = _upsert(
        FiscalPosition,
        {"company": company, "name": "Take-away"},
        {"note": "Take-away: food at the reduced rate"},
    )
    _upsert(
        FiscalPositionTax,
        {"position": take_away, "tax_src": taxes["12"]},
        {"tax_dest": taxes["6"]},
    )
    categories = {
        name: _upsert(Category, {"name": name}, {"sequence": i * 10})
        for i, name in enumerate(["Drinks", "Bakery", "Food", "Goods"])
    }
    for index, (sku, name, price, rate, category) in enumerate(PRODUCTS):
        product = _upsert(
            Product,
            {"sku": sku},
            {
                "company": company,
                "barcode": f"54000000{index:05d}",
                "name": name,
                "price": Decimal(price),
                "category": categories[category],
                "income_account": accounts["7000" if rate == "21" else "7010"],
                "stock_tracked": True,
                "active": True,
            },
        )
        product.taxes.set([taxes[rate]])
    safe = _upsert(
        FinancialAccount,
        {"name": "Safe"},
        {"kind": "safe", "ledger_account": accounts["1010"], "store": store},
    )
    bank = _upsert(
        FinancialAccount, {"name": "Bank"}, {"kind": "bank", "ledger_account": accounts["1100"]}
    )
    for number, opening_control in ((1, True), (2, False)):
        profile = _upsert(
            PosProfile,
            {"code": f"TILL{number}"},
            {
                "store": store,
                "name": f"Till {number}",
                "opening_control": opening_control,
                "blind_close": False,
                "max_difference": Decimal("5.00"),
                "posting_mode": PosProfile.PostingMode.PER_SESSION,
                "stock_mode": PosProfile.StockMode.REAL_TIME,
                "active": True,
            },
        )
        profile.fiscal_positions.set([take_away])
        drawer = _upsert(
            FinancialAccount,
            {"name": f"Till {number} cash drawer"},
            {"kind": "drawer", "ledger_account": accounts["1000"], "store": store},
        )
        clearing = _upsert(
            FinancialAccount,
            {"name": f"Till {number} card clearing"},
            {"kind": "clearing", "ledger_account": accounts["1020"], "store": store},
        )
        cash = _upsert(
            PaymentMethod,
            {"profile": profile, "name": "Cash"},
            {
                "kind": "cash",
                "sequence": 10,
                "financial_account": drawer,
                "cash_difference_gl_item": gl["difference"],
                "keep_policy": PaymentMethod.KeepPolicy.FIXED,
                "keep_amount": Decimal("100.00"),
                "close_destination": safe,
                "transfer_gl_item": gl["transfer"],
                "drop_gl_item": gl["drop"],
                "deposit_gl_item": gl["deposit"],
            },
        )
        for value in EUR_COINS + EUR_NOTES:
            _upsert(
                Denomination,
                {"payment_method": cash, "value": Decimal(value)},
                {"kind": "coin" if value in EUR_COINS else "note"},
            )
        _upsert(
            PaymentMethod,
            {"profile": profile, "name": "Card"},
            {
                "kind": "card",
                "sequence": 20,
                "financial_account": clearing,
                "cash_difference_gl_item": None,
                "keep_policy": PaymentMethod.KeepPolicy.NONE,
                "keep_amount": Decimal("0.00"),
                "close_destination": bank,
                "transfer_gl_item": gl["transfer"],
            },
        )
    for username, roles in DEMO_USERS:
        user_create(
            username=username, password=DEMO_PASSWORD, roles=roles, pin=DEMO_PINS.get(username)
        )
    return {"users": [u for u, _ in DEMO_USERS], "password": DEMO_PASSWORD, "pins": DEMO_PINS}
