"""`python manage.py ledger_check`: run the ledger integrity check; exit 1 on any discrepancy."""

import json

from django.core.management.base import BaseCommand, CommandError

from wallets.selectors import ledger_integrity_check


class Command(BaseCommand):
    help = "Prove cached balances, holds and journals against the postings (exit 1 on any discrepancy)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the report as one JSON object")

    def handle(self, *args, **options):
        report = ledger_integrity_check()
        if options["json"]:
            self.stdout.write(json.dumps({
                "ok": report.ok, "accounts": report.accounts, "journals": report.journals,
                "postings": report.postings, "pending_holds": report.pending_holds,
                "discrepancies": [vars(d) for d in report.discrepancies],
            }, default=str))
        else:
            self.stdout.write(
                f"ledger_check: {report.accounts} accounts, {report.journals} journals, "
                f"{report.postings} postings, {report.pending_holds} pending holds checked at "
                f"{report.checked_at.isoformat()}"
            )
            for discrepancy in report.discrepancies:
                self.stderr.write(f"  DISCREPANCY {discrepancy}")
        if not report.ok:
            raise CommandError(f"{len(report.discrepancies)} discrepancies found", returncode=1)
        if not options["json"]:
            self.stdout.write(self.style.SUCCESS("ledger_check: OK"))
