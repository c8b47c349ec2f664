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
        # After the journal's records, in the same transaction: each sale's transaction on
        # the till's signing device, drained by the worker (fiscal/devices/services.py).
        from opentill.common.worker import recovery_register
        from opentill.fiscal.devices import admin as _device_admin  # noqa: F401 (back office)
        from opentill.fiscal.devices import services as devices

        orders_synced.connect(devices.on_orders_synced, dispatch_uid="fiscal-device-transactions")
        recovery_register(devices.device_jobs_recover, lease=devices.lease_seconds)
        order_voided.connect(services.on_order_voided, dispatch_uid="fiscal-order-voided")
        session_close_booked.connect(
            services.on_session_close_booked, dispatch_uid="fiscal-session-close-booked"
        )

        # The worker closes the days, months and years that are due (docs/fiscal.md).
        from opentill.common.worker import periodic_register
        from opentill.fiscal.period_close import period_closes_run

        periodic_register(period_closes_run, every=300.0)
        # Technical events (fiscal/events.py): approvals, settings changes, the version.
        from opentill.fiscal.events import connect_receivers

        connect_receivers()
