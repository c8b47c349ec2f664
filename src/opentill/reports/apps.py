from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "opentill.reports"
    label = "reports"
    verbose_name = "Reports"
