"""GET /api/v1/profiles/{id}/catalog: what a terminal caches, with a cheap refresh (ETag)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import parse_etags
from ninja import Field, Router, Schema

from opentill import limits
from opentill.catalog import selectors
from opentill.common.schemas import problems
from opentill.money import RATE_PLACES, fmt
from opentill.pos.schemas import PaymentMethodOut
from opentill.pos.selectors import profile_for_use

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
    version: str = Field(
        ..., description="changes whenever the catalog does; the ETag is this value, quoted"
    )
    limits: dict[str, str | int] = Field(
        ...,
        description="the bounds the server puts on amounts and quantities "
        "(opentill.limits): money and quantities as strings",
    )
    company: CompanyOut
    products: list[ProductOut]
    categories: list[CategoryOut]
    customers: list[CustomerOut]
    payment_methods: list[CatalogPaymentMethodOut]


def _not_modified(request: HttpRequest, etag: str) -> bool:
    """Whether the client's ``If-None-Match`` already names ``etag`` (weak comparison)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = [tag.removeprefix("W/") for tag in parse_etags(header)]
    return "*" in tags or etag in tags


def _cache_headers(response: HttpResponse, etag: str) -> None:
    response["ETag"] = etag
    # Always ask again (cheaply, with If-None-Match); only the user's own browser keeps it.
    response["Cache-Control"] = "private, no-cache"


@router.get(
    "/profiles/{profile_id}/catalog",
    response={200: CatalogOut, 304: None, **problems(403, 404, 422)},
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": "If-None-Match",
                "required": False,
                "schema": {"type": "string"},
                "description": "the ETag of the catalog the terminal holds: 304 with no body "
                "when nothing changed",
            }
        ]
    },
)
def catalog(request: HttpRequest, profile_id: int, response: HttpResponse) -> Any:
    """The catalog with a strong ``ETag`` (also in the body as ``version``); send it back
    in ``If-None-Match`` to get 304 and no body while nothing changed."""
    profile = profile_for_use(profile_id, request.user)
    company = profile.store.company
    company_out = {
        "name": company.name,
        "currency": company.currency,
        "locale": company.locale,
        "time_zone": company.time_zone,
        "prices_include_tax": company.prices_include_tax,
        "cash_rounding": fmt(company.cash_rounding),
        "tax_rounding": company.tax_rounding,
    }
    methods_out = [
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
    ]
    published = limits.published()
    version = selectors.catalog_version(
        company_id=company.pk, small_parts=[company_out, methods_out, published]
    )
    etag = f'"{version}"'
    if _not_modified(request, etag):
        not_modified = HttpResponse(status=304)
        _cache_headers(not_modified, etag)
        return not_modified
    _cache_headers(response, etag)
    return {
        "version": version,
        "limits": published,
        "company": company_out,
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
        "payment_methods": methods_out,
    }
