from django.apps import AppConfig


class FiscalConfig(AppConfig):
    name = "opentill.fiscal"
    label = "fiscal"
    verbose_name = "Fiscal journal"

    def ready(self) -> None:
        # The lower contexts announce their events inside their transactions; the journal
        # records them there (they never import it).
        from opentill.fiscal import services
        from opentill.orders.signals import order_voided, orders_synced
        from opentill.pos.signals import session_close_booked

        orders_synced.connect(services.on_orders_synced, dispatch_uid="fiscal-orders-synced")
        order_voided.connect(services.on_order_voided, dispatch_uid="fiscal-order-voided")
        session_close_booked.connect(
            services.on_session_close_booked, dispatch_uid="fiscal-session-close-booked"
        )
        # Technical events (fiscal/events.py): approvals, settings changes, the version.
        from opentill.fiscal.events import connect_receivers

        connect_receivers()
