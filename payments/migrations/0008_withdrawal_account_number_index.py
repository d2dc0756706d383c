"""An index for the admin's search of withdrawals by destination account number, built CONCURRENTLY
(withdrawals keep being written while it builds)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("payments", "0007_handler_run_pending_idx"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="withdrawal",
            index=models.Index(fields=["account_number"], name="withdrawal_account_number_idx"),
        ),
    ]
