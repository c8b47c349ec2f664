from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "opentill.invoicing"
    label = "invoicing"
    verbose_name = "Invoicing"
