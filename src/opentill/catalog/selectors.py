"""Reads of the catalog: what a terminal caches to sell offline, and its version."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db.models import Count, Max, QuerySet

from opentill.catalog.models import Category, Customer, Product, Tax


def products_for_company(*, company_id: int) -> QuerySet[Product]:
    return (
        Product.objects.filter(company_id=company_id, active=True)
        .select_related("tax", "category")
        .order_by("name")
    )


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
        ("categories", Category.objects.all()),
        ("customers", Customer.objects.filter(company_id=company_id)),
    ]
    parts: dict[str, Any] = {name: _fingerprint(qs) for name, qs in tables}
    parts["small"] = small_parts
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
