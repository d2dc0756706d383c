"""Less work under row locks: the double-entry checks at COMMIT once per journal
(wallets/sql/0006_ledger_journal_check.sql), and ledger_post_journal updating every wallet before
writing their postings in one INSERT (wallets/sql/0007_ledger_post_updates_then_postings.sql)."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def sql(name: str) -> str:
    return (SQL_DIR / name).read_text()


class Migration(migrations.Migration):

    dependencies = [
        ("wallets", "0008_provider_fees_account"),
    ]

    operations = [
        migrations.RunSQL(sql("0006_ledger_journal_check.sql"), sql("0006_ledger_journal_check.reverse.sql")),
        # The reverse is the function as 0007_ledger_post_function created it.
        migrations.RunSQL(sql("0007_ledger_post_updates_then_postings.sql"), sql("0005_ledger_post_function.sql")),
    ]
