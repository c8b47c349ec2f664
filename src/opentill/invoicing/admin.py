from django.contrib import admin

from opentill.invoicing.models import Invoice


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "consolidated", "customer", "session", "total", "created_at"]
    list_filter = ["kind", "consolidated"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
