from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "opentill.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # The layers below call up through registries, never by import: the worker
        # recovers abandoned print jobs, a committed close prints its Z report.
        from opentill.common.worker import recovery_register
        from opentill.pos.signals import session_closed
        from opentill.reports import printing

        recovery_register(printing.print_jobs_recover, lease=printing.lease_seconds)
        session_closed.connect(printing.print_on_session_closed, dispatch_uid="print-z-report")

        # A fiscal archive holds the Z reports of its period (fiscal sits below reports).
        from opentill.fiscal.archive import part_register
        from opentill.reports.fiscal_archive import z_reports

        part_register(z_reports)
