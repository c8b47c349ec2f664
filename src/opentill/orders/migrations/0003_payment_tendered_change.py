"""Payments record what the customer tendered and the change handed back (issue #12).

Existing payments had no change recorded: their tendered is their amount and their change 0.
Payments are protected rows (common.protection: never updated, even in a closed session). The
fill goes past the triggers the deliberate way: on PostgreSQL with the maintenance switch for
this transaction (``protection.maintenance`` does the same; migrate runs as the tables'
owner); on SQLite ``migrate`` has lifted the triggers while migrations run and puts them back,
with the new columns, at its end. Adding a column needs no lifting (``protection.around`` is
for dropping or altering one, and would install the rules of models this migration's
historical registry does not have yet).
"""

from decimal import Decimal
from typing import Any

import django.db.models.expressions
from django.db import migrations, models

import opentill.common.fields
from opentill.common import protection


def fill_tendered(apps: Any, schema_editor: Any) -> None:
    """tendered = amount (change stays 0) for every payment already stored."""
    Payment = apps.get_model("orders", "Payment")
    table = schema_editor.quote_name(Payment._meta.db_table)
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"SET LOCAL {protection.MAINTENANCE_SETTING} = 'on'")
        cursor.execute(f"UPDATE {table} SET tendered = amount WHERE tendered <> amount")
        if postgres:
            cursor.execute(f"SET LOCAL {protection.MAINTENANCE_SETTING} = 'off'")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_held_orders"),
        ("pos", "0002_count_not_counted_approved_by"),
        protection.MIGRATION,
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="change",
            field=opentill.common.fields.MoneyField(
                default=Decimal("0"), help_text="Handed back in cash; 0 for a refund", places=2
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="tendered",
            field=opentill.common.fields.MoneyField(
                default=Decimal("0"),
                help_text="What the customer handed over for this payment (amount + change); "
                "equals amount when no change was given",
                places=2,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_tendered, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "tendered",
                        django.db.models.expressions.CombinedExpression(
                            models.F("amount"), "+", models.F("change")
                        ),
                    )
                ),
                name="payment_tendered_is_amount_plus_change",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(("change__gte", 0)), name="payment_change_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gte", 0), ("change", 0), _connector="OR"),
                name="payment_refund_has_no_change",
            ),
        ),
    ]
