import itertools

import pytest
from django.db import connection

from audit.services import Actor, audit_record
from cozonpay.users.models import User

PASSWORD = "Correct-Horse-Battery-9"
_seq = itertools.count(1)


def make_user(*, staff: bool = False, superuser: bool = False, **extra) -> User:
    n = next(_seq)
    if superuser:
        return User.objects.create_superuser(email=f"admin{n}@cozonpay.test", password=PASSWORD, **extra)
    return User.objects.create_user(email=f"user{n}@cozonpay.test", password=PASSWORD, is_staff=staff, **extra)


def record(n: int = 1, *, reference: str = "ref", action: str = "test.event.recorded"):
    return [
        audit_record(action=action, actor=Actor.system("tests"), subject=("test.Thing", str(i)),
                     references=[f"{reference}-{i}"], payload={"i": i, "nested": {"b": [1, 2.5, "x"], "a": None}})
        for i in range(n)
    ]


def set_triggers(enabled: bool) -> None:
    """As the postgres superuser (the test database role): disable or re-enable every user trigger."""
    verb = "ENABLE" if enabled else "DISABLE"
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE audit_auditevent {verb} TRIGGER USER")
        cursor.execute(f"ALTER TABLE audit_auditseal {verb} TRIGGER USER")


@pytest.fixture
def triggers_disabled():
    set_triggers(False)
    try:
        yield
    finally:
        set_triggers(True)
