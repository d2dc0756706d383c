"""`python manage.py reconcile --date YYYY-MM-DD [--scope monnify|ledger|all]`: run a reconciliation
now, in this process, and print what it found. Exit status 1 when a run found new discrepancies."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from payments.services.reconciliation import reconcile_ledger, reconcile_monnify, reconciliation_today


class Command(BaseCommand):
    help = "Reconcile one day with Monnify (collections and disbursements) and/or check the ledger."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day (Africa/Lagos), YYYY-MM-DD; default yesterday")
        parser.add_argument("--scope", choices=["monnify", "ledger", "all"], default="monnify")

    def handle(self, *args, date=None, scope="monnify", **options):
        try:
            day = dt.date.fromisoformat(date) if date else reconciliation_today() - dt.timedelta(days=1)
        except ValueError:
            raise CommandError("--date must be YYYY-MM-DD")
        runs = []
        if scope in ("ledger", "all"):
            runs.append(reconcile_ledger(triggered_by="command", full=True))
        if scope in ("monnify", "all"):
            runs.append(reconcile_monnify(day=day, triggered_by="command"))
        for run in runs:
            self.stdout.write(f"{run}: {run.status}, {run.found} new discrepancies, {run.healed} healed, "
                              f"stats {run.stats}")
        if any(run.found for run in runs):
            raise SystemExit(1)
