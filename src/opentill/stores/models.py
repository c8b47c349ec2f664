"""The legal entity and its shops."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from opentill.common.fields import MoneyField
from opentill.money import currency_places, not_in_places, unit


class Company(models.Model):
    class TaxRounding(models.TextChoices):
        PER_LINE = "per_line", "Per line: each tax of each line is rounded"
        GLOBAL = "global", "Globally: each tax rounded once per order, sales and refunds apart"

    class DiscountRounding(models.TextChoices):
        DISCOUNT = "discount", "Round the amount taken off"
        LINE = "line", "Round the discounted line once"

    class CashRoundingMode(models.TextChoices):
        HALF_UP = "half_up", "Half up (to the nearest step, halves away from zero)"
        UP = "up", "Up (away from zero)"
        DOWN = "down", "Down (towards zero)"

    class CashRoundingScope(models.TextChoices):
        CASH = "cash", "Cash only: what is left to pay in cash is rounded"
        ALL = "all", "Every method: the order total is rounded"

    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="EUR")
    locale = models.CharField(max_length=20, default="en-IE")
    time_zone = models.CharField(max_length=64, default="Europe/Brussels")
    prices_include_tax = models.BooleanField(
        default=True, help_text="The default of a new tax's 'price includes tax'"
    )
    cash_rounding = MoneyField(
        default=Decimal("0.01"), help_text="Cash amounts due are rounded to a multiple of this step"
    )
    cash_rounding_mode = models.CharField(
        max_length=8, choices=CashRoundingMode.choices, default=CashRoundingMode.HALF_UP
    )
    cash_rounding_scope = models.CharField(
        max_length=4, choices=CashRoundingScope.choices, default=CashRoundingScope.CASH
    )
    tax_rounding = models.CharField(
        max_length=10, choices=TaxRounding.choices, default=TaxRounding.PER_LINE
    )
    discount_rounding = models.CharField(
        max_length=8, choices=DiscountRounding.choices, default=DiscountRounding.DISCOUNT
    )
    rounding_account = models.ForeignKey(
        "accounting.LedgerAccount",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # Customer receivables: orders invoiced one by one are posted here until they are paid.
    receivable_account = models.ForeignKey(
        "accounting.LedgerAccount",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    walk_in_customer = models.ForeignKey(
        "catalog.Customer", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name_plural = "companies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cash_rounding__gt=0), name="company_cash_rounding_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(tax_rounding__in=["per_line", "global"])
                & models.Q(discount_rounding__in=["discount", "line"])
                & models.Q(cash_rounding_mode__in=["half_up", "up", "down"])
                & models.Q(cash_rounding_scope__in=["cash", "all"]),
                name="company_conventions_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def places(self) -> int:
        """The decimals of the company's amounts: its currency's (ISO 4217), 0, 2 or 3."""
        return currency_places(self.currency)

    def clean(self) -> None:
        super().clean()
        if self.cash_rounding is not None and not_in_places(self.cash_rounding, self.places):
            raise ValidationError(
                {
                    "cash_rounding": f"The cash rounding step must be a multiple of "
                    f"{unit(self.places)} {self.currency} (the currency's smallest amount)."
                }
            )


def check_amounts(company: Company | None, **amounts: Decimal | None) -> None:
    """Refuse (``ValidationError`` naming each field) an amount with more decimals than
    ``company``'s currency has: a price of 12.345 in EUR, 100.50 in JPY. No company yet: no
    check (the form names the missing company)."""
    if company is None:
        return
    errors = {
        name: f"{value} has more decimals than {company.currency} amounts have ({company.places})."
        for name, value in amounts.items()
        if value is not None and not_in_places(value, company.places)
    }
    if errors:
        raise ValidationError(errors)


class Store(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="stores")
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="managed_stores",
        help_text="Managers of this store. A manager listed in no store manages every store.",
    )

    def __str__(self) -> str:
        return self.name
