from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "opentill.audit"
    label = "audit"
    verbose_name = "Audit trail"
