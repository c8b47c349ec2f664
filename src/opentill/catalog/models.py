"""What is sold and to whom: taxes, categories, products, customers, stock moves."""

from __future__ import annotations

from django.db import models

from opentill.common.fields import MoneyField, QuantityField, RateField


class Tax(models.Model):
    company = models.ForeignKey("stores.Company", on_delete=models.PROTECT, related_name="taxes")
    name = models.CharField(max_length=100)
    rate = RateField(help_text="Percent, e.g. 21.0000")
    account = models.ForeignKey(
        "accounting.LedgerAccount",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Tax payable",
    )
    # Changed on every save: the catalog's ETag follows it (opentill.catalog.selectors).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "taxes"
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gte=0), name="tax_rate_non_negative")
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    sequence = models.PositiveIntegerField(default=10)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["sequence", "name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    company = models.ForeignKey("stores.Company", on_delete=models.PROTECT, related_name="products")
    sku = models.CharField(max_length=64, unique=True)
    barcode = models.CharField(max_length=64, null=True, blank=True, unique=True)
    name = models.CharField(max_length=200)
    price = MoneyField(help_text="Unit price; including tax when the company's prices include tax")
    tax = models.ForeignKey(Tax, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    income_account = models.ForeignKey(
        "accounting.LedgerAccount", on_delete=models.PROTECT, related_name="+"
    )
    stock_tracked = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Customer(models.Model):
    company = models.ForeignKey(
        "stores.Company", on_delete=models.PROTECT, related_name="customers"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    tax_id = models.CharField(max_length=50, blank=True)
    address = models.TextField(blank=True)
    is_walk_in = models.BooleanField(
        default=False, help_text="Receives anonymous orders in invoices"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(is_walk_in=True),
                name="one_walk_in_customer_per_company",
            )
        ]

    def __str__(self) -> str:
        return self.name


class StockMove(models.Model):
    """Stock leaving (negative) or entering (positive, refunds) a store."""

    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="stock_moves")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_moves")
    quantity = QuantityField()
    session = models.ForeignKey(
        "pos.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="stock_moves"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"
