"""Profiles over HTTP: the list, a profile's catalog (what a terminal caches, with a cheap
refresh by ETag), its cash move destinations, and a session's cash moves. Sessions
themselves (figures, open, close) are served by closing/api.py."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import parse_etags
from ninja import Field, Router, Schema, Status

from opentill import limits
from opentill.catalog import selectors as catalog_selectors
from opentill.catalog.models import Tax
from opentill.common.schemas import Money, Text, problems
from opentill.money import RATE_PLACES, fmt
from opentill.pos import selectors, services
from opentill.pos.destinations import destinations_for
from opentill.pos.models import CashMove, PosProfile, Session
from opentill.pos.schemas import PaymentMethodOut
from opentill.pos.selectors import profile_for_use, session_for_read

router = Router(tags=["sessions"])

# --- wire schemas -----------------------------------------------------------------------


class CurrentSessionOut(Schema):
    id: int
    name: str
    state: str
    user: str
    training: bool = False


class ProfileOut(Schema):
    id: int
    name: str
    store: str
    currency: str
    opening_control: bool
    blind_close: bool
    max_difference: str
    payment_methods: list[PaymentMethodOut]
    current_session: CurrentSessionOut | None


# --- presenters ---------------------------------------------------------------------------


def profile_out(profile: PosProfile, current: Session | None) -> dict[str, Any]:
    return {
        "id": profile.pk,
        "name": profile.name,
        "store": profile.store.name,
        "currency": profile.store.company.currency,
        "opening_control": profile.opening_control,
        "blind_close": profile.blind_close,
        "max_difference": fmt(profile.max_difference, profile.store.company.places),
        "payment_methods": [
            {"id": m.pk, "name": m.name, "kind": m.kind, "countable": m.countable}
            for m in profile.payment_methods.all()
        ],
        "current_session": None
        if current is None
        else {
            "id": current.pk,
            "name": current.name,
            "state": current.state,
            "user": current.user.get_username(),
            "training": current.training,
        },
    }


# --- endpoints ----------------------------------------------------------------------------


@router.get("/profiles", response={200: list[ProfileOut], **problems()})
def profile_list(request: HttpRequest) -> list[dict[str, Any]]:
    profiles = selectors.profiles_for_user(user=request.user)
    current = selectors.current_sessions(profile_ids=[p.pk for p in profiles])
    return [profile_out(p, current.get(p.pk)) for p in profiles]


class CashMoveIn(Schema):
    uuid: uuidlib.UUID | None = None
    kind: str = Field(..., pattern="^(drop|deposit)$")
    payment_method: int
    amount: Money
    destination: Text = Field("", max_length=200)
    reason: Text = Field("", max_length=255)


class CashMoveOut(Schema):
    id: int
    uuid: uuidlib.UUID | None
    session: int
    kind: str
    payment_method: int
    amount: str
    destination: str
    reason: str
    created_at: datetime
    created_by: str


class DestinationsOut(Schema):
    drop: list[str]
    deposit: list[str]


def cash_move_out(move: CashMove, places: int) -> dict[str, Any]:
    """A cash move on the wire; ``places``: the decimals of the company's currency."""
    return {
        "id": move.pk,
        "uuid": move.uuid,
        "session": move.session_id,
        "kind": move.kind,
        "payment_method": move.payment_method_id,
        "amount": fmt(move.amount, places),
        "destination": move.destination,
        "reason": move.reason,
        "created_at": move.created_at,
        "created_by": move.created_by.get_username(),
    }


# exclude_unset: under blind close `expected` and `expected_total` are left out, while a
# pending order's `customer` is always there (null when none).
@router.post(
    "/sessions/{session_id}/cash-moves",
    response={200: CashMoveOut, 201: CashMoveOut, **problems(400, 403, 404, 409, 413, 422)},
)
def cash_move_create(request: HttpRequest, session_id: int, body: CashMoveIn) -> Status:
    """201 with the new move; 200 with the stored one when its ``uuid`` was sent before."""
    move, created = services.cash_move_create(
        session_id=session_id,
        user=request.user,
        kind=body.kind,
        payment_method_id=body.payment_method,
        amount=body.amount,
        destination=body.destination,
        reason=body.reason,
        uuid=body.uuid,
    )
    return Status(201 if created else 200, cash_move_out(move, move.session.places))


@router.get(
    "/sessions/{session_id}/cash-moves",
    response={200: list[CashMoveOut], **problems(403, 404, 422)},
)
def cash_move_list(request: HttpRequest, session_id: int) -> list[dict[str, Any]]:
    session = session_for_read(session_id, request.user)
    places = session.places
    return [cash_move_out(m, places) for m in session.cash_moves.select_related("created_by")]


@router.get(
    "/profiles/{profile_id}/cash-move-destinations",
    response={200: DestinationsOut, **problems(403, 404, 422)},
)
def cash_move_destinations(request: HttpRequest, profile_id: int) -> dict[str, Any]:
    profile = profile_for_use(profile_id, request.user)
    return {
        kind: [d.name for d in destinations_for(profile=profile, kind=kind)]
        for kind in ("drop", "deposit")
    }


# --- a profile's catalog ------------------------------------------------------------------


class TaxOut(Schema):
    id: int
    name: str
    kind: str = Field(..., description="percent, or fixed (an amount per unit)")
    rate: str = Field(..., description="percent (kind percent), e.g. 21.0000")
    amount: str = Field(..., description="per unit sold (kind fixed), e.g. 0.10")
    price_include: bool = Field(..., description="the product's price already holds it")
    include_base_amount: bool = Field(
        ..., description="its amount joins the base of the taxes after it"
    )
    sequence: int = Field(..., description="taxes apply in (sequence, id) order")


