"""Append-only triggers on audit events and seals, and the database-stamped event time.
The SQL lives in audit/sql/ so it can be reviewed as SQL."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_seal_and_db_time"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(SQL_DIR / "audit_immutable.sql").read_text(),
            reverse_sql=(SQL_DIR / "audit_immutable_reverse.sql").read_text(),
        ),
    ]
