"""The API transfer's two reads, as prepared statements: the same objects the ORM would build."""

import pytest

from cozonpay.db import Columns, execute_prepared
from cozonpay.users.models import User
from tests.factories import make_wallet
from wallets.models import Journal, LedgerAccount
from wallets.selectors import wallet_of_recipient, wallet_with_owner

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_wallet_with_owner_is_the_orm_wallet_and_owner():
    wallet = make_wallet(balance=12_345)
    found = wallet_with_owner(owner_id=wallet.owner_id, public_id=wallet.public_id)
    orm = LedgerAccount.objects.select_related("owner").get(pk=wallet.pk)
    assert _fields(found) == _fields(orm)
    assert _fields(found.owner) == _fields(orm.owner)
    assert found._state.adding is False and found.owner._state.db == "default"


def test_wallet_with_owner_is_none_for_someone_else():
    mine, theirs = make_wallet(), make_wallet()
    assert wallet_with_owner(owner_id=mine.owner_id, public_id=theirs.public_id) is None


def test_wallet_of_recipient_by_email_phone_and_currency():
    wallet = make_wallet()
    owner = wallet.owner
    User.objects.filter(pk=owner.pk).update(phone_number="+2348031234567")
    assert wallet_of_recipient(identifier=owner.email.upper(), currency="NGN").pk == wallet.pk
    assert wallet_of_recipient(identifier="08031234567", currency="NGN").owner.pk == owner.pk
    assert wallet_of_recipient(identifier=owner.email, currency="USD") is None
    assert wallet_of_recipient(identifier="not a phone", currency="NGN") is None
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert wallet_of_recipient(identifier=owner.email, currency="NGN") is None


def test_columns_apply_the_fields_converters(actor):
    # given: a journal, whose metadata is a JSONField (decoded by its converter)
    from wallets.services import transfer

    a, b = make_wallet(balance=1_000), make_wallet()
    journal = transfer(source=a, destination=b, amount=10, reference="columns-t", actor=actor,
                       metadata={"channel": "test", "n": 1})
    columns = Columns(Journal, "j")
    # when
    rows = execute_prepared(f"SELECT {columns.sql} FROM wallets_journal j WHERE j.id = %s", [journal.pk])  # noqa: S608
    built = columns.build(rows[0])
    # then
    assert built.metadata == {"channel": "test", "n": 1}
    assert _fields(built) == _fields(Journal.objects.get(pk=journal.pk))
