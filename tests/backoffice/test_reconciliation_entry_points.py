"""Beat schedule, tasks and the `reconcile` command: thin wrappers around the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from payments import tasks
from payments.models import ReconciliationRun
from payments.services.reconciliation import reconciliation_today

pytestmark = pytest.mark.django_db


def test_beat_runs_the_ledger_check_every_10_minutes_and_a_full_run_nightly():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["reconcile-ledger"] == {"task": "payments.reconcile_ledger", "schedule": 600}
    nightly = schedule["reconcile-nightly"]
    assert nightly["task"] == "payments.reconcile_nightly"
    assert (nightly["schedule"].hour, nightly["schedule"].minute) == ({0}, {30})


def test_tasks_record_runs(sandbox, monnify_settings):
    ledger_id = tasks.reconcile_ledger_task()
    nightly_ids = tasks.reconcile_nightly_task()
    day_id = tasks.reconcile_monnify_task("2025-03-14", "admin:ops@cozonpay.ng")
    runs = {run.pk: run for run in ReconciliationRun.objects.all()}
    assert runs[ledger_id].scope == "ledger" and runs[ledger_id].status == "succeeded"
    assert [(runs[i].scope, runs[i].full) for i in nightly_ids] == [("ledger", True), ("monnify", False)]
    assert runs[nightly_ids[1]].day == reconciliation_today() - dt.timedelta(days=1)
    assert (str(runs[day_id].day), runs[day_id].triggered_by) == ("2025-03-14", "admin:ops@cozonpay.ng")


def test_reconcile_command(sandbox, monnify_settings, capsys):
    call_command("reconcile", "--date", "2025-03-14", "--scope", "all")
    out = capsys.readouterr().out
    assert "ledger run" in out and "monnify run" in out and "for 2025-03-14" in out
    assert list(ReconciliationRun.objects.order_by("id").values_list("scope", "triggered_by", "status")) == [
        ("ledger", "command", "succeeded"), ("monnify", "command", "succeeded")]
    with pytest.raises(CommandError):
        call_command("reconcile", "--date", "14/03/2025")
