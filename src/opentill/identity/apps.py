from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "opentill.identity"
    label = "identity"
    verbose_name = "Users and roles"
