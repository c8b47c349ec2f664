from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save, pre_save


class IdentityConfig(AppConfig):
    name = "opentill.identity"
    label = "identity"
    verbose_name = "Users and roles"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from opentill.identity.roles import roles_sync
        from opentill.identity.signals import user_post_save, user_pre_save

        post_migrate.connect(roles_sync, dispatch_uid="opentill.roles_sync")
        user = get_user_model()
        pre_save.connect(user_pre_save, sender=user, dispatch_uid="opentill.user_pre_save")
        post_save.connect(user_post_save, sender=user, dispatch_uid="opentill.user_post_save")
