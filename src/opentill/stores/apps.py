from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "opentill.stores"
    label = "stores"
    verbose_name = "Company and stores"
