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
        ("catalog", "0005_tax_model"),
        protection.MIGRATION,
    ]

    operations = [
        migrations.AlterField(
            model_name="product",
            name="price",
            field=opentill.common.fields.MoneyField(
                help_text="Unit price, holding the taxes that are price-included", places=3
            ),
        ),
        migrations.AlterField(
            model_name="tax",
            name="amount",
            field=opentill.common.fields.MoneyField(
                default=0, help_text="Per unit sold (fixed taxes), e.g. a bottle deposit", places=3
            ),
        ),
        rescale_money("catalog", {"product": ("price",), "tax": ("amount",)}),
    ]
