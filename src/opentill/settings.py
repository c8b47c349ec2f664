"""``DJANGO_SETTINGS_MODULE=opentill.settings``: the settings of :mod:`opentill.config.settings`."""

from opentill.config.settings import *  # noqa: F403
