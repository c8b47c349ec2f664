"""Ledger accounts, G/L items, financial accounts, reconciliations and journal entries."""

from __future__ import annotations

from django.db import models

from opentill.common.fields import MoneyField


class LedgerAccount(models.Model):
    """An account of the chart. Once a journal line is posted on it (``posted``), its code
    and kind are kept (the service and a database trigger refuse the change); its label may
    be renamed, and the lines keep the label they were posted with."""

    class Kind(models.TextChoices):
        ASSET = "asset", "Asset"
        LIABILITY = "liability", "Liability"
        EQUITY = "equity", "Equity"
        INCOME = "income", "Income"
        EXPENSE = "expense", "Expense"

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    posted = models.BooleanField(
        default=False,
        editable=False,
        help_text="Journal lines are posted on it: its code and kind are kept",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GLItem(models.Model):
    """A named posting purpose ("Cash difference", "Cash drop"…) mapped to a ledger account."""

    name = models.CharField(max_length=100, unique=True)
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="gl_items")

    class Meta:
        verbose_name = "G/L item"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FinancialAccount(models.Model):
    """A money container (drawer, card clearing, safe, bank) whose balance is the sum of its
    transactions."""

    class Kind(models.TextChoices):
        DRAWER = "drawer", "Cash drawer"
        CLEARING = "clearing", "Clearing account"
        SAFE = "safe", "Safe"
        BANK = "bank", "Bank account"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    ledger_account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="financial_accounts",
        help_text="The store whose money it holds; blank: the company's (e.g. its bank), seen "
        "only by users of every store",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Reconciliation(models.Model):
    """Closes a period of a financial account: the transactions it cleared, start and end."""

    account = models.ForeignKey(
        FinancialAccount, on_delete=models.PROTECT, related_name="reconciliations"
    )
    session = models.ForeignKey(
        "pos.Session",
        on_delete=models.PROTECT,
        related_name="reconciliations",
        null=True,
        blank=True,
    )
    start_balance = MoneyField()
    end_balance = MoneyField()
    transaction_count = models.PositiveIntegerField(default=0)
    processed = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The account's last reconciliation (the next one's start balance), read at every
            # close: one index step whatever the account's history.
            models.Index(fields=["account", "-id"], name="reconciliation_account_last")
        ]

    def __str__(self) -> str:
        return f"Reconciliation {self.pk} of {self.account}"


class FinancialTransaction(models.Model):
    """One deposit (positive) or withdrawal (negative) on a financial account."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        OPENING_DIFFERENCE = "opening_difference", "Opening difference"
        DIFFERENCE = "difference", "Cash difference"
        TRANSFER = "transfer", "Close transfer"
        DROP = "drop", "Cash drop"
        DEPOSIT = "deposit", "Cash deposit"
        ADJUSTMENT = "adjustment", "Adjustment"

    account = models.ForeignKey(
        FinancialAccount, on_delete=models.PROTECT, related_name="transactions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = MoneyField(help_text="Positive: deposit; negative: withdrawal")
    gl_item = models.ForeignKey(
        GLItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.CharField(max_length=255, blank=True)
    session = models.ForeignKey(
        "pos.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    reconciliation = models.ForeignKey(
        Reconciliation, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["account", "reconciliation"], name="fintx_account_recon")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.account_id}"

    @property
    def deposit(self):
        return self.amount if self.amount > 0 else None

    @property
    def withdrawal(self):
        return -self.amount if self.amount < 0 else None


class JournalEntry(models.Model):
    class Kind(models.TextChoices):
        SESSION = "session", "Session close"
        ORDER = "order", "Order (real time)"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    date = models.DateField()
    reference = models.CharField(max_length=200)
    session = models.ForeignKey(
        "pos.Session",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries",
    )
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "journal entries"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.reference


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="lines")
    account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="journal_lines"
    )
    account_name = models.CharField(
        max_length=200, blank=True, help_text="The account's label when the line was posted"
    )
    debit = MoneyField(default=0)
    credit = MoneyField(default=0)
    label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(debit__gte=0) & models.Q(credit__gte=0),
                name="journal_line_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(debit=0) | models.Q(credit=0), name="journal_line_one_side"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.code} D{self.debit} C{self.credit}"
