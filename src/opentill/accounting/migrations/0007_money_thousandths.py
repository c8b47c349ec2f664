"""Money is stored in thousandths of the currency's unit (issue #12: JPY has no decimals,
BHD three): every stored amount of this app is multiplied by 10. The fields' ``places`` is
not in their columns' type (no column changes); the values go past the protection triggers
the deliberate way (see ``opentill.common.rescale``). Backwards, they are divided by 10,
refused once an amount has three decimals.
"""

import opentill.common.fields
from django.db import migrations

from opentill.common import protection
from opentill.common.rescale import rescale_money


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0006_remove_financialtransaction_payment"),
        protection.MIGRATION,
    ]

    operations = [
        migrations.AlterField(
            model_name="financialtransaction",
            name="amount",
            field=opentill.common.fields.MoneyField(
                help_text="Positive: deposit; negative: withdrawal", places=3
            ),
        ),
        migrations.AlterField(
            model_name="journalline",
            name="credit",
            field=opentill.common.fields.MoneyField(default=0, places=3),
        ),
        migrations.AlterField(
            model_name="journalline",
            name="debit",
            field=opentill.common.fields.MoneyField(default=0, places=3),
        ),
        migrations.AlterField(
            model_name="reconciliation",
            name="end_balance",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="reconciliation",
            name="start_balance",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        rescale_money(
            "accounting",
            {
                "financialtransaction": ("amount",),
                "journalline": (
                    "credit",
                    "debit",
                ),
                "reconciliation": (
                    "end_balance",
                    "start_balance",
                ),
            },
        ),
    ]
