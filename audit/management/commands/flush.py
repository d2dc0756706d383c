"""`flush`, able to empty the append-only audit tables (and any other trigger-guarded table).

Django's `flush` (which TransactionTestCase runs after every test) TRUNCATEs every table, and
the audit triggers refuse that. Only a superuser may bypass triggers, with
`session_replication_role = replica`; this command does so for the flush when the database role
is a superuser (development and test databases) and otherwise behaves exactly like Django's, so
that in production, where the application's role is not a superuser, the triggers still refuse.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
        if not (row and row[0]):
            return super().handle(**options)
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            return super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
