from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "opentill.common"
    label = "common"
    verbose_name = "Common"
