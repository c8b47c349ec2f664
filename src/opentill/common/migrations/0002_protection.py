"""Database-level protection of what must never change (``opentill.common.protection``).

PostgreSQL: the triggers are installed here. SQLite: they are installed when ``migrate``
finishes (post_migrate), because a later migration of the same run may rebuild a protected
table, which on SQLite drops its triggers and fails on a trigger that names that table.
Either way ``migrate`` installs them again at its end, with the columns the tables then have.
"""

import importlib

from django.db import migrations


def forwards(apps, schema_editor):  # noqa: ANN001, ANN201
    from opentill.common import protection

    if schema_editor.connection.vendor == "postgresql":
        protection.install(schema_editor.connection, apps)


def backwards(apps, schema_editor):  # noqa: ANN001, ANN201
    from opentill.common import protection

    protection.uninstall(schema_editor.connection)
    # The audit trail's own trigger, which the protection replaced.
    importlib.import_module("opentill.audit.migrations.0003_append_only").forwards(
        apps, schema_editor
    )


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0001_initial"),
        ("accounting", "0005_posted_flag"),
        ("audit", "0004_more_actions"),
        ("invoicing", "0002_customer_as_issued"),
        ("orders", "0002_held_orders"),
        ("pos", "0002_count_not_counted_approved_by"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
