"""Admin search on the tables that only grow stays on their indexes (cozonpay.backoffice.IndexedSearchMixin):
exact references, UUIDs only when the term is one, emails through the lower(email) index."""

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory

from tests.factories import make_wallet
from wallets.models import Journal, LedgerAccount
from wallets.services import transfer
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor():
    from audit.services import Actor

    return Actor.system("tests")


def _search(model, term: str):
    model_admin = admin.site._registry[model]
    queryset, duplicates = model_admin.get_search_results(RequestFactory().get("/"), model.objects.all(), term)
    assert duplicates is False
    return queryset


def _indexed_search_models():
    from cozonpay.backoffice import IndexedSearchMixin

    return sorted((model for model, model_admin in admin.site._registry.items()
                   if isinstance(model_admin, IndexedSearchMixin)), key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", _indexed_search_models(), ids=lambda model: model._meta.label)
@pytest.mark.parametrize("term", ["MNFY|1|x", "0b7d3a4e-2f51-4c59-9a53-2a0f7c1e9d11", "Ada@Example.com", "0123456789"])
def test_each_search_is_a_union_of_index_scans(model, term):
    # Plans as on a large table: with sequential and plain index scans disabled, the planner must
    # still find a plan without a disabled node, which it can only do when every branch of the OR
    # has an index condition (a bitmap scan). A disabled node shows as "Disabled: true" (PostgreSQL
    # 18) or as a cost of 10^10 and more (earlier); a plain index scan walking the whole table with
    # a Filter would otherwise pass for an index search.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_indexonlyscan = off")
    plan = _search(model, term).explain()
    assert "Disabled: true" not in plan and not re.search(r"cost=\d{11,}", plan), plan


def test_journals_are_found_by_exact_reference_or_public_id():
    a, b = make_wallet(balance=1_000), make_wallet()
    journal = transfer(source=a, destination=b, amount=10, reference="search-me-1", actor=None)
    assert list(_search(Journal, " search-me-1 ")) == [journal]
    assert list(_search(Journal, str(journal.public_id).upper())) == [journal]
    assert list(_search(Journal, "search-me")) == []  # exact, not contains
    assert list(_search(Journal, "")) == list(Journal.objects.all())


def test_wallets_are_found_by_their_owner_email_ignoring_case():
    wallet = make_wallet()
    assert list(_search(LedgerAccount, wallet.owner.email.upper())) == [wallet]
    assert list(_search(LedgerAccount, "nobody@example.com")) == []


def test_the_changelists_answer_whatever_the_term(client, superuser):
    client.force_login(superuser)
    for term in ("not-a-uuid", "SOMEONE@EXAMPLE.COM", str(uuid.uuid4()), "%_\\"):
        for url in ("/admin/payments/withdrawal/", "/admin/webhooks/webhookevent/", "/admin/wallets/journal/",
                    "/admin/wallets/ledgeraccount/", "/admin/payments/refund/", "/admin/payments/dispute/"):
            assert client.get(url, {"q": term}).status_code == 200, (url, term)


def test_audit_and_journal_changelists_filter_without_scanning_for_their_choices(client, superuser, actor):
    # given: a journal, and audit rows of two domains
    from django.test.utils import CaptureQueriesContext

    from audit.models import AuditEvent

    a, b = make_wallet(balance=1_000), make_wallet()
    journal = transfer(source=a, destination=b, amount=10, reference="filter-me", actor=None)
    client.force_login(superuser)
    # when
    with CaptureQueriesContext(connection) as queries:
        audit_page = client.get("/admin/audit/auditevent/", {"action_domain": "ledger"})
        journal_page = client.get("/admin/wallets/journal/", {"kind": journal.kind})
    # then: the filters work, and no page ran a DISTINCT over its table to list the choices
    assert audit_page.status_code == journal_page.status_code == 200
    ledger_rows = AuditEvent.objects.filter(action__startswith="ledger.").count()
    assert ledger_rows > 0 and audit_page.context["cl"].result_count == ledger_rows
    assert list(journal_page.context["cl"].result_list) == [journal]
    assert not [q["sql"] for q in queries.captured_queries
                if "DISTINCT" in q["sql"] and ('"audit_auditevent"' in q["sql"] or '"wallets_journal"' in q["sql"])]


def test_an_unfiltered_list_of_a_large_table_is_counted_from_the_planner_estimate(monkeypatch, actor):
    # given: journals, analysed (reltuples is then their count), and a threshold every table passes
    from django.test.utils import CaptureQueriesContext

    from cozonpay.backoffice import EstimatedCountPaginator

    a, b = make_wallet(balance=1_000), make_wallet()
    for i in range(3):
        transfer(source=a, destination=b, amount=10, reference=f"count-me-{i}", actor=actor)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE wallets_journal")
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'wallets_journal'::regclass")
        estimate = cursor.fetchone()[0]
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 1)
    # when / then: unfiltered, the estimate and no COUNT(*); filtered, an exact COUNT(*)
    exact = Journal.objects.count()
    with CaptureQueriesContext(connection) as queries:
        counted = EstimatedCountPaginator(Journal.objects.order_by("id"), 50).count
    assert counted == estimate == exact
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        assert EstimatedCountPaginator(Journal.objects.filter(reference="count-me-1"), 50).count == 1
    assert [q for q in queries.captured_queries if "COUNT(" in q["sql"]]


def test_journals_filter_by_a_time_range(client, superuser, actor):
    # given: a journal posted now
    a, b = make_wallet(balance=1_000), make_wallet()
    journal = transfer(source=a, destination=b, amount=10, reference="range-me", actor=actor)
    today = journal.created_at.date().isoformat()
    client.force_login(superuser)
    # when / then: the day includes it, the day before does not, a bad date is refused without a 500
    page = client.get("/admin/wallets/journal/", {"created_from": today, "created_to": today})
    assert journal in list(page.context["cl"].result_list)
    yesterday = (journal.created_at.date() - timedelta(days=1)).isoformat()
    page = client.get("/admin/wallets/journal/", {"created_to": yesterday})
    assert journal not in list(page.context["cl"].result_list)
    assert client.get("/admin/wallets/journal/", {"created_from": "not-a-date"}).status_code in (200, 302)


def test_the_webhook_inbox_filters_by_type_and_time_without_scanning_for_choices(client, superuser):
    # given: one handled webhook type and one nobody handles
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    now = timezone.now()
    handled = WebhookEvent.objects.create(event_type="SUCCESSFUL_TRANSACTION", dedupe_key="k1", reference="r1",
                                          body="{}", headers={}, received_at=now, last_delivered_at=now)
    other = WebhookEvent.objects.create(event_type="SOMETHING_NEW", dedupe_key="k2", reference="r2",
                                        body="{}", headers={}, received_at=now, last_delivered_at=now)
    client.force_login(superuser)
    # when
    with CaptureQueriesContext(connection) as queries:
        by_type = client.get("/admin/webhooks/webhookevent/", {"event_type": "SUCCESSFUL_TRANSACTION"})
        others = client.get("/admin/webhooks/webhookevent/", {"event_type": "__other__"})
        today = client.get("/admin/webhooks/webhookevent/", {"received_from": now.date().isoformat()})
    # then
    assert list(by_type.context["cl"].result_list) == [handled]
    assert list(others.context["cl"].result_list) == [other]
    assert set(today.context["cl"].result_list) == {handled, other}
    assert not [q["sql"] for q in queries.captured_queries
                if "DISTINCT" in q["sql"] and '"webhooks_webhookevent"' in q["sql"]]
