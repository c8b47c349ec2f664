from django.contrib import admin

from opentill.identity.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "expires_at"]
    readonly_fields = ["digest", "user", "created_at", "expires_at"]

    def has_add_permission(self, request):
        return False
