from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate, post_save, pre_save


class IdentityConfig(AppConfig):
    name = "opentill.identity"
    label = "identity"
    verbose_name = "Users and roles"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from opentill.identity.roles import roles_sync
        from opentill.identity.signals import user_post_save, user_pre_save

        # migrate and flush send post_migrate once per app, in INSTALLED_APPS order, and
        # each app's permissions are created by then: the roles are synced once, after the
        # last app's (not once per app).
        last = [c for c in apps.get_app_configs() if c.models_module is not None][-1]
        post_migrate.connect(roles_sync, sender=last, dispatch_uid="opentill.roles_sync")
        user = get_user_model()
        pre_save.connect(user_pre_save, sender=user, dispatch_uid="opentill.user_pre_save")
        post_save.connect(user_post_save, sender=user, dispatch_uid="opentill.user_post_save")
