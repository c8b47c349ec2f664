"""Reads of the catalog: what a terminal caches to sell offline."""

from __future__ import annotations

from django.db.models import QuerySet

from opentill.catalog.models import Category, Customer, Product


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
