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
        ("stores", "0003_tax_model"),
        protection.MIGRATION,
    ]

    operations = [
        migrations.AlterField(
            model_name="company",
            name="cash_rounding",
            field=opentill.common.fields.MoneyField(
                default=Decimal("0.01"),
                help_text="Cash amounts due are rounded to a multiple of this step",
                places=3,
            ),
        ),
        rescale_money("stores", {"company": ("cash_rounding",)}),
    ]
