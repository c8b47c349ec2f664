from django.apps import AppConfig


class PosConfig(AppConfig):
    name = "opentill.pos"
    label = "pos"
    verbose_name = "POS"
