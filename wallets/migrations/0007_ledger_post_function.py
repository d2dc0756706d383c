"""One journal in one statement: ledger_post_journal. SQL in wallets/sql/0005_ledger_post_function.sql."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def sql(name: str) -> str:
    return (SQL_DIR / name).read_text()


class Migration(migrations.Migration):

    dependencies = [
        ("wallets", "0006_ledger_fast_path"),
    ]

    operations = [
        migrations.RunSQL(sql("0005_ledger_post_function.sql"), sql("0005_ledger_post_function.reverse.sql")),
    ]
