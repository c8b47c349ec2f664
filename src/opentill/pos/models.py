"""POS profiles, their payment methods, sessions, counts and cash moves."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models

from opentill.common.fields import MoneyField
from opentill.stores.models import check_amounts


class PosProfile(models.Model):
    """A till: its payment methods and the rules its sessions follow."""

    class PostingMode(models.TextChoices):
        PER_SESSION = "per_session", "One journal entry per session"
        PER_ORDER = "per_order", "One journal entry per order (real time)"

    class StockMode(models.TextChoices):
        REAL_TIME = "real_time", "Move stock when the order is synced"
        AT_CLOSE = "at_close", "Move stock at close"

    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="profiles")
    name = models.CharField(max_length=100)
    code = models.SlugField(
        max_length=20, unique=True, help_text="Prefix of session names, e.g. TILL1"
    )
    opening_control = models.BooleanField(default=True)
    blind_close = models.BooleanField(
        default=False, help_text="Hide expected amounts from cashiers at close"
    )
    max_difference = MoneyField(
        default=Decimal("0.00"), help_text="Maximum authorised difference per method"
    )
    posting_mode = models.CharField(
        max_length=12, choices=PostingMode.choices, default=PostingMode.PER_SESSION
    )
    invoicing_rule = models.CharField(
        max_length=100,
        blank=True,
        help_text="Entry point name in opentill.invoicing_rules; blank: the setting",
    )
    stock_mode = models.CharField(
        max_length=10, choices=StockMode.choices, default=StockMode.REAL_TIME
    )
    allowed_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="pos_profiles",
        help_text="Cashiers who may use this till; empty: every cashier",
    )
    active = models.BooleanField(default=True)
    fiscal_positions = models.ManyToManyField(
        "catalog.FiscalPosition",
        blank=True,
        related_name="+",
        help_text="Positions the cashier may choose for an order (e.g. Take-away)",
    )
    default_fiscal_position = models.ForeignKey(
        "catalog.FiscalPosition",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Applied to every order unless the cashier or the customer chooses another",
    )
    # The receipt printer that prints the Z report on close (ESC/POS over raw TCP).
    printer_host = models.CharField(
        max_length=255,
        blank=True,
        help_text="Network receipt printer (ESC/POS, raw TCP) that prints the Z report on close; blank: none",
    )
    printer_port = models.PositiveIntegerField(
        default=9100, validators=[MaxValueValidator(65535)], help_text="Raw TCP port, usually 9100"
    )
    printer_width = models.PositiveSmallIntegerField(
        choices=[(80, "80 mm"), (58, "58 mm")], default=80, help_text="Paper width"
    )

    class Meta:
        verbose_name = "POS profile"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_difference__gte=0),
                name="profile_max_difference_non_negative",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The receipt printer must be a host and port the server may connect to; the maximum
        difference an amount of the company's currency."""
        super().clean()
        check_amounts(
            self.store.company if self.store_id else None, max_difference=self.max_difference
        )
        if self.printer_host.strip():
            from opentill.pos.printer_target import PrinterTargetError, printer_target_check

            try:
                printer_target_check(self.printer_host, self.printer_port)
            except PrinterTargetError as exc:
                field = "printer_port" if str(exc).startswith("Port ") else "printer_host"
                raise ValidationError({field: str(exc)}) from exc


