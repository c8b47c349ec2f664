"""Configuration: :mod:`opentill.config.env` reads every ``OPENTILL_*`` environment variable
(names, types, defaults) in one place; :mod:`opentill.config.settings` is the Django settings
module built from it (``DJANGO_SETTINGS_MODULE=opentill.settings`` still names it)."""
