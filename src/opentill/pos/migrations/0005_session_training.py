# Training mode per session (issue #13 item 7). pos_session is protected (a closed session
# never changes): SQLite rebuilds the table to add a column with a default, so the
# operation runs between lifting the protection and putting it back.

from django.db import migrations, models

from opentill.common import protection


class Migration(migrations.Migration):
    dependencies = [
        ("pos", "0004_money_thousandths"),
        protection.MIGRATION,
    ]

    operations = protection.around(
        migrations.AddField(
            model_name="session",
            name="training",
            field=models.BooleanField(
                default=False,
                help_text="Training mode: its tickets are not sales (TRAINING on every "
                "receipt), left out of every total, report and export, and its close books "
                "nothing",
            ),
        ),
    )
