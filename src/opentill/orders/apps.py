from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "opentill.orders"
    label = "orders"
    verbose_name = "POS operations"
