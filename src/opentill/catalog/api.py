"""GET /api/v1/profiles/{id}/catalog."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from opentill.catalog import selectors
from opentill.common.problems import Problem
from opentill.money import RATE_PLACES, fmt
from opentill.pos.access import profile_may_use
from opentill.pos.api import PaymentMethodOut, profile_for_use

router = Router(tags=["catalog"])


class ProductOut(Schema):
    id: int
    sku: str
    barcode: str | None
    name: str
    price: str
    tax_rate: str
    category: int | None


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    tax_id: str
    is_walk_in: bool


class CategoryOut(Schema):
    id: int
    name: str


class DenominationOut(Schema):
    value: str
    kind: str


class CatalogPaymentMethodOut(PaymentMethodOut):
    keep_policy: str
    denominations: list[DenominationOut]


class CompanyOut(Schema):
    name: str
    currency: str
    locale: str
    time_zone: str
    prices_include_tax: bool
    cash_rounding: str
    tax_rounding: str


class CatalogOut(Schema):
    company: CompanyOut
    products: list[ProductOut]
    categories: list[CategoryOut]
    customers: list[CustomerOut]
    payment_methods: list[CatalogPaymentMethodOut]


@router.get("/profiles/{profile_id}/catalog", response=CatalogOut)
def catalog(request: HttpRequest, profile_id: int) -> dict[str, Any]:
    profile = profile_for_use(profile_id, request.user)
    if not profile_may_use(profile, request.user):
        raise Problem("forbidden", f"You may not use the profile {profile.name!r}.")
    company = profile.store.company
    return {
        "company": {
            "name": company.name,
            "currency": company.currency,
            "locale": company.locale,
            "time_zone": company.time_zone,
            "prices_include_tax": company.prices_include_tax,
            "cash_rounding": fmt(company.cash_rounding),
            "tax_rounding": company.tax_rounding,
        },
        "products": [
            {
                "id": p.pk,
                "sku": p.sku,
                "barcode": p.barcode,
                "name": p.name,
                "price": fmt(p.price),
                "tax_rate": fmt(p.tax.rate, RATE_PLACES),
                "category": p.category_id,
            }
            for p in selectors.products_for_company(company_id=company.pk)
        ],
        "categories": [{"id": c.pk, "name": c.name} for c in selectors.categories()],
        "customers": [
            {
                "id": c.pk,
                "name": c.name,
                "email": c.email,
                "tax_id": c.tax_id,
                "is_walk_in": c.is_walk_in,
            }
            for c in selectors.customers_for_company(company_id=company.pk)
        ],
        "payment_methods": [
            {
                "id": m.pk,
                "name": m.name,
                "kind": m.kind,
                "countable": m.countable,
                "keep_policy": m.keep_policy,
                "denominations": [
                    {"value": fmt(d.value), "kind": d.kind} for d in m.denominations.all()
                ],
            }
            for m in profile.payment_methods.prefetch_related("denominations")
        ],
    }
