from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "opentill.catalog"
    label = "catalog"
    verbose_name = "Catalog"
