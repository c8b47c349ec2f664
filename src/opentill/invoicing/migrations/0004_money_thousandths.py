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
        ("invoicing", "0003_invoice_rounding"),
        protection.MIGRATION,
    ]

    operations = [
        migrations.AlterField(
            model_name="invoice",
            name="net_total",
            field=opentill.common.fields.MoneyField(
                help_text="Positive amount of the document", places=3
            ),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="rounding",
            field=opentill.common.fields.MoneyField(default=0, places=3),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="tax_total",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="total",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        rescale_money(
            "invoicing",
            {
                "invoice": (
                    "net_total",
                    "rounding",
                    "tax_total",
                    "total",
                )
            },
        ),
    ]
