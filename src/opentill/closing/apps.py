from django.apps import AppConfig


class ClosingConfig(AppConfig):
    """Sessions as the till and the back office see them: their figures, the close
    (validate, force, partial), the session page. Above orders, invoicing and reports,
    which it orchestrates; it has no models of its own (sessions are pos's)."""

    name = "opentill.closing"
    label = "closing"
    verbose_name = "Closing"
