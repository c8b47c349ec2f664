"""Invoices keep the customer's name, VAT number, address and e-mail as issued.

Invoices issued before are filled from their customer as it is now (the best there is).
"""

from django.db import migrations, models

FIELDS = {
    "customer_name": "name",
    "customer_tax_id": "tax_id",
    "customer_address": "address",
    "customer_email": "email",
}


def fill_customers(apps, schema_editor):  # noqa: ANN001, ANN201
    Invoice = apps.get_model("invoicing", "Invoice")
    Customer = apps.get_model("catalog", "Customer")
    Invoice.objects.update(
        **{
            snapshot: models.Subquery(
                Customer.objects.filter(pk=models.OuterRef("customer_id")).values(field)[:1]
            )
            for snapshot, field in FIELDS.items()
        }
    )


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0001_initial"), ("catalog", "0003_updated_at")]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="customer_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="invoice",
            name="customer_tax_id",
            field=models.CharField(blank=True, max_length=50, verbose_name="customer VAT number"),
        ),
        migrations.AddField(
            model_name="invoice",
            name="customer_address",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="invoice",
            name="customer_email",
            field=models.CharField(blank=True, max_length=254),
        ),
        migrations.RunPython(fill_customers, migrations.RunPython.noop),
    ]
