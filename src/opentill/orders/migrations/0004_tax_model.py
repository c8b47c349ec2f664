"""The tax model (issue #12): an order line's taxes as rows of their own (several per line),
the order's fiscal position, the key its sales are booked under.

Lines already stored had one tax: each gets its row (base = the line's net, amount = its
tax, the tax's name and account as they are now) and its key (its rate, "21%"), between
lifting the protection and putting it back (order lines are protected rows).
"""

from decimal import Decimal
from typing import Any

import django.db.models.deletion
from django.db import migrations, models

import opentill.common.fields
from opentill.common import protection


def fill_line_taxes(apps: Any, schema_editor: Any) -> None:
    OrderLine = apps.get_model("orders", "OrderLine")
    OrderLineTax = apps.get_model("orders", "OrderLineTax")
    Tax = apps.get_model("catalog", "Tax")
    q = schema_editor.quote_name
    lines, line_taxes, taxes = (q(m._meta.db_table) for m in (OrderLine, OrderLineTax, Tax))
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {line_taxes} (line_id, order_id, tax_id, name, kind, rate, account_id,"
            f" refund, base, amount)"
            f" SELECT l.id, l.order_id, l.tax_id, t.name, 'percent', l.tax_rate, t.account_id,"
            f" l.quantity < 0, l.net, l.tax_amount FROM {lines} l JOIN {taxes} t ON t.id = l.tax_id"
        )
        # The key its sales are booked under: the rate ("21%", "5.5%"), see
        # accounting.postings.taxes_key. Rates are stored in ten-thousandths.
        cursor.execute(f"SELECT DISTINCT tax_rate FROM {lines}")
        for (scaled,) in cursor.fetchall():
            text = f"{Decimal(scaled).scaleb(-4):f}".rstrip("0").rstrip(".") or "0"
            cursor.execute(
                f"UPDATE {lines} SET tax_label = %s WHERE tax_rate = %s", [f"{text}%", scaled]
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0006_remove_financialtransaction_payment"),
        ("catalog", "0005_tax_model"),
        ("orders", "0003_payment_tendered_change"),
        protection.MIGRATION,
    ]

    operations = protection.around(
        migrations.AddField(
            model_name="order",
            name="fiscal_position",
            field=models.ForeignKey(
                blank=True,
                help_text="The position that mapped the order's taxes (e.g. Take-away)",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="catalog.fiscalposition",
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="tax_label",
            field=models.CharField(
                blank=True,
                help_text="The line's taxes as its sales are booked: 'VAT 21%', 'Excise + VAT 21%'",
                max_length=200,
            ),
        ),
        migrations.AlterField(
            model_name="orderline",
            name="tax",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="catalog.tax",
            ),
        ),
        migrations.AlterField(
            model_name="orderline",
            name="tax_rate",
            field=opentill.common.fields.RateField(default=0, places=4),
        ),
        migrations.CreateModel(
            name="OrderLineTax",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("kind", models.CharField(max_length=8)),
                ("rate", opentill.common.fields.RateField(default=0, places=4)),
                (
                    "refund",
                    models.BooleanField(help_text="A refund line's tax (negative quantity)"),
                ),
                (
                    "base",
                    opentill.common.fields.MoneyField(
                        help_text="What the tax was computed on", places=2
                    ),
                ),
                ("amount", opentill.common.fields.MoneyField(places=2)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounting.ledgeraccount",
                    ),
                ),
                (
                    "line",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="taxes",
                        to="orders.orderline",
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="orders.order",
                    ),
                ),
                (
                    "tax",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="catalog.tax",
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
                "indexes": [models.Index(fields=["order"], name="order_line_tax_order")],
            },
        ),
        migrations.RunPython(fill_line_taxes, migrations.RunPython.noop),
    )
