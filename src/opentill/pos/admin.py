"""POS back office: configuration pages and cash moves. (The session page and its actions:
closing/admin.py.)"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from opentill.audit.admin import AuditedAdmin
from opentill.common.admin import ReadOnlyAdmin
from opentill.pos.models import (
    CashMove,
    CashMoveDestination,
    Denomination,
    PaymentMethod,
    PosProfile,
)
from opentill.stores.access import store_scoped


class PaymentMethodInline(admin.StackedInline):
    model = PaymentMethod
    extra = 0
    fk_name = "profile"


class CashMoveDestinationInline(admin.TabularInline):
    model = CashMoveDestination
    extra = 0


@admin.register(PosProfile)
class PosProfileAdmin(AuditedAdmin):
    list_display = [
        "name",
        "code",
        "store",
        "opening_control",
        "blind_close",
        "max_difference",
        "posting_mode",
        "stock_mode",
        "active",
    ]
    list_filter = ["store", "active"]
    filter_horizontal = ["allowed_users", "fiscal_positions"]
    inlines = [PaymentMethodInline, CashMoveDestinationInline]


class DenominationInline(admin.TabularInline):
    model = Denomination
    extra = 0


@admin.register(PaymentMethod)
class PaymentMethodAdmin(AuditedAdmin):
    list_display = [
        "name",
        "profile",
        "kind",
        "financial_account",
        "countable",
        "keep_policy",
        "keep_amount",
        "close_destination",
    ]
    list_filter = ["profile", "kind"]
    inlines = [DenominationInline]

    @admin.display(boolean=True)
    def countable(self, obj: PaymentMethod) -> bool:
        return obj.countable


@admin.register(Denomination)
class DenominationAdmin(AuditedAdmin):
    list_display = ["payment_method", "value", "kind"]
    list_filter = ["payment_method__profile", "kind"]


@admin.register(CashMoveDestination)
class CashMoveDestinationAdmin(AuditedAdmin):
    list_display = ["profile", "kind", "name", "financial_account", "sequence"]
    list_filter = ["profile", "kind"]


@admin.register(CashMove)
class CashMoveAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "session",
        "kind",
        "payment_method",
        "amount",
        "destination",
        "reason",
        "created_by",
    ]
    list_filter = ["kind", "session__profile"]
    search_fields = ["session__name", "destination", "reason"]
    list_select_related = ["session", "payment_method", "created_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CashMove]:
        return store_scoped(
            super().get_queryset(request), request.user, "session__profile__store_id"
        )
