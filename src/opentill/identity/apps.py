from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IdentityConfig(AppConfig):
    name = "opentill.identity"
    label = "identity"
    verbose_name = "Users and roles"

    def ready(self) -> None:
        from opentill.identity.roles import roles_sync

        post_migrate.connect(roles_sync, dispatch_uid="opentill.roles_sync")
