"""Idempotent demo data for `make run`: a staff superuser and two customers."""

from django.core.management.base import BaseCommand
from django.db import transaction

from cozonpay.users.models import User
from cozonpay.users.services import user_register

STAFF = ("admin@cozonpay.local", "cozonpay-admin-demo")
CUSTOMERS = [
    ("ada@example.ng", "ada-demo-pass-2026", "Ada", "Obi", "+2348030000001"),
    ("tunde@example.ng", "tunde-demo-pass-2026", "Tunde", "Bello", "+2348030000002"),
]


class Command(BaseCommand):
    help = "Create the demo staff user and customers (safe to run again)."

    def handle(self, *args, **options):
        email, password = STAFF
        if not User.objects.filter(email=email).exists():
            with transaction.atomic():
                User.objects.create_superuser(email=email, password=password, first_name="Demo", last_name="Staff")
        for c_email, c_password, first, last, phone in CUSTOMERS:
            if not User.objects.filter(email=c_email).exists():
                user_register(email=c_email, password=c_password, first_name=first, last_name=last,
                              phone_number=phone)
        self.stdout.write("Demo logins:")
        self.stdout.write(f"  staff (admin):   {STAFF[0]} / {STAFF[1]}")
        for c_email, c_password, *_ in CUSTOMERS:
            self.stdout.write(f"  customer (API):  {c_email} / {c_password}")
