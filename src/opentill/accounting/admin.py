from django.contrib import admin

from opentill.accounting.models import (
    FinancialAccount,
    FinancialTransaction,
    GLItem,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Reconciliation,
)
from opentill.accounting.selectors import account_balances


@admin.register(LedgerAccount)
class LedgerAccountAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind"]
    search_fields = ["code", "name"]


@admin.register(GLItem)
class GLItemAdmin(admin.ModelAdmin):
    list_display = ["name", "account"]


@admin.register(FinancialAccount)
class FinancialAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "ledger_account", "balance"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        self._balances = account_balances(account_ids=qs.values_list("pk", flat=True))
        return qs

    @admin.display(description="Balance")
    def balance(self, obj: FinancialAccount):
        return getattr(self, "_balances", {}).get(obj.pk)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FinancialTransaction)
class FinancialTransactionAdmin(_ReadOnly):
    list_display = [
        "created_at",
        "account",
        "kind",
        "deposit",
        "withdrawal",
        "gl_item",
        "session",
        "reconciliation",
        "comment",
    ]
    list_filter = ["account", "kind"]
    list_select_related = ["account", "gl_item", "session", "reconciliation"]


@admin.register(Reconciliation)
class ReconciliationAdmin(_ReadOnly):
    list_display = [
        "id",
        "account",
        "session",
        "start_balance",
        "end_balance",
        "transaction_count",
        "created_at",
    ]
    list_filter = ["account"]


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    fields = ["account", "debit", "credit", "label"]
    readonly_fields = fields  # type: ignore[assignment]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(_ReadOnly):
    list_display = ["id", "date", "reference", "kind", "session", "order"]
    list_filter = ["kind", "date"]
    inlines = [JournalLineInline]
