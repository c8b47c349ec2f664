from typing import Any

from django.apps import AppConfig


def _invoices_for_synced(sender: Any, *, orders: Any, session: Any, **kwargs: Any) -> None:
    from opentill.invoicing.services import invoices_for_orders

    invoices_for_orders(orders=orders, session=session)


class InvoicingConfig(AppConfig):
    name = "opentill.invoicing"
    label = "invoicing"
    verbose_name = "Invoicing"

    def ready(self) -> None:
        # A sync tells who cares; the orders context never imports invoicing.
        from opentill.orders.signals import orders_synced

        orders_synced.connect(_invoices_for_synced, dispatch_uid="invoices-for-synced-orders")
