from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class CommonConfig(AppConfig):
    name = "opentill.common"
    label = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from opentill.common import protection

        # migrate lifts the database protection of closed records where it must (SQLite
        # rebuilds tables) and puts it back, with the tables' current columns, at its end.
        pre_migrate.connect(protection.before_migrate, sender=self)
        post_migrate.connect(protection.after_migrate, sender=self)
