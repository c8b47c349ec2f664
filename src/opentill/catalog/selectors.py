"""Reads of the catalog: what a terminal caches to sell offline, and its version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Max, Prefetch, QuerySet

from opentill.catalog.models import (
    Category,
    Customer,
    FiscalPosition,
    FiscalPositionTax,
    Product,
    Tax,
)


def products_for_company(*, company_id: int) -> QuerySet[Product]:
    """The products a till sells, with their taxes in the order they apply."""
    return (
        Product.objects.filter(company_id=company_id, active=True)
        .select_related("category")
        .prefetch_related(Prefetch("taxes", queryset=Tax.objects.order_by("sequence", "id")))
        .order_by("name")
    )


def taxes_for_company(*, company_id: int) -> QuerySet[Tax]:
    return Tax.objects.filter(company_id=company_id).order_by("sequence", "id")


def fiscal_positions(
    *, company_id: int, offered: Iterable[int | None]
) -> list[tuple[FiscalPosition, dict[int, list[int]]]]:
    """The positions a till offers and those its customers default to, each with its tax
    mappings (source tax id → the ids that replace it; an empty list exempts)."""
    customers = Customer.objects.filter(company_id=company_id, fiscal_position__isnull=False)
    ids = {pk for pk in offered if pk is not None}
    ids |= set(customers.values_list("fiscal_position_id", flat=True))
    positions = FiscalPosition.objects.filter(company_id=company_id, pk__in=ids).order_by("name")
    maps = position_tax_maps(position_ids=ids)
    return [(fp, maps[fp.pk]) for fp in positions]


def position_tax_maps(*, position_ids: Iterable[int]) -> dict[int, dict[int, list[int]]]:
    """Each position's tax mappings: source tax id → the ids that replace it (an empty
    list exempts it), in the order they were entered; one query."""
    ids = set(position_ids)
    maps: dict[int, dict[int, list[int]]] = {pk: {} for pk in ids}
    for position_id, src, dest in (
        FiscalPositionTax.objects.filter(position_id__in=ids)
        .order_by("id")
        .values_list("position_id", "tax_src_id", "tax_dest_id")
    ):
        targets = maps[position_id].setdefault(src, [])
        if dest is not None:
            targets.append(dest)
    return maps


def customers_for_company(*, company_id: int) -> QuerySet[Customer]:
    return Customer.objects.filter(company_id=company_id).order_by("name")


def categories() -> QuerySet[Category]:
    return Category.objects.all()


def _fingerprint(qs: QuerySet[Any]) -> tuple[Any, ...]:
    """What changes when a row of ``qs`` is added, deleted or saved: one aggregate query."""
    row = qs.aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    return (row["n"], row["last"], row["top"])


def catalog_version(*, company_id: int, small_parts: Any) -> str:
    """A version of a profile's catalog that changes whenever its content does, cheap to
    compute: a few aggregates (row count, latest ``updated_at``, highest id) over the
    products, taxes, categories and customers, and the small parts of the catalog itself
    (company settings, payment methods, limits) given as ``small_parts``.

    Rows changed by a bulk ``QuerySet.update()`` keep their ``updated_at``: catalog edits go
    through ``save()`` (back office, demo loader), which sets it.
    """
    tables: list[tuple[str, QuerySet[Any]]] = [
        ("products", Product.objects.filter(company_id=company_id)),
        ("taxes", Tax.objects.filter(company_id=company_id)),
        ("fiscal_positions", FiscalPosition.objects.filter(company_id=company_id)),
        ("categories", Category.objects.all()),
        ("customers", Customer.objects.filter(company_id=company_id)),
    ]
    parts: dict[str, Any] = {name: _fingerprint(qs) for name, qs in tables}
    parts["small"] = small_parts
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
