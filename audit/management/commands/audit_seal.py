"""python manage.py audit_seal [--horizon SECONDS]: seal pending audit rows now (what beat does)."""

from django.core.management.base import BaseCommand

from audit.services import audit_seal_pending


class Command(BaseCommand):
    help = "Seal audit rows older than the horizon into the tamper-evidence chain."

    def add_arguments(self, parser):
        parser.add_argument("--horizon", type=int, default=None, help="Override AUDIT_SEAL_HORIZON_SECONDS.")

    def handle(self, *args, horizon, **options):
        seals = audit_seal_pending(horizon_seconds=horizon)
        for seal in seals:
            self.stdout.write(f"{seal}: {seal.seal_hash}")
        self.stdout.write(f"{len(seals)} seal(s) created.")
