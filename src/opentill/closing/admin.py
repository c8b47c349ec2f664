"""The session page of the back office (its figures, orders, held orders, journal, report)
and its actions: validate a closing, force close, close a rescue session. Registered for
``pos.Session``, so its URLs are the admin's ``pos/session/…``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from opentill.accounting.models import JournalEntry, Reconciliation
from opentill.audit.models import AuditEvent
from opentill.closing import services as closing
from opentill.common.admin import ReadOnlyAdmin
from opentill.common.problems import Problem
from opentill.money import STORED_PLACES, AmountError, fmt, parse_decimal
from opentill.orders.admin import summary_text
from opentill.orders.models import HeldOrder, Order
from opentill.orders.selectors import held_orders_of_session, held_reason
from opentill.pos.access import (
    FORCE_CLOSE,
    VALIDATE_CLOSING,
    session_may_force_close,
    session_may_manage,
    session_may_validate,
)
from opentill.pos.counting import CountInput
from opentill.pos.models import PaymentMethod, Session
from opentill.pos.selectors import session_expected_amounts
from opentill.reports.selectors import session_report
from opentill.reports.views import session_page_context
from opentill.stores.access import store_scoped


def _amount(data: Any, name: str) -> tuple[Decimal | None, str]:
    """An optional amount typed in a form: (value or None when empty, error message)."""
    text = (data.get(name, "") if data is not None else "").strip()
    if not text:
        return None, ""
    try:
        return parse_decimal(
            text, places=STORED_PLACES, allow_negative=False, what="the amount"
        ), ""
    except AmountError as exc:
        return None, str(exc)


def _count_rows(session: Session, data: Any) -> list[dict[str, Any]]:
    """The count form of a force or rescue close: one optional counted amount per countable
    method (empty: taken as expected, marked not counted), and the cash to keep where the
    method lets the person closing choose it."""
    expected = session_expected_amounts(session=session)
    rows = []
    for method in session.profile.payment_methods.all():
        if not method.countable:
            continue
        counted, error = _amount(data, f"counted_{method.pk}")
        variable = method.keep_policy == PaymentMethod.KeepPolicy.VARIABLE
        keep, keep_error = _amount(data, f"keep_{method.pk}") if variable else (None, "")
        rows.append(
            {
                "method": method,
                "expected": fmt(expected[method.pk]),
                "field": f"counted_{method.pk}",
                "value": data.get(f"counted_{method.pk}", "") if data is not None else "",
                "error": error,
                "keep_field": f"keep_{method.pk}" if variable else "",
                "keep_value": data.get(f"keep_{method.pk}", "") if data is not None else "",
                "keep_error": keep_error,
                "input": None
                if counted is None and keep is None
                else CountInput(payment_method_id=method.pk, counted=counted, keep=keep),
            }
        )
    return rows


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "profile",
        "user",
        "state",
        "rescue",
        "training",
        "opened_at",
        "closed_at",
    ]
    list_filter = [
        "state",
        "profile",
        "user",
        "rescue",
        "training",  # training sessions: tickets that are no sales (docs/fiscal.md)
        ("opened_at", admin.DateFieldListFilter),
    ]
    search_fields = ["name", "user__username", "profile__name"]
    date_hierarchy = "created_at"
    list_select_related = ["profile", "user"]
    readonly_fields = [f.name for f in Session._meta.fields]
    change_form_template = "admin/pos/session/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Session]:
        return store_scoped(super().get_queryset(request), request.user, "profile__store_id")

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:session_id>/validate-closing/",
                wrap(self.validate_view),
                name="pos_session_validate",
            ),
            path(
                "<int:session_id>/force-close/",
                wrap(self.force_close_view),
                name="pos_session_force_close",
            ),
            path(
                "<int:session_id>/close-rescue/",
                wrap(self.close_rescue_view),
                name="pos_session_close_rescue",
            ),
            *super().get_urls(),
        ]

    # --- the session page -------------------------------------------------------------------

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        session = get_object_or_404(
            self.get_queryset(request).select_related("profile__store__company", "user"),
            pk=object_id,
        )
        may_manage = session_may_manage(session, request.user)
        context = {
            "report": session_report(session=session, user=request.user),
            "orders": Order.objects.filter(session=session)
            .select_related("customer")
            .order_by("-id")[:200],
            "order_count": Order.objects.filter(session=session).count(),
            "journal_entries": JournalEntry.objects.filter(session=session)
            .prefetch_related("lines__account")
            .order_by("id")[:50],
            "reconciliations": Reconciliation.objects.filter(session=session).select_related(
                "account"
            ),
            "audit_events": AuditEvent.objects.filter(session=session)
            .select_related("user")
            .order_by("id"),
            "can_validate": session_may_validate(session, request.user)
            and session.state == Session.State.CLOSING_CONTROL,
            "can_force_close": session_may_force_close(session, request.user)
            and session.state != Session.State.CLOSED
            and not session.rescue,
            "can_close_rescue": may_manage
            and session.rescue
            and session.state == Session.State.IN_PROGRESS,
            "held_orders": [
                {
                    "row": h,
                    "reason": held_reason(h.error),
                    "summary": summary_text(h.payload, session.places),
                    "may_resolve": may_manage and h.state == HeldOrder.State.HELD,
                }
                for h in held_orders_of_session(session_id=session.pk, unresolved=False)
            ],
            "report_url": f"/api/v1/sessions/{session.pk}/report?format=html",
            **session_page_context(session),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    # --- actions ------------------------------------------------------------------------------

    def _action(
        self,
        request: HttpRequest,
        session_id: int,
        *,
        title: str,
        field: str,
        required: bool,
        run: Any,
        allowed: Any,
        permission: str | None = None,
        counts: bool = False,
    ) -> HttpResponse:
        """A session action's page: a text (notes or reason) and, with ``counts``, a counted
        amount per countable method; ``run(session, text, counts)`` is given the counts
        entered (None when none was: the action's own default applies). Only a manager of the
        session's store holding ``permission`` (when one is named) may open it."""
        session = get_object_or_404(
            self.get_queryset(request).select_related("profile__store"), pk=session_id
        )
        if not session_may_manage(session, request.user, permission):
            raise PermissionDenied("Only a manager of this store with the permission may do this.")
        back = reverse("admin:pos_session_change", args=[session.pk])
        if not allowed(session):
            self.message_user(
                request,
                f"Not possible: session {session.name} is {session.get_state_display().lower()}.",
                messages.ERROR,
            )
            return HttpResponseRedirect(back)
        error = ""
        data = request.POST if request.method == "POST" else None
        rows = _count_rows(session, data) if counts else []
        if request.method == "POST":
            text = request.POST.get(field, "").strip()
            if required and not text:
                error = "This field is required."
            elif not any(r["error"] or r["keep_error"] for r in rows):
                entered = [r["input"] for r in rows if r["input"] is not None]
                try:
                    run(session, text, entered or None)
                except Problem as problem:
                    self.message_user(request, problem.detail, messages.ERROR)
                    if not counts:
                        return HttpResponseRedirect(back)
                    error = problem.detail
                else:
                    self.message_user(
                        request, f"{title}: session {session.name} is closed.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{title} — {session.name}",
            "session": session,
            "field": field,
            "text": request.POST.get(field, "") if request.method == "POST" else "",
            "required": required,
            "error": error,
            "count_rows": rows,
            "stored_counts": counts and session.state == Session.State.CLOSING_CONTROL,
            "opts": self.model._meta,
            "back": back,
        }
        return TemplateResponse(request, "admin/pos/session/action.html", context)

    def validate_view(self, request: HttpRequest, session_id: int) -> HttpResponse:
        return self._action(
            request,
            session_id,
            title="Validate closing",
            field="notes",
            required=False,
            run=lambda s, text, _: closing.session_validate_closing(
                session_id=s.pk, user=request.user, notes=text
            ),
            allowed=lambda s: s.state == Session.State.CLOSING_CONTROL,
            permission=VALIDATE_CLOSING,
        )

    def force_close_view(self, request: HttpRequest, session_id: int) -> HttpResponse:
        return self._action(
            request,
            session_id,
            title="Force close",
            field="reason",
            required=True,
            run=lambda s, text, counts: closing.session_force_close(
                session_id=s.pk, user=request.user, reason=text, counts=counts
            ),
            allowed=lambda s: s.state != Session.State.CLOSED,
            permission=FORCE_CLOSE,
            counts=True,
        )

    def close_rescue_view(self, request: HttpRequest, session_id: int) -> HttpResponse:
        return self._action(
            request,
            session_id,
            title="Close rescue session",
            field="notes",
            required=False,
            run=lambda s, text, counts: closing.session_close(
                session_id=s.pk, user=request.user, counts=counts or [], notes=text
            ),
            allowed=lambda s: s.rescue and s.state == Session.State.IN_PROGRESS,
            counts=True,
        )
