from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
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
from opentill.stores.access import store_scoped


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
    list_display = ["name", "kind", "store", "ledger_account", "balance"]
    list_filter = ["kind", "store"]
    list_select_related = ["store", "ledger_account"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FinancialAccount]:
        return store_scoped(super().get_queryset(request), request.user, "store_id")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        self._balances = account_balances(
            account_ids=self.get_queryset(request).values_list("pk", flat=True)
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[FinancialTransaction]:
        return store_scoped(super().get_queryset(request), request.user, "account__store_id")


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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reconciliation]:
        return store_scoped(super().get_queryset(request), request.user, "account__store_id")


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

    def get_queryset(self, request: HttpRequest) -> QuerySet[JournalEntry]:
        return store_scoped(
            super().get_queryset(request), request.user, "session__profile__store_id"
        )
