"""python manage.py audit_verify [--anchor SEAL_ID:HASH ...]

Recomputes the audit seal chain and every sealed row; prints each finding ("row 1234 altered
(seal 7)", ...) and a summary. Exit status 1 when anything was altered, inserted or removed."""

from django.core.management.base import BaseCommand, CommandError

from audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's seal chain; exit 1 if any row or seal was altered, inserted or removed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor", action="append", default=[], metavar="SEAL_ID:HASH",
            help="A seal hash kept outside the database (from the 'audit sealed' log line) that must still match.",
        )

    def handle(self, *args, anchor, **options):
        anchors = {}
        for item in anchor:
            seal_id, _, digest = item.partition(":")
            if not seal_id.isdigit() or len(digest) != 64:
                raise CommandError(f"--anchor must be SEAL_ID:SHA256HEX, got {item!r}")
            anchors[int(seal_id)] = digest.lower()
        report = audit_chain_verify(anchors=anchors)
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise SystemExit(1)
