"""Drop FinancialTransaction.payment, never written since payments are booked one
transaction per payment method and batch. The table is protected
(``opentill.common.protection``): the protection is lifted around the drop and put back."""

from django.db import migrations

from opentill.common.protection import around


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0005_posted_flag"),
        ("common", "0002_protection"),
    ]

    operations = around(
        migrations.RemoveField(
            model_name="financialtransaction",
            name="payment",
        ),
    )
