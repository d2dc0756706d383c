"""The posting engine's one-round-trip path (ledger_expect_journal) and one index fewer on journals.
SQL in wallets/sql/0004_ledger_fast_path.sql."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def sql(name: str) -> str:
    return (SQL_DIR / name).read_text()


class Migration(migrations.Migration):

    dependencies = [
        ("wallets", "0005_adjustment"),
    ]

    operations = [
        migrations.RunSQL(sql("0004_ledger_fast_path.sql"), sql("0004_ledger_fast_path.reverse.sql")),
    ]