class ProductOut(Schema):
    id: int
    sku: str
    barcode: str | None
    name: str
    price: str = Field(..., description="holding the taxes that are price-included")
    taxes: list[TaxOut]
    tax_rate: str | None = Field(
        ..., description="the rate of a product with one percent tax, else null"
    )
    category: int | None


class FiscalPositionTaxOut(Schema):
    tax: int = Field(..., description="a tax id")
    to: list[int] = Field(..., description="the taxes that replace it: none exempts it")


class FiscalPositionOut(Schema):
    id: int
    name: str
    note: str
    taxes: list[FiscalPositionTaxOut]


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    tax_id: str
    is_walk_in: bool
    fiscal_position: int | None


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
    decimals: int = Field(..., description="decimals of the currency's amounts (0, 2 or 3)")
    locale: str
    time_zone: str
    prices_include_tax: bool = Field(..., description="the default of a new tax")
    tax_rounding: str = Field(..., description="per_line or global")
    discount_rounding: str = Field(..., description="discount or line")
    cash_rounding: str = Field(..., description="the cash rounding step, e.g. 0.05")
    cash_rounding_mode: str = Field(..., description="half_up, up or down")
    cash_rounding_scope: str = Field(..., description="cash or all")


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
    taxes: list[TaxOut] = Field(..., description="every tax of the company")
    fiscal_positions: list[FiscalPositionOut] = Field(
        ..., description="the positions the till offers and the customers' default ones"
    )
    fiscal_positions_offered: list[int] = Field(
        ..., description="the positions a cashier may choose on this till"
    )
    default_fiscal_position: int | None
    products: list[ProductOut]
    categories: list[CategoryOut]
    customers: list[CustomerOut]
    payment_methods: list[CatalogPaymentMethodOut]


def _tax_out(tax: Tax, places: int) -> dict[str, Any]:
    return {
        "id": tax.pk,
        "name": tax.name,
        "kind": tax.kind,
        "rate": fmt(tax.rate, RATE_PLACES),
        "amount": fmt(tax.amount, places),
        "price_include": tax.price_include,
        "include_base_amount": tax.include_base_amount,
        "sequence": tax.sequence,
    }


def _single_rate(taxes: Iterable[Tax]) -> str | None:
    """The rate of a product with one percent tax (what older terminals read), else None."""
    listed = list(taxes)
    if len(listed) == 1 and listed[0].kind == Tax.Kind.PERCENT:
        return fmt(listed[0].rate, RATE_PLACES)
    return None


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
    operation_id="opentill_catalog_api_catalog",
    tags=["catalog"],
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
        "decimals": company.places,
        "locale": company.locale,
        "time_zone": company.time_zone,
        "prices_include_tax": company.prices_include_tax,
        "tax_rounding": company.tax_rounding,
        "discount_rounding": company.discount_rounding,
        "cash_rounding": fmt(company.cash_rounding, company.places),
        "cash_rounding_mode": company.cash_rounding_mode,
        "cash_rounding_scope": company.cash_rounding_scope,
    }
    offered = sorted(profile.fiscal_positions.values_list("pk", flat=True))
    positions_out = {
        "offered": offered,
        "default": profile.default_fiscal_position_id,
    }
    methods_out = [
        {
            "id": m.pk,
            "name": m.name,
            "kind": m.kind,
            "countable": m.countable,
            "keep_policy": m.keep_policy,
            "denominations": [
                {"value": fmt(d.value, company.places), "kind": d.kind}
                for d in m.denominations.all()
            ],
        }
        for m in profile.payment_methods.prefetch_related("denominations")
    ]
    published = limits.published(company.places)
    version = catalog_selectors.catalog_version(
        company_id=company.pk, small_parts=[company_out, methods_out, published, positions_out]
    )
    etag = f'"{version}"'
    if _not_modified(request, etag):
        not_modified = HttpResponse(status=304)
        _cache_headers(not_modified, etag)
        return not_modified
    _cache_headers(response, etag)
    taxes_out = {
        t.pk: _tax_out(t, company.places)
        for t in catalog_selectors.taxes_for_company(company_id=company.pk)
    }
    return {
        "version": version,
        "limits": published,
        "company": company_out,
        "taxes": [taxes_out[pk] for pk in taxes_out],
        "fiscal_positions": [
            {
                "id": fp.pk,
                "name": fp.name,
                "note": fp.note,
                "taxes": [{"tax": src, "to": dest} for src, dest in maps.items()],
            }
            for fp, maps in catalog_selectors.fiscal_positions(
                company_id=company.pk, offered=[*offered, profile.default_fiscal_position_id]
            )
        ],
        "fiscal_positions_offered": offered,
        "default_fiscal_position": profile.default_fiscal_position_id,
        "products": [
            {
                "id": p.pk,
                "sku": p.sku,
                "barcode": p.barcode,
                "name": p.name,
                "price": fmt(p.price, company.places),
                "taxes": [taxes_out[t.pk] for t in p.taxes.all()],
                "tax_rate": _single_rate(p.taxes.all()),
                "category": p.category_id,
            }
            for p in catalog_selectors.products_for_company(company_id=company.pk)
        ],
        "categories": [{"id": c.pk, "name": c.name} for c in catalog_selectors.categories()],
        "customers": [
            {
                "id": c.pk,
                "name": c.name,
                "email": c.email,
                "tax_id": c.tax_id,
                "is_walk_in": c.is_walk_in,
                "fiscal_position": c.fiscal_position_id,
            }
            for c in catalog_selectors.customers_for_company(company_id=company.pk)
        ],
        "payment_methods": methods_out,
    }
