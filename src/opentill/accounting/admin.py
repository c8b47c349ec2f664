from typing import Any

from django.contrib import admin
from django.http import HttpRequest

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
from opentill.common.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline


@admin.register(LedgerAccount)
class LedgerAccountAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind"]
    search_fields = ["code", "name"]
    list_filter = ["kind"]


@admin.register(GLItem)
class GLItemAdmin(AuditedAdmin):
    list_display = ["name", "account"]


@admin.register(FinancialAccount)
class FinancialAccountAdmin(AuditedAdmin):
    list_display = ["name", "kind", "ledger_account", "balance"]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        self._balances = account_balances(
            account_ids=FinancialAccount.objects.values_list("pk", flat=True)
        )
        return super().changelist_view(request, extra_context)

    @admin.display(description="Balance")
    def balance(self, obj: FinancialAccount) -> Any:
        balances = getattr(self, "_balances", None) or account_balances(account_ids=[obj.pk])
        return balances.get(obj.pk)


@admin.register(FinancialTransaction)
class FinancialTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
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
    search_fields = ["comment", "session__name"]
    list_select_related = ["account", "gl_item", "session", "reconciliation"]


class ReconciledTransactionInline(ReadOnlyInline):
    model = FinancialTransaction
    fields = ["created_at", "kind", "amount", "gl_item", "session", "comment"]
    readonly_fields = fields  # type: ignore[assignment]


@admin.register(Reconciliation)
class ReconciliationAdmin(ReadOnlyAdmin):
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
    list_select_related = ["account", "session"]
    inlines = [ReconciledTransactionInline]


class JournalLineInline(ReadOnlyInline):
    model = JournalLine
    fields = ["account", "label", "debit", "credit"]
    readonly_fields = fields  # type: ignore[assignment]
    show_change_link = False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "date", "reference", "kind", "session", "order"]
    list_filter = ["kind", "date"]
    search_fields = ["reference", "session__name"]
    list_select_related = ["session", "order"]
    inlines = [JournalLineInline]
