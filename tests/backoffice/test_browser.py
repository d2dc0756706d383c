"""The back office in a real browser: headless Chromium (Debian's package, never a downloaded
browser) driven by Playwright against a live server. Finance walks the dashboard to a discrepancy
and resolves it, resolves a dispute with a reversal, and one Finance user proposes an adjustment
that another approves. Screenshots go to artifacts/browser/ (look at them).

`make test` installs Chromium when it can (scripts/test.sh: root and apt-get); otherwise this test
is skipped with the reason."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from django.db import connections

from payments.models import Discrepancy, Dispute, ReconciliationRun
from payments.services.disputes import dispute_open
from tests.factories import make_wallet
from wallets.models import Adjustment, Journal, LedgerAccount
from wallets.services import transfer

from .conftest import STAFF_PASSWORD, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.skip(f"browser test skipped: Chromium not found at {path} (make test installs Debian's chromium "
                    "when run as root with apt-get; or set CHROMIUM_PATH)")
    return path


@pytest.fixture
def browser(monkeypatch):
    path = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser test skipped: the playwright package is not installed (requirements-dev.txt)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still
    # plain synchronous calls between page steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
        # Inside Playwright's greenlet the ORM had its own connection: close it, or it outlives the test.
        connections.close_all()


@pytest.fixture
def http_cookies(settings, monkeypatch):
    settings.SESSION_COOKIE_SECURE = False  # the live server speaks plain HTTP
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False
    # The live server answers each request in a new thread: close its connection at the end of
    # the request, so none outlives the test and blocks dropping the test database.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)


def _login(browser, base_url: str, user):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base_url}/admin/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    return page


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _success(page) -> str:
    return page.inner_text("ul.messagelist li.success")


def test_finance_walks_the_back_office(browser, live_server, http_cookies):
    # given
    finance = make_staff("Finance", email=f"funmi-{uuid.uuid4().hex[:6]}@cozonpay.ng")
    checker = make_staff("Finance", email=f"tunde-{uuid.uuid4().hex[:6]}@cozonpay.ng")
    alice, bob = make_wallet(balance=200_000), make_wallet(balance=0)
    sent = transfer(source=alice, destination=bob, amount=75_000, reference=f"transfer:{uuid.uuid4()}",
                    actor=alice.owner)
    dispute = dispute_open(user=alice.owner, reference=sent.reference, reason="sent_in_error",
                           description="I sent it to the wrong account")
    run = ReconciliationRun.objects.create(scope="monnify", triggered_by="beat", status="succeeded")
    discrepancy = Discrepancy.objects.create(
        kind="amount_mismatch", source="collection", reference="MNFY|20250314|000042", run=run,
        summary="deposit dep_42: credited 250000 kobo, Monnify says 240000 kobo paid", amount_ours=250_000,
        amount_theirs=240_000, ours={"deposit": "dep_42", "amount_credited": 250000},
        theirs={"transactionReference": "MNFY|20250314|000042", "amountPaid": "2400.00"})

    # dashboard -> the open discrepancies -> the discrepancy -> resolve
    page = _login(browser, live_server.url, finance)
    assert page.is_visible("#backoffice-dashboard")
    _shot(page, "01-dashboard")
    page.click('#backoffice-dashboard a[href$="discrepancy/?status__exact=open"]')
    page.wait_for_selector("#result_list")
    _shot(page, "02-discrepancies")
    page.click("#result_list tbody tr:first-child th a")
    page.wait_for_selector("#step-resolve")
    _shot(page, "03-discrepancy")
    page.click("#step-resolve")
    page.fill("textarea[name=note]", "Customer was credited N100 too much; clawed back by adjustment.")
    page.click("input[name=apply]")
    assert "Discrepancy resolved." in _success(page)
    _shot(page, "04-discrepancy-resolved")
    resolved = Discrepancy.objects.get(pk=discrepancy.pk)
    assert (resolved.status, resolved.resolved_by_id) == ("resolved", finance.pk)

    # dashboard -> open disputes -> the dispute (with its timeline) -> resolve with a reversal
    page.goto(f"{live_server.url}/admin/")
    page.click('#backoffice-dashboard a[href*="dispute/?status__in="]')
    page.wait_for_selector("#result_list")
    page.click("#result_list tbody tr:first-child th a")
    page.wait_for_selector("#step-resolve")
    assert "dispute.opened" in page.inner_text(".backoffice-timeline")
    _shot(page, "05-dispute")
    page.click("#step-resolve")
    page.select_option("select[name=outcome]", "reversal")
    page.fill("textarea[name=note]", "We reversed the transfer; the money is back in your wallet.")
    _shot(page, "06-dispute-resolve-form")
    page.click("input[name=apply]")
    assert "Dispute resolved." in _success(page)
    _shot(page, "07-dispute-resolved")
    closed = Dispute.objects.get(pk=dispute.pk)
    assert (closed.status, closed.outcome) == ("resolved", "reversal")
    assert Journal.objects.get(reference=closed.resolution_reference).reverses_id == sent.pk
    assert LedgerAccount.objects.get(pk=alice.pk).balance == 200_000
    assert LedgerAccount.objects.get(pk=bob.pk).balance == 0

    # one Finance user proposes an adjustment...
    page.goto(f"{live_server.url}/admin/wallets/adjustment/add/")
    page.select_option("select[name=kind]", "credit")
    page.fill("input[name=wallet]", bob.owner.email)
    page.fill("input[name=amount]", "2500.00")
    page.fill("textarea[name=reason]", "Goodwill: delayed transfer")
    _shot(page, "08-adjustment-propose")
    page.click("input[name=apply]")
    assert "Adjustment proposed" in _success(page)
    assert not page.is_visible("#step-approve")  # never one's own
    _shot(page, "09-adjustment-proposed")
    adjustment = Adjustment.objects.get(account=bob)
    assert (adjustment.status, adjustment.amount, adjustment.proposed_by_id) == ("proposed", 250_000, finance.pk)
    assert LedgerAccount.objects.get(pk=bob.pk).balance == 0

    # ...and another approves it
    page = _login(browser, live_server.url, checker)
    page.goto(f"{live_server.url}/admin/wallets/adjustment/")
    page.click("#result_list tbody tr:first-child th a")
    page.click("#step-approve")
    page.fill("textarea[name=note]", "Checked the transfer delay.")
    page.click("input[name=apply]")
    assert "approved and posted" in _success(page)
    _shot(page, "10-adjustment-approved")
    adjustment = Adjustment.objects.get(pk=adjustment.pk)
    assert (adjustment.status, adjustment.decided_by_id) == ("approved", checker.pk)
    assert LedgerAccount.objects.get(pk=bob.pk).balance == 250_000
