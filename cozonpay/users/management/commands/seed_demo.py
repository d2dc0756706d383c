"""Idempotent demo data for `make run`: a staff superuser and two customers with a PIN and KYC
done (so the worker opens their dedicated deposit accounts at the local Monnify sandbox)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from cozonpay.users.models import User
from cozonpay.users.services import pin_set, user_kyc_submit, user_register

STAFF = ("admin@cozonpay.local", "cozonpay-admin-demo")
CUSTOMERS = [
    ("ada@example.ng", "ada-demo-pass-2026", "Ada", "Obi", "+2348030000001", "22200000001"),
    ("tunde@example.ng", "tunde-demo-pass-2026", "Tunde", "Bello", "+2348030000002", "22200000002"),
]
DEMO_PIN = "1234"


class Command(BaseCommand):
    help = "Create the demo staff user and customers (safe to run again)."

    def handle(self, *args, **options):
        email, password = STAFF
        if not User.objects.filter(email=email).exists():
            with transaction.atomic():
                User.objects.create_superuser(email=email, password=password, first_name="Demo", last_name="Staff")
        for c_email, c_password, first, last, phone, bvn in CUSTOMERS:
            user = User.objects.filter(email=c_email).first() or user_register(
                email=c_email, password=c_password, first_name=first, last_name=last, phone_number=phone)
            if not user.has_pin:
                pin_set(user=user, pin=DEMO_PIN, password=c_password)
            if user.kyc_tier == 0:
                user_kyc_submit(user=user, bvn=bvn)
        self.stdout.write("Demo logins:")
        self.stdout.write(f"  staff (admin):   {STAFF[0]} / {STAFF[1]}")
        for c_email, c_password, *_ in CUSTOMERS:
            self.stdout.write(f"  customer (API):  {c_email} / {c_password}  (transaction PIN {DEMO_PIN})")
