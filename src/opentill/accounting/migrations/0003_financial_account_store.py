import django.db.models.deletion
from django.db import migrations, models


def stores_from_use(apps, schema_editor):
    """An account used only by one store's tills (a method's account or close destination, a
    cash-move destination) belongs to that store; one used by several, or by none, stays the
    company's."""
    FinancialAccount = apps.get_model("accounting", "FinancialAccount")
    PaymentMethod = apps.get_model("pos", "PaymentMethod")
    CashMoveDestination = apps.get_model("pos", "CashMoveDestination")
    used: dict[int, set[int]] = {}
    for account_id, store_id in PaymentMethod.objects.values_list(
        "financial_account_id", "profile__store_id"
    ):
        used.setdefault(account_id, set()).add(store_id)
    for account_id, store_id in PaymentMethod.objects.exclude(
        close_destination=None
    ).values_list("close_destination_id", "profile__store_id"):
        used.setdefault(account_id, set()).add(store_id)
    for account_id, store_id in CashMoveDestination.objects.values_list(
        "financial_account_id", "profile__store_id"
    ):
        used.setdefault(account_id, set()).add(store_id)
    for account_id, stores in used.items():
        if len(stores) == 1:
            FinancialAccount.objects.filter(pk=account_id).update(store_id=next(iter(stores)))


class Migration(migrations.Migration):

    dependencies = [
        ('accounting', '0002_initial'),
        ('stores', '0001_initial'),
        ('pos', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='financialaccount',
            name='store',
            field=models.ForeignKey(blank=True, help_text="The store whose money it holds; blank: the company's (e.g. its bank), seen only by users of every store", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='financial_accounts', to='stores.store'),
        ),
        migrations.RunPython(stores_from_use, migrations.RunPython.noop),
    ]
