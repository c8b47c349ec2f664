from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from opentill.accounting.models import (
    FinancialAccount,
    FinancialTransaction,
    GLItem,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Reconciliation,
)
from opentill.accounting.selectors import (
    account_balances,
    ledger_account_is_posted,
    ledger_account_label_history,
)
from opentill.accounting.services import ledger_account_check_change, ledger_account_update
from opentill.audit.admin import AuditedAdmin
from opentill.common.admin import ReadOnlyAdmin, ReadOnlyInline
from opentill.common.problems import Problem
from opentill.stores.access import store_scoped


class LedgerAccountForm(forms.ModelForm):
    class Meta:
        model = LedgerAccount
        fields = ["code", "name", "kind"]
        labels = {"name": "Label"}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.instance.pk is not None and not self.errors:
            saved = LedgerAccount.objects.get(pk=self.instance.pk)
            try:
                ledger_account_check_change(
                    account=saved, code=data.get("code", ""), kind=data.get("kind", "")
                )
            except Problem as problem:
                for error in problem.errors or []:
                    self.add_error(error["loc"][-1], error["msg"])
        return data


@admin.register(LedgerAccount)
class LedgerAccountAdmin(AuditedAdmin):
    form = LedgerAccountForm
    list_display = ["code", "name", "kind"]
    search_fields = ["code", "name"]
    list_filter = ["kind"]
    readonly_fields = ["posted_lines", "label_history"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["code", "name", "kind"]
        return ["code", "name", "kind", "posted_lines", "label_history"]

    @admin.display(description="Posted lines")
    def posted_lines(self, obj: LedgerAccount) -> str:
        if obj.pk is None or not (obj.posted or ledger_account_is_posted(account_id=obj.pk)):
            return "None yet: code and kind may still change."
        return "Yes: the code and the kind are kept; a new label applies to new entries only."

    @admin.display(description="Label history")
    def label_history(self, obj: LedgerAccount) -> Any:
        history = ledger_account_label_history(account_id=obj.pk) if obj.pk else []
        if not history:
            return "Never renamed."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {} → {} ({})</li>",
                (
                    (f"{h['at']:%Y-%m-%d %H:%M}", h["old"], h["new"], h["user"] or "system")
                    for h in history
                ),
            ),
        )

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        assert isinstance(obj, LedgerAccount)
        # One path for every change of an account: the service checks and audits it.
        ledger_account_update(
            account_id=obj.pk, user=request.user, code=obj.code, name=obj.name, kind=obj.kind
        )


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
    fields = ["account_as_posted", "label", "debit", "credit"]
    readonly_fields = fields  # type: ignore[assignment]
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("account")

    @admin.display(description="Account")
    def account_as_posted(self, line: JournalLine) -> str:
        """The account with the label it had when the line was posted."""
        return f"{line.account.code} {line.account_name}"


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
