from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.http import HttpRequest

from opentill.audit.admin import AuditedAdmin
from opentill.audit.models import AuditEvent
from opentill.audit.services import audit_record
from opentill.common.admin import ReadOnlyAdmin
from opentill.identity.models import ApiToken, Approval, UserPin
from opentill.identity.services import PIN_PATTERN, user_pin_set


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "expires_at"]
    fields = ["user", "created_at", "expires_at"]
    readonly_fields = fields  # type: ignore[assignment]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoking a token is allowed to whoever may manage users.
        return request.user.has_perm("auth.change_user")


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "session_id", "approver", "requested_by", "used_at"]
    list_filter = ["action", "approver"]
    list_select_related = ["approver", "requested_by"]
    fields = [
        "action",
        "session_id",
        "approver",
        "requested_by",
        "created_at",
        "expires_at",
        "used_at",
    ]
    readonly_fields = fields  # type: ignore[assignment]


class UserPinForm(UserChangeForm):
    """The user page with a PIN (4 to 8 digits) for approvals at the till, never shown back."""

    pin = forms.CharField(
        label="New PIN",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="4 to 8 digits, typed on a cashier's screen to approve. Empty keeps the PIN.",
    )
    remove_pin = forms.BooleanField(label="Remove the PIN", required=False)

    def clean_pin(self) -> str:
        pin = self.cleaned_data.get("pin") or ""
        if pin and not PIN_PATTERN.fullmatch(pin):
            raise forms.ValidationError("A PIN is 4 to 8 digits.")
        return pin


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    form = UserPinForm
    list_display = [
        "username",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "roles",
        "has_pin",
    ]
    list_filter = ["groups", "is_active", "is_staff"]
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        ("Manager PIN", {"fields": ("pin_state", "pin", "remove_pin")}),
    )
    readonly_fields = ["pin_state"]

    @admin.display(description="Roles")
    def roles(self, obj: User) -> str:
        return ", ".join(g.name for g in obj.groups.all())

    @admin.display(description="PIN", boolean=True)
    def has_pin(self, obj: User) -> bool:
        return UserPin.objects.filter(user=obj).exists()

    @admin.display(description="PIN set")
    def pin_state(self, obj: User) -> str:
        row = UserPin.objects.filter(user=obj).first()
        return f"yes, since {row.changed_at:%Y-%m-%d %H:%M}" if row else "no"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            pin = form.cleaned_data.get("pin")
            remove = form.cleaned_data.get("remove_pin")
            if pin or remove:
                user_pin_set(user=obj, pin=None if remove else pin)
                audit_record(
                    user=request.user,
                    action=AuditEvent.Action.CONFIG_CHANGED,
                    obj=obj,
                    after={"pin": "removed" if remove else "set"},
                    detail="PIN removed" if remove else "PIN set",
                )


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    pass
