from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from opentill.audit.models import AuditEvent
from opentill.audit.services import audit_record, model_values
from opentill.common.admin import ReadOnlyAdmin


class AuditedAdmin(admin.ModelAdmin):
    """Configuration pages: every change and deletion lands in the audit trail with the
    values before and after."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = None
            if change and obj.pk is not None:
                old = type(obj)._default_manager.filter(pk=obj.pk).first()
                before = model_values(old) if old is not None else None
            super().save_model(request, obj, form, change)
            audit_record(
                user=request.user,
                action=AuditEvent.Action.CONFIG_CHANGED,
                obj=obj,
                before=before,
                after=model_values(obj),
                detail="changed" if change else "added",
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            befores = {}
            for inline_form in formset.forms:
                instance = inline_form.instance
                if instance.pk is not None and inline_form.has_changed():
                    old = type(instance)._default_manager.filter(pk=instance.pk).first()
                    befores[instance.pk] = model_values(old) if old is not None else None
            for inline_form in formset.deleted_forms:
                if inline_form.instance.pk is not None:
                    audit_record(
                        user=request.user,
                        action=AuditEvent.Action.CONFIG_DELETED,
                        obj=inline_form.instance,
                        before=model_values(inline_form.instance),
                    )
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects + [o for o, _ in formset.changed_objects]:
                audit_record(
                    user=request.user,
                    action=AuditEvent.Action.CONFIG_CHANGED,
                    obj=obj,
                    before=befores.get(obj.pk),
                    after=model_values(obj),
                )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        with transaction.atomic():
            before = model_values(obj)
            audit_record(
                user=request.user, action=AuditEvent.Action.CONFIG_DELETED, obj=obj, before=before
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                audit_record(
                    user=request.user,
                    action=AuditEvent.Action.CONFIG_DELETED,
                    obj=obj,
                    before=model_values(obj),
                )
            super().delete_queryset(request, queryset)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "object_type", "object_repr", "session"]
    list_filter = ["action", "object_type", "user"]
    search_fields = ["object_repr", "detail", "session__name"]
    date_hierarchy = "at"
    list_select_related = ["user", "session"]
    fields = [
        "at",
        "user",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "session",
        "before",
        "after",
        "detail",
    ]
    readonly_fields = fields  # type: ignore[assignment]

    def get_actions(self, request):
        return {}
