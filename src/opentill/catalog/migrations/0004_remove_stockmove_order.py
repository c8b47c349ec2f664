"""Drop StockMove.order, never written since stock moves are one per product and batch."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_updated_at"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="stockmove",
            name="order",
        ),
    ]
