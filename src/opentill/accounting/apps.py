from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "opentill.accounting"
    label = "accounting"
    verbose_name = "Accounting"