class PaymentMethod(models.Model):
    class Kind(models.TextChoices):
        CASH = "cash", "Cash"
        CARD = "card", "Card"
        OTHER = "other", "Other"

    class KeepPolicy(models.TextChoices):
        NONE = "none", "Keep nothing"
        ALL = "all", "Keep everything"
        FIXED = "fixed", "Keep a fixed amount"
        VARIABLE = "variable", "Keep an amount chosen at close"

    profile = models.ForeignKey(
        PosProfile, on_delete=models.PROTECT, related_name="payment_methods"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sequence = models.PositiveIntegerField(default=10)
    financial_account = models.OneToOneField(
        "accounting.FinancialAccount",
        on_delete=models.PROTECT,
        related_name="payment_method",
        help_text="Its own account: one account never serves two payment methods",
    )
    cash_difference_gl_item = models.ForeignKey(
        "accounting.GLItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set: the method is counted at close and differences are booked on this item",
    )
    keep_policy = models.CharField(
        max_length=10, choices=KeepPolicy.choices, default=KeepPolicy.NONE
    )
    keep_amount = MoneyField(default=Decimal("0.00"), help_text="For the fixed policy")
    close_destination = models.ForeignKey(
        "accounting.FinancialAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where counted minus kept goes at close",
    )
    transfer_gl_item = models.ForeignKey(
        "accounting.GLItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    drop_gl_item = models.ForeignKey(
        "accounting.GLItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deposit_gl_item = models.ForeignKey(
        "accounting.GLItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["profile", "sequence", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "name"], name="payment_method_name_per_profile"
            ),
            models.CheckConstraint(
                condition=models.Q(keep_amount__gte=0), name="payment_method_keep_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.profile_id})"

    @property
    def countable(self) -> bool:
        return self.cash_difference_gl_item_id is not None

    def _profile_has_active_session(self, profile_id: int | None) -> bool:
        if profile_id is None:
            return False
        return (
            Session.objects.filter(profile_id=profile_id)
            .exclude(state=Session.State.CLOSED)
            .exists()
        )

    def clean(self) -> None:
        """What a session expects must not change under it: no new, moved or re-accounted
        payment method while its profile has an active session. The float to keep is an
        amount of the company's currency."""
        super().clean()
        check_amounts(
            self.profile.store.company if self.profile_id else None, keep_amount=self.keep_amount
        )
        if self.pk is None:
            if self._profile_has_active_session(self.profile_id):
                raise ValidationError(
                    "The profile has an active session: add payment methods after it is closed."
                )
            return
        old = (
            PaymentMethod.objects.filter(pk=self.pk)
            .values("profile_id", "financial_account_id")
            .first()
        )
        if old is None:
            return
        changed = (
            old["profile_id"] != self.profile_id
            or old["financial_account_id"] != self.financial_account_id
        )
        if changed and (
            self._profile_has_active_session(old["profile_id"])
            or self._profile_has_active_session(self.profile_id)
        ):
            raise ValidationError(
                {
                    "financial_account": "The profile has an active session: change the method after it is closed."
                }
            )

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.clean()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self._profile_has_active_session(self.profile_id):
            raise ValidationError(
                "The profile has an active session: remove payment methods after it is closed."
            )
        return super().delete(*args, **kwargs)


class Denomination(models.Model):
    class Kind(models.TextChoices):
        COIN = "coin", "Coin"
        NOTE = "note", "Note"

    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.CASCADE, related_name="denominations"
    )
    value = MoneyField()
    kind = models.CharField(max_length=4, choices=Kind.choices)

    class Meta:
        ordering = ["payment_method", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment_method", "value"], name="denomination_unique_value"
            ),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="denomination_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.value}"

    def clean(self) -> None:
        """A coin or note is an amount of the company's currency (no 0.50 yen coin)."""
        super().clean()
        check_amounts(
            self.payment_method.profile.store.company if self.payment_method_id else None,
            value=self.value,
        )


class Session(models.Model):
    class State(models.TextChoices):
        NEW = "new", "New"
        OPENING_CONTROL = "opening_control", "Opening control"
        IN_PROGRESS = "in_progress", "In progress"
        CLOSING_CONTROL = "closing_control", "Closing control"
        CLOSED = "closed", "Closed"

    ACTIVE_STATES = (State.NEW, State.OPENING_CONTROL, State.IN_PROGRESS, State.CLOSING_CONTROL)

    profile = models.ForeignKey(PosProfile, on_delete=models.PROTECT, related_name="sessions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pos_sessions"
    )
    name = models.CharField(max_length=60, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.NEW)
    rescue = models.BooleanField(default=False)
    training = models.BooleanField(
        default=False,
        help_text="Training mode: its tickets are not sales (TRAINING on every receipt), left "
        "out of every total, report and export, and its close books nothing",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closing_started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opening_notes = models.TextField(blank=True)
    closing_notes = models.TextField(blank=True)
    force_close_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("validate_closing", "Can validate a closing that waits for a manager"),
            ("force_close", "Can force-close a session"),
        ]
        constraints = [
            # Two terminals racing to open the same till cannot both win.
            models.UniqueConstraint(
                fields=["profile"],
                condition=~models.Q(state="closed") & models.Q(rescue=False),
                name="one_active_session_per_profile",
            ),
            models.UniqueConstraint(
                fields=["profile"],
                condition=~models.Q(state="closed") & models.Q(rescue=True),
                name="one_open_rescue_session_per_profile",
            ),
        ]
        indexes = [
            models.Index(fields=["profile", "state"], name="session_profile_state"),
            # The dashboard's recent differences and the sessions export of a period: ranges
            # of closing and creation times, independent of how many years a shop has.
            models.Index(fields=["closed_at"], name="session_closed_at"),
            models.Index(fields=["created_at"], name="session_created_at"),
            models.Index(fields=["state", "created_at"], name="session_state_created_at"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def places(self) -> int:
        """The decimals of the session's amounts: its company's currency's (0, 2 or 3)."""
        return self.profile.store.company.places

    @property
    def is_active(self) -> bool:
        return self.state != self.State.CLOSED


class SessionCount(models.Model):
    """A counted amount of one payment method at opening, a partial close (X) or the close."""

    class Stage(models.TextChoices):
        OPENING = "opening", "Opening"
        PARTIAL = "partial", "Partial close (X)"
        CLOSING = "closing", "Closing"

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="counts")
    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=8, choices=Stage.choices)
    expected = MoneyField()
    counted = MoneyField()
    difference = MoneyField()
    keep = MoneyField(null=True, blank=True)
    transferred = MoneyField(null=True, blank=True)
    not_counted = models.BooleanField(
        default=False,
        help_text="Nobody counted it: the amount was taken as expected (force or rescue close)",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The manager whose approval let a difference beyond the maximum through",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "payment_method", "stage"],
                condition=~models.Q(stage="partial"),
                name="one_opening_and_closing_count_per_method",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stage} {self.payment_method_id}: {self.counted}"


class CountDenomination(models.Model):
    """One row of a count by denomination: ``quantity`` coins or notes of ``value``."""

    count = models.ForeignKey(SessionCount, on_delete=models.CASCADE, related_name="denominations")
    value = MoneyField()
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["-value"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.value}"


class CashMove(models.Model):
    """A drop (cash out to a destination) or a deposit (cash in from a source)."""

    class Kind(models.TextChoices):
        DROP = "drop", "Drop"
        DEPOSIT = "deposit", "Deposit"

    uuid = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        help_text="Made by the terminal so a move queued offline is stored once however often it is sent",
    )
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="cash_moves")
    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = MoneyField()
    destination = models.CharField(max_length=200, blank=True)
    destination_account = models.ForeignKey(
        "accounting.FinancialAccount",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="cash_move_positive")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class CashMoveDestination(models.Model):
    """A place a drop goes to (safe, bank bag…) or a deposit comes from, per profile."""

    profile = models.ForeignKey(
        PosProfile, on_delete=models.CASCADE, related_name="cash_move_destinations"
    )
    kind = models.CharField(max_length=8, choices=CashMove.Kind.choices)
    name = models.CharField(max_length=100)
    financial_account = models.ForeignKey(
        "accounting.FinancialAccount",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where the inverse transaction is written",
    )
    sequence = models.PositiveIntegerField(default=10)

    class Meta:
        ordering = ["profile", "kind", "sequence", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "kind", "name"], name="cash_move_destination_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"
