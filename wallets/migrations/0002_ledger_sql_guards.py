"""Constraints and triggers of the ledger, kept as reviewable SQL in wallets/sql/."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def sql(name: str) -> str:
    return (SQL_DIR / name).read_text()


class Migration(migrations.Migration):

    dependencies = [
        ("wallets", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(sql("0002_ledger_constraints.sql"), sql("0002_ledger_constraints.reverse.sql")),
        migrations.RunSQL(sql("0003_ledger_triggers.sql"), sql("0003_ledger_triggers.reverse.sql")),
    ]
