"""Indexes for the admin's search of refunds and disputes (cozonpay.backoffice.IndexedSearchMixin),
built CONCURRENTLY so the tables stay writable while they build."""

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("payments", "0008_withdrawal_account_number_index"),
        ("wallets", "0009_ledger_journal_check"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="dispute",
            index=models.Index(fields=["reference"], name="dispute_reference_idx"),
        ),
        AddIndexConcurrently(
            model_name="dispute",
            index=models.Index(fields=["journal_reference"], name="dispute_journal_reference_idx"),
        ),
        AddIndexConcurrently(
            model_name="refund",
            index=models.Index(fields=["transaction_reference"], name="refund_transaction_ref_idx"),
        ),
    ]
