"""Dedicated deposit accounts: a reserved account at Monnify per wallet (accountReference = the
wallet's public id), opened after KYC by a Celery task retried until it succeeds.

Idempotent: the request row is unique per wallet, the account rows are unique per NUBAN, and a
create whose answer was lost (timeout, 5xx, "already exists") is resolved by reading the account
back with the same accountReference, never by creating another one.
"""

from __future__ import annotations

import base64
import hashlib
import logging

from cryptography.fernet import Fernet
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from cozonpay.enqueue import safe_enqueue
from wallets.models import AccountKind, LedgerAccount

from ..clients.monnify import errors as monnify_errors
from ..clients.monnify.client import get_client
from ..models import DepositAccount, DepositAccountRequest, DepositAccountRequestStatus

logger = logging.getLogger("payments.deposit_accounts")


def _fernet() -> Fernet:
    key = settings.KYC_ENCRYPTION_KEY
    if not key:
        key = base64.urlsafe_b64encode(hashlib.sha256(f"kyc:{settings.SECRET_KEY}".encode()).digest()).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def _encrypt(value: str | None) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def _decrypt(value: str) -> str | None:
    return _fernet().decrypt(value.encode()).decode() if value else None


def deposit_account_request_for_user(*, user_id: str, bvn: str | None, nin: str | None) -> DepositAccountRequest | None:
    """Record (or refresh) the request for the user's NGN wallet and queue the opening."""
    wallet = LedgerAccount.objects.filter(owner_id=user_id, kind=AccountKind.CUSTOMER_WALLET, currency="NGN").first()
    if wallet is None:
        return None
    with transaction.atomic():
        request, _ = DepositAccountRequest.objects.select_for_update().get_or_create(wallet=wallet)
        if request.status == DepositAccountRequestStatus.OPENED:
            return request
        if bvn:
            request.bvn_ciphertext = _encrypt(bvn)
        if nin:
            request.nin_ciphertext = _encrypt(nin)
        request.updated_at = timezone.now()
        request.save()
        transaction.on_commit(lambda: _ring(request.pk))
    return request


def _ring(request_id: int) -> None:
    from ..tasks import deposit_account_open_task

    safe_enqueue(deposit_account_open_task, args=(request_id,))


def deposit_account_open(*, request_id: int) -> list[DepositAccount]:
    """Open the reserved account for one request (outside any transaction: it calls Monnify).
    Raises MonnifyError when Monnify cannot answer; the task retries with backoff."""
    request = DepositAccountRequest.objects.select_related("wallet__owner").get(pk=request_id)
    if request.status == DepositAccountRequestStatus.OPENED:
        return list(DepositAccount.objects.filter(wallet=request.wallet))
    DepositAccountRequest.objects.filter(pk=request.pk).update(attempts=request.attempts + 1,
                                                                updated_at=timezone.now())
    wallet = request.wallet
    user = wallet.owner
    reference = str(wallet.public_id)
    client = get_client()
    try:
        reserved = client.reserved_account_create(
            account_reference=reference, account_name=user.full_name, customer_email=user.email,
            customer_name=user.full_name, bvn=_decrypt(request.bvn_ciphertext), nin=_decrypt(request.nin_ciphertext),
            audit_references=[reference],
        )
    except (monnify_errors.MonnifyUnknownOutcome, monnify_errors.MonnifyTerminalError) as exc:
        # The account may exist (a lost answer, or an earlier attempt): read it back by reference.
        try:
            reserved = client.reserved_account_get(reference, audit_references=[reference])
        except monnify_errors.MonnifyNotFound:
            DepositAccountRequest.objects.filter(pk=request.pk).update(last_error=str(exc)[:2000])
            raise exc from None
    except monnify_errors.MonnifyError as exc:
        DepositAccountRequest.objects.filter(pk=request.pk).update(last_error=str(exc)[:2000])
        raise
    with transaction.atomic(durable=True):
        locked = DepositAccountRequest.objects.select_for_update().get(pk=request.pk)
        accounts = []
        for account in reserved.accounts:
            row, _ = DepositAccount.objects.get_or_create(
                bank_code=account.bank_code, account_number=account.account_number,
                defaults={"wallet": wallet, "account_reference": reference,
                          "reservation_reference": reserved.reservation_reference,
                          "bank_name": account.bank_name, "account_name": account.account_name},
            )
            accounts.append(row)
        if locked.status != DepositAccountRequestStatus.OPENED:
            locked.status = DepositAccountRequestStatus.OPENED
            locked.bvn_ciphertext = ""
            locked.nin_ciphertext = ""
            locked.last_error = ""
            locked.opened_at = timezone.now()
            locked.save()
            audit_record(action="deposit_account.opened", actor=Actor.system("deposit_accounts"), subject=wallet,
                         references=[reference, reserved.reservation_reference],
                         payload={"accounts": [{"bank": a.bank_name, "account_number": a.account_number}
                                               for a in accounts]})
    return accounts


def deposit_accounts_sweep() -> int:
    """Re-queue every request still pending (broker down, retries exhausted)."""
    ids = list(DepositAccountRequest.objects.filter(status=DepositAccountRequestStatus.PENDING)
               .values_list("pk", flat=True)[:500])
    for request_id in ids:
        _ring(request_id)
    return len(ids)
