"""Order lines keep their taxes as rows of their own only (issue #12): the first-tax columns go."""

from django.db import migrations, models

from opentill.common import protection


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_tax_model"),
        protection.MIGRATION,
    ]

    # Dropping columns of a protected table: between lifting the protection and putting it
    # back (protection.around). A line's taxes are its OrderLineTax rows (orders 0004).
    operations = protection.around(
        migrations.RemoveField(
            model_name="orderline",
            name="tax",
        ),
        migrations.RemoveField(
            model_name="orderline",
            name="tax_rate",
        ),
        migrations.AlterField(
            model_name="orderline",
            name="tax_label",
            field=models.CharField(
                blank=True,
                help_text="The key its sales are booked under, from its taxes: '21%', '10% + 21%'",
                max_length=200,
            ),
        ),
    )
