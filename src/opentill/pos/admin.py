from django.contrib import admin

from opentill.pos.models import (
    CashMove,
    Denomination,
    PaymentMethod,
    PosProfile,
    Session,
    SessionCount,
)


class PaymentMethodInline(admin.StackedInline):
    model = PaymentMethod
    extra = 0
    fk_name = "profile"


@admin.register(PosProfile)
class PosProfileAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "store",
        "opening_control",
        "blind_close",
        "max_difference",
        "posting_mode",
        "active",
    ]
    filter_horizontal = ["allowed_users"]
    inlines = [PaymentMethodInline]


class DenominationInline(admin.TabularInline):
    model = Denomination
    extra = 0


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin):
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


class SessionCountInline(admin.TabularInline):
    model = SessionCount
    fields = [
        "stage",
        "payment_method",
        "expected",
        "counted",
        "difference",
        "keep",
        "transferred",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields  # type: ignore[assignment]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["name", "profile", "user", "state", "rescue", "opened_at", "closed_at"]
    list_filter = ["state", "profile", "rescue", "user"]
    search_fields = ["name", "user__username"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Session._meta.fields]
    inlines = [SessionCountInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CashMove)
class CashMoveAdmin(admin.ModelAdmin):
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
    list_filter = ["kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
