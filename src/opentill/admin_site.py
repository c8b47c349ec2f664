"""The back office: Django's admin arranged as its users expect (POS → Operations,
POS → Configuration, Accounting, Audit, Users)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

SECTIONS: list[tuple[str, str, list[str]]] = [
    (
        "pos_operations",
        "POS · Operations",
        [
            "pos.Session",
            "orders.HeldOrder",
            "orders.Order",
            "orders.Payment",
            "pos.CashMove",
            "invoicing.Invoice",
            "catalog.StockMove",
            "reports.PrintJob",
            "fiscal.DeviceTransaction",
        ],
    ),
    (
        "pos_configuration",
        "POS · Configuration",
        [
            "pos.PosProfile",
            "pos.PaymentMethod",
            "pos.Denomination",
            "pos.CashMoveDestination",
            "stores.Company",
            "stores.Store",
            "catalog.Product",
            "catalog.Category",
            "catalog.Tax",
            "catalog.Customer",
            "fiscal.FiscalDevice",
            "fiscal.TillDevice",
        ],
    ),
    (
        "accounting",
        "Accounting",
        [
            "accounting.JournalEntry",
            "accounting.FinancialAccount",
            "accounting.FinancialTransaction",
            "accounting.Reconciliation",
            "accounting.LedgerAccount",
            "accounting.GLItem",
        ],
    ),
    ("audit", "Audit", ["audit.AuditEvent"]),
    ("users", "Users", ["auth.User", "auth.Group", "identity.ApiToken"]),
]


class OpenTillAdminSite(admin.AdminSite):
    site_header = "OpenTill back office"
    site_title = "OpenTill"
    index_title = "POS, configuration and accounting"

    def get_urls(self) -> list[Any]:
        from opentill.reports.views import admin_urls

        return admin_urls(self) + super().get_urls()

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        if app_label is not None:
            return super().get_app_list(request, app_label)
        from opentill.reports.views import app_list_section

        app_dict = self._build_app_dict(request)
        models: dict[str, dict[str, Any]] = {}
        for app in app_dict.values():
            for model in app["models"]:
                models[f"{app['app_label']}.{model['object_name']}"] = {**model, "_app": app}
        sections = []
        placed: set[str] = set()
        for key, name, wanted in SECTIONS:
            entries = [models[label] for label in wanted if label in models]
            placed.update(label for label in wanted if label in models)
            if entries:
                first_app = entries[0]["_app"]
                sections.append(
                    {
                        "name": name,
                        "app_label": key,
                        "app_url": first_app["app_url"],
                        "has_module_perms": True,
                        "models": [{k: v for k, v in e.items() if k != "_app"} for e in entries],
                    }
                )
        reports = app_list_section(request)
        if reports is not None:
            # After POS · Operations and Configuration, before Accounting.
            sections.insert(min(2, len(sections)), reports)
        from opentill.orders.admin import attention_section

        attention = attention_section(self, request)
        if attention is not None:
            # First: held orders and stuck closings wait for a person.
            sections.insert(0, attention)
        rest = [m for label, m in models.items() if label not in placed]
        if rest:
            sections.append(
                {
                    "name": "Other",
                    "app_label": "other",
                    "app_url": rest[0]["_app"]["app_url"],
                    "has_module_perms": True,
                    "models": [{k: v for k, v in e.items() if k != "_app"} for e in rest],
                }
            )
        return sections


class OpenTillAdminConfig(AdminConfig):
    default_site = "opentill.admin_site.OpenTillAdminSite"
