"""What is sold and to whom: taxes, categories, products, customers, stock moves."""

from __future__ import annotations

from django.db import models

from opentill.common.fields import MoneyField, QuantityField, RateField
from opentill.stores.models import check_amounts


class Tax(models.Model):
    """A tax: a percent of its base or a fixed amount per unit, included in the price or
    on top, applied in sequence (see opentill.orders.pricing)."""

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percent of the base"
        FIXED = "fixed", "Fixed amount per unit"

    company = models.ForeignKey("stores.Company", on_delete=models.PROTECT, related_name="taxes")
    name = models.CharField(max_length=100, help_text="As journal lines and reports show it")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PERCENT)
    rate = RateField(default=0, help_text="Percent, e.g. 21.0000 (percent taxes)")
    amount = MoneyField(default=0, help_text="Per unit sold (fixed taxes), e.g. a bottle deposit")
    price_include = models.BooleanField(
        "price includes tax",
        default=True,
        help_text="The product's price already holds this tax (else it comes on top)",
    )
    include_base_amount = models.BooleanField(
        "affects the base of later taxes",
        default=False,
        help_text="This tax's amount joins the base of the taxes after it (e.g. an excise under VAT)",
    )
    sequence = models.PositiveIntegerField(default=10, help_text="Taxes apply in this order")
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
        ordering = ["sequence", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gte=0), name="tax_rate_non_negative"),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="tax_amount_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="percent", amount=0) | models.Q(kind="fixed", rate=0),
                name="tax_kind_has_its_figure",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        check_amounts(self.company if self.company_id else None, amount=self.amount)


class FiscalPosition(models.Model):
    """Maps taxes (and income accounts) to others for one order: take-away instead of
    eat-in, an export or intra-community customer exempted."""

    company = models.ForeignKey(
        "stores.Company", on_delete=models.PROTECT, related_name="fiscal_positions"
    )
    name = models.CharField(max_length=100)
    note = models.TextField(blank=True, help_text="The legal mention printed on the receipt")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="fiscal_position_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class FiscalPositionTax(models.Model):
    """Under the position, ``tax_src`` is replaced by ``tax_dest`` (none: exempted). Several
    rows with one source replace it by several taxes."""

    position = models.ForeignKey(FiscalPosition, on_delete=models.CASCADE, related_name="tax_maps")
    tax_src = models.ForeignKey(Tax, on_delete=models.PROTECT, related_name="+")
    tax_dest = models.ForeignKey(
        Tax, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["position", "tax_src", "tax_dest"], name="fiscal_position_tax_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tax_src} → {self.tax_dest or 'exempt'}"


class FiscalPositionAccount(models.Model):
    """Under the position, sales booked on ``account_src`` go to ``account_dest``."""

    position = models.ForeignKey(
        FiscalPosition, on_delete=models.CASCADE, related_name="account_maps"
    )
    account_src = models.ForeignKey(
        "accounting.LedgerAccount", on_delete=models.PROTECT, related_name="+"
    )
    account_dest = models.ForeignKey(
        "accounting.LedgerAccount", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["position", "account_src"], name="fiscal_position_account_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_src} → {self.account_dest}"


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
    price = MoneyField(help_text="Unit price, holding the taxes that are price-included")
    taxes = models.ManyToManyField(Tax, blank=True, related_name="products")
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

    def clean(self) -> None:
        super().clean()
        check_amounts(self.company if self.company_id else None, price=self.price)


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
    fiscal_position = models.ForeignKey(
        FiscalPosition,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Applied to this customer's orders by default (e.g. an export customer)",
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
