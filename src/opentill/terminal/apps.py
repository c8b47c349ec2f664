from django.apps import AppConfig


class TerminalConfig(AppConfig):
    name = "opentill.terminal"
    label = "terminal"
    verbose_name = "Web terminal"
