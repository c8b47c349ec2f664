"""Orders in the back office: orders and payments (read-only), held orders with their
Accept / Void pages (through the service only) and the "Needs attention" list."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from opentill.common.admin import ReadOnlyAdmin, ReadOnlyInline
from opentill.common.problems import Problem
from opentill.identity.roles import may_see_reports
from opentill.orders import services
from opentill.orders.models import HeldOrder, Order, OrderLine, Payment
from opentill.orders.selectors import held_reason, payload_summary
from opentill.pos.access import manages_store
from opentill.pos.models import Session


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = [
        "product",
        "quantity",
        "unit_price",
        "discount_percent",
        "tax_label",
        "net",
        "tax_amount",
        "total",
    ]
    readonly_fields = fields  # type: ignore[assignment]
    show_change_link = False


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["payment_method", "amount", "tendered", "change"]
    readonly_fields = fields  # type: ignore[assignment]
    show_change_link = False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "uuid",
        "session",
        "state",
        "customer",
        "total",
        "amount_due",
        "invoice",
        "created_at",
    ]
    list_filter = ["state", "session__profile", "to_invoice"]
    search_fields = ["number", "uuid", "session__name", "customer__name"]
    list_select_related = ["session", "customer", "invoice"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, PaymentInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "order", "session", "payment_method", "amount", "tendered", "change"]
    list_filter = ["payment_method"]
    search_fields = ["order__uuid", "session__name"]
    list_select_related = ["order", "session", "payment_method"]


# --- held orders ----------------------------------------------------------------------------


def _sessions_visible(admin_site: admin.AdminSite, request: HttpRequest) -> QuerySet[Session]:
    """The sessions the session pages show this user (the same scoping: a manager's stores)."""
    session_admin = admin_site._registry[Session]
    return session_admin.get_queryset(request)


@admin.register(HeldOrder)
class HeldOrderAdmin(ReadOnlyAdmin):
    """Held orders: read-only; accepted or voided only through the service (the resolve
    pages below), by a manager of the session's store."""

    list_display = ["uuid", "session", "state", "received_at", "reason", "summary", "order"]
    list_filter = ["state", "session__profile"]
    search_fields = ["uuid", "session__name"]
    list_select_related = ["session__profile__store__company", "order"]
    date_hierarchy = "received_at"
    fields = [
        "uuid",
        "session",
        "requested_session",
        "user",
        "received_at",
        "state",
        "reason",
        "summary",
        "payload_json",
        "error_json",
        "resolved_by",
        "resolved_at",
        "resolution_reason",
        "order",
    ]
    readonly_fields = fields  # type: ignore[assignment]
    change_form_template = "admin/orders/heldorder/change_form.html"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_see_reports(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_see_reports(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[HeldOrder]:
        sessions = _sessions_visible(self.admin_site, request)
        return super().get_queryset(request).filter(session__in=sessions.values("pk"))

    @admin.display(description="Why it is held")
    def reason(self, obj: HeldOrder) -> str:
        return held_reason(obj.error)

    @admin.display(description="Ticket as sent")
    def summary(self, obj: HeldOrder) -> str:
        return summary_text(obj.payload, obj.session.places)

    @admin.display(description="Payload (as the terminal sent it)")
    def payload_json(self, obj: HeldOrder) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    @admin.display(description="Problem document")
    def error_json(self, obj: HeldOrder) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.error, indent=2, ensure_ascii=False))

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("needs-attention/", wrap(self.attention_view), name="orders_needs_attention"),
            path(
                "<uuid:held_uuid>/<str:action>/",
                wrap(self.resolve_view),
                name="orders_heldorder_resolve",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        held = get_object_or_404(self.get_queryset(request), pk=object_id)
        context = {
            "can_resolve": held.state == HeldOrder.State.HELD
            and manages_store(request.user, held.session.profile.store_id),
            "held": held,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def resolve_view(self, request: HttpRequest, held_uuid: Any, action: str) -> HttpResponse:
        """Accept (reason optional) or void (reason required) a held order: a form, then the
        service; whatever it refuses is shown as it says it."""
        if action not in ("accept", "void"):
            raise Http404("No such action.")
        held = get_object_or_404(
            self.get_queryset(request).select_related("session__profile__store__company"),
            uuid=held_uuid,
        )
        session = held.session
        if not manages_store(request.user, session.profile.store_id):
            raise PermissionDenied("Only a manager of this store may resolve a held order.")
        back = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = ""
        back = back or reverse("admin:pos_session_change", args=[session.pk])
        error = ""
        if request.method == "POST":
            text = request.POST.get("reason", "").strip()
            if action == "void" and not text:
                error = "A reason is required to void a held order."
            else:
                try:
                    services.held_order_resolve(
                        uuid=held.uuid, user=request.user, action=action, reason=text
                    )
                except Problem as problem:
                    self.message_user(request, problem.detail, messages.ERROR)
                    return HttpResponseRedirect(back)
                done = "accepted and booked" if action == "accept" else "voided"
                self.message_user(request, f"Held order {held.uuid} {done}.", messages.SUCCESS)
                return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{'Accept' if action == 'accept' else 'Void'} held order {held.uuid}",
            "held": held,
            "action": action,
            "reason_text": held_reason(held.error),
            "summary": summary_text(held.payload, held.session.places),
            "error": error,
            "opts": self.model._meta,
            "back": back,
        }
        return TemplateResponse(request, "admin/orders/heldorder/resolve.html", context)

    def attention_view(self, request: HttpRequest) -> HttpResponse:
        """Needs attention: held orders waiting for a manager and sessions waiting for a
        manager to validate their closing, across the sessions this user may see."""
        if not may_see_reports(request.user):
            raise PermissionDenied("Managers and accountants only.")
        sessions = _sessions_visible(self.admin_site, request)
        held = list(
            self.get_queryset(request)
            .filter(state=HeldOrder.State.HELD)
            .select_related("session__profile__store__company", "user")
            .order_by("received_at", "id")[:500]
        )
        waiting = list(
            sessions.filter(state=Session.State.CLOSING_CONTROL)
            .select_related("profile", "user")
            .order_by("closing_started_at", "id")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Needs attention",
            "held": [
                {
                    "row": h,
                    "reason": held_reason(h.error),
                    "summary": summary_text(h.payload, h.session.places),
                    "may_resolve": manages_store(request.user, h.session.profile.store_id),
                }
                for h in held
            ],
            "waiting": waiting,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/orders/needs_attention.html", context)


def summary_text(payload: Any, places: int) -> str:
    """A held ticket in a few words: "paid, 2 lines, payments 20.00"."""
    s = payload_summary(payload, places)
    parts = [s["state"] or "unknown state"]
    if s["lines"] is not None:
        parts.append(f"{s['lines']} line{'s' if s['lines'] != 1 else ''}")
    if s["total"] is not None:
        parts.append(f"total {s['total']}")
    parts.append(f"payments {s['paid']}" if s["paid"] is not None else "payments unreadable")
    return ", ".join(parts)


def attention_section(site: admin.AdminSite, request: HttpRequest) -> dict[str, Any] | None:
    """The "Needs attention" entry of the back-office index, with how many things wait."""
    if not may_see_reports(request.user):
        return None
    held = HeldOrder.objects.filter(
        state=HeldOrder.State.HELD,
        session__in=_sessions_visible(site, request).values("pk"),
    ).count()
    waiting = _sessions_visible(site, request).filter(state=Session.State.CLOSING_CONTROL).count()
    url = reverse("admin:orders_needs_attention")
    return {
        "name": "Needs attention",
        "app_label": "needs_attention",
        "app_url": url,
        "has_module_perms": True,
        "models": [
            {
                "name": f"Held orders waiting for a manager ({held})",
                "object_name": "HeldOrdersWaiting",
                "admin_url": url,
                "view_only": True,
                "perms": {"view": True},
            },
            {
                "name": f"Sessions waiting in closing control ({waiting})",
                "object_name": "SessionsWaiting",
                "admin_url": url + "#closing-control",
                "view_only": True,
                "perms": {"view": True},
            },
        ],
    }
