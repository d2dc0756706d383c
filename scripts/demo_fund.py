"""Fund a demo customer's wallet the way a real customer would: a bank transfer into the wallet's
dedicated account (played by the local Monnify sandbox), then watch the credit arrive.

    make demo-fund            # Ada, NGN 2,500.00
    python scripts/demo_fund.py --email tunde@example.ng --password tunde-demo-pass-2026 --amount 1000.00
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request


def call(method: str, url: str, body: dict | None = None, token: str | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
    parser.add_argument("--sandbox", default=f"http://127.0.0.1:{os.environ.get('SANDBOX_PORT', '9000')}")
    parser.add_argument("--email", default="ada@example.ng")
    parser.add_argument("--password", default="ada-demo-pass-2026")
    parser.add_argument("--amount", default="2500.00", help="naira, as Monnify writes it")
    args = parser.parse_args()

    token = call("POST", f"{args.api}/api/v1/auth/token", {"email": args.email, "password": args.password})["access"]
    wallets = call("GET", f"{args.api}/api/v1/wallets", token=token)
    wallet = (wallets["results"] if isinstance(wallets, dict) else wallets)[0]
    deadline = time.monotonic() + 60
    while not wallet["deposit_accounts"]:
        if time.monotonic() > deadline:
            sys.exit("The dedicated account is not open yet: is the worker running (make run)?")
        time.sleep(1)
        wallet = call("GET", f"{args.api}/api/v1/wallets/{wallet['id']}", token=token)
    account = wallet["deposit_accounts"][0]
    print(f"Dedicated account: {account['bank_name']} {account['account_number']} ({account['account_name']})")
    print(f"Balance before: {wallet['balance']} kobo")
    sent = call("POST", f"{args.sandbox}/sandbox/reserved-accounts/{account['account_number']}/payments",
                {"amount": args.amount, "payer_name": "DEMO PAYER"})
    print(f"Bank transfer of NGN {args.amount} sent: {sent['transactionReference']}")
    while time.monotonic() < deadline + 60:
        now = call("GET", f"{args.api}/api/v1/wallets/{wallet['id']}", token=token)
        if now["balance"] != wallet["balance"]:
            print(f"Balance after:  {now['balance']} kobo")
            notes = []
            for _ in range(20):  # the notification is sent by an event handler, a moment later
                notes = call("GET", f"{args.api}/api/v1/notifications", token=token)["results"]
                if notes:
                    break
                time.sleep(0.5)
            if notes:
                print(f"Notification:   {notes[0]['title']}: {notes[0]['body']}")
            statement = call("GET", f"{args.api}/api/v1/wallets/{wallet['id']}/statement", token=token)["results"]
            if statement:
                line = statement[0]
                print(f"Statement line: {line['created_at']} {line['type']} {line['amount']:+} kobo "
                      f"(balance {line['balance_after']}) {line['reference']}")
            return
        time.sleep(1)
    sys.exit("No credit yet; check the worker and /admin/webhooks/webhookevent/.")


if __name__ == "__main__":
    main()
