#!/usr/bin/env bash
# make run: embedded PostgreSQL (unless DATABASE_URL is set), migrations, demo data, then web,
# worker, beat and the Monnify sandbox under honcho. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

export DEBUG="${DEBUG:-true}"
export SECRET_KEY="${SECRET_KEY:-dev-only-not-secret-$(hostname)}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-localhost,127.0.0.1,[::1]}"
export PORT="${PORT:-8000}"
export SANDBOX_PORT="${SANDBOX_PORT:-9000}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:$PORT}"
export MONNIFY_BASE_URL="${MONNIFY_BASE_URL:-http://127.0.0.1:$SANDBOX_PORT}"
export MONNIFY_API_KEY="${MONNIFY_API_KEY:-MK_TEST_LOCALSANDBOX}"
export MONNIFY_SECRET_KEY="${MONNIFY_SECRET_KEY:-local-sandbox-secret-$(hostname)}"
export MONNIFY_CONTRACT_CODE="${MONNIFY_CONTRACT_CODE:-7059707855}"
export MONNIFY_WALLET_ACCOUNT_NUMBER="${MONNIFY_WALLET_ACCOUNT_NUMBER:-9988776655}"
# The sandbox posts its webhooks to the app's receiver; retries every 30 s locally (Monnify: 300 s).
export MONNIFY_SANDBOX_WEBHOOK_URL="${MONNIFY_SANDBOX_WEBHOOK_URL:-http://127.0.0.1:$PORT/webhooks/monnify}"
export MONNIFY_SANDBOX_WEBHOOK_RETRY_INTERVAL_S="${MONNIFY_SANDBOX_WEBHOOK_RETRY_INTERVAL_S:-30}"
export PAYMENTS_POLL_INTERVAL_SECONDS="${PAYMENTS_POLL_INTERVAL_SECONDS:-60}"

started_db=""
if [ -z "${DATABASE_URL:-}" ]; then
  export DATABASE_URL="$(python scripts/devdb.py start --data var/pg --port "${EMBEDDED_PG_PORT:-54329}")"
  started_db="yes"
fi
cleanup() {
  if [ -n "$started_db" ]; then python scripts/devdb.py stop --data var/pg || true; fi
}
trap cleanup EXIT

python manage.py migrate --noinput
python manage.py seed_demo

cat <<MSG

  CozonPay is starting.
    API docs (Swagger UI)  http://127.0.0.1:$PORT/api/docs/
    Admin                  http://127.0.0.1:$PORT/admin/
    Health                 http://127.0.0.1:$PORT/health/ready
    Monnify sandbox        http://127.0.0.1:$SANDBOX_PORT/sandbox/config
  Demo logins are printed above by seed_demo. Ctrl-C stops everything.

MSG

# Not exec: the EXIT trap must run after honcho stops so the embedded database stops too.
honcho -f Procfile.dev start
