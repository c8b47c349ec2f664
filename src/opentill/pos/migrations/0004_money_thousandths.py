"""Money is stored in thousandths of the currency's unit (issue #12: JPY has no decimals,
BHD three): every stored amount of this app is multiplied by 10. The fields' ``places`` is
not in their columns' type (no column changes); the values go past the protection triggers
the deliberate way (see ``opentill.common.rescale``). Backwards, they are divided by 10,
refused once an amount has three decimals.
"""

import opentill.common.fields
from decimal import Decimal
from django.db import migrations

from opentill.common import protection
from opentill.common.rescale import rescale_money


class Migration(migrations.Migration):
    dependencies = [
        ("pos", "0003_tax_model"),
        protection.MIGRATION,
    ]

    operations = [
        migrations.AlterField(
            model_name="cashmove",
            name="amount",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="countdenomination",
            name="value",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="denomination",
            name="value",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="paymentmethod",
            name="keep_amount",
            field=opentill.common.fields.MoneyField(
                default=Decimal("0.00"), help_text="For the fixed policy", places=3
            ),
        ),
        migrations.AlterField(
            model_name="posprofile",
            name="max_difference",
            field=opentill.common.fields.MoneyField(
                default=Decimal("0.00"),
                help_text="Maximum authorised difference per method",
                places=3,
            ),
        ),
        migrations.AlterField(
            model_name="sessioncount",
            name="counted",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="sessioncount",
            name="difference",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="sessioncount",
            name="expected",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="sessioncount",
            name="keep",
            field=opentill.common.fields.MoneyField(blank=True, null=True, places=3),
        ),
        migrations.AlterField(
            model_name="sessioncount",
            name="transferred",
            field=opentill.common.fields.MoneyField(blank=True, null=True, places=3),
        ),
        rescale_money(
            "pos",
            {
                "cashmove": ("amount",),
                "countdenomination": ("value",),
                "denomination": ("value",),
                "paymentmethod": ("keep_amount",),
                "posprofile": ("max_difference",),
                "sessioncount": (
                    "counted",
                    "difference",
                    "expected",
                    "keep",
                    "transferred",
                ),
            },
        ),
    ]
