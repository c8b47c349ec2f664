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
        ("orders", "0005_line_taxes_only"),
        protection.MIGRATION,
    ]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="amount_due",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="order",
            name="difference",
            field=opentill.common.fields.MoneyField(
                default=0,
                help_text="Paid minus amount due: not zero only for a held order a manager accepted",
                places=3,
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="net_total",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="order",
            name="rounding",
            field=opentill.common.fields.MoneyField(
                help_text="Cash rounding: amount due minus total", places=3
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="tax_total",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="order",
            name="total",
            field=opentill.common.fields.MoneyField(
                help_text="Sum of the lines including tax", places=3
            ),
        ),
        migrations.AlterField(
            model_name="orderline",
            name="discount",
            field=opentill.common.fields.MoneyField(
                default=0, help_text="Amount taken off by the discount", places=3
            ),
        ),
        migrations.AlterField(
            model_name="orderline",
            name="net",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="orderline",
            name="tax_amount",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="orderline",
            name="total",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="orderline",
            name="unit_price",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="orderlinetax",
            name="amount",
            field=opentill.common.fields.MoneyField(places=3),
        ),
        migrations.AlterField(
            model_name="orderlinetax",
            name="base",
            field=opentill.common.fields.MoneyField(
                help_text="What the tax was computed on", places=3
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="amount",
            field=opentill.common.fields.MoneyField(
                help_text="Net of change; negative for a refund", places=3
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="change",
            field=opentill.common.fields.MoneyField(
                default=Decimal("0"), help_text="Handed back in cash; 0 for a refund", places=3
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="tendered",
            field=opentill.common.fields.MoneyField(
                help_text="What the customer handed over for this payment (amount + change); equals amount when no change was given",
                places=3,
            ),
        ),
        rescale_money(
            "orders",
            {
                "order": (
                    "amount_due",
                    "difference",
                    "net_total",
                    "rounding",
                    "tax_total",
                    "total",
                ),
                "orderline": (
                    "discount",
                    "net",
                    "tax_amount",
                    "total",
                    "unit_price",
                ),
                "orderlinetax": (
                    "amount",
                    "base",
                ),
                "payment": (
                    "amount",
                    "change",
                    "tendered",
                ),
            },
        ),
    ]
