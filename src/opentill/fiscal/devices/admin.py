"""Back office: the signing devices, which device each till signs with (its registration
and outage shown), and the device transactions with their state and bundle (read only).
Imported by ``FiscalConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from opentill.audit.admin import AuditedAdmin
from opentill.common.admin import ReadOnlyAdmin
from opentill.fiscal.devices.models import DeviceTransaction, FiscalDevice, TillDevice
from opentill.pos.models import PosProfile
from opentill.stores.access import visible_store_ids


@admin.register(FiscalDevice)
class FiscalDeviceAdmin(AuditedAdmin):
    list_display = ["name", "driver", "url", "timeout_seconds", "created_at"]
    list_filter = ["driver"]
    search_fields = ["name", "url"]


@admin.register(TillDevice)
class TillDeviceAdmin(AuditedAdmin):
    list_display = ["profile", "device", "serial", "registered_at", "outage_since", "retry_at"]
    list_filter = ["device"]
    readonly_fields = [
        "registered_device",
        "client_id",
        "serial",
        "algorithm",
        "public_key",
        "registered_at",
        "outage_since",
        "failures",
        "retry_at",
        "last_error",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TillDevice]:
        qs = super().get_queryset(request).select_related("profile", "device")
        stores = visible_store_ids(request.user)
        return qs if stores is None else qs.filter(profile__store_id__in=stores)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "profile":
            stores = visible_store_ids(request.user)
            profiles = PosProfile.objects.all()
            kwargs["queryset"] = (
                profiles if stores is None else profiles.filter(store_id__in=stores)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(DeviceTransaction)
class DeviceTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "profile",
        "order",
        "kind",
        "status",
        "attempts",
        "transaction_number",
        "counter",
        "device_serial_short",
        "error",
    ]
    list_filter = ["status", "device", "profile"]
    search_fields = ["uuid", "order__uuid", "error"]
    list_select_related = ["profile", "order"]

    @admin.display(description="Device serial")
    def device_serial_short(self, obj: DeviceTransaction) -> str:
        return obj.device_serial[:16]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DeviceTransaction]:
        qs = super().get_queryset(request)
        stores = visible_store_ids(request.user)
        return qs if stores is None else qs.filter(profile__store_id__in=stores)
