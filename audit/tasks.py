"""Beat job: seal new audit rows (CELERY_BEAT_SCHEDULE["audit-seal"])."""

from celery import shared_task

from .services import audit_seal_pending


@shared_task(name="audit.seal", ignore_result=True)
def audit_seal() -> int:
    return len(audit_seal_pending())
