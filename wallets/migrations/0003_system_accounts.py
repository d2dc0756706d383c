"""The system accounts of each supported currency. They may go negative: their balance is the
sum of their postings, never a cached row."""

from django.db import migrations

CODES = ("monnify_clearing", "fees_revenue", "withdrawals_in_flight", "suspense")
CURRENCIES = ("NGN",)


def create(apps, schema_editor):
    LedgerAccount = apps.get_model("wallets", "LedgerAccount")
    for currency in CURRENCIES:
        for code in CODES:
            LedgerAccount.objects.get_or_create(
                kind="system", system_code=code, currency=currency, defaults={"allow_negative": True},
            )


class Migration(migrations.Migration):

    dependencies = [
        ("wallets", "0002_ledger_sql_guards"),
    ]

    operations = [
        migrations.RunPython(create, migrations.RunPython.noop),
    ]
