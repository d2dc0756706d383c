#!/usr/bin/env bash
# make bench-ledger: the ledger benchmark (scripts/bench_ledger.py), then ledger_check.
# DATABASE_URL if set, else an embedded PostgreSQL started for this run and stopped after.
# W (workers, default 8) and S (seconds, default 15) from the environment.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
export SECRET_KEY="${SECRET_KEY:-bench-only-secret-key-not-used-anywhere-else-0123456789}"
export LOG_LEVEL="${LOG_LEVEL:-WARNING}"

pgdir=""
if [ -z "${DATABASE_URL:-}" ]; then
  pgdir="$(mktemp -d /tmp/cozonpay-bench-pg.XXXXXX)"
  DATABASE_URL="$(python scripts/devdb.py start --data "$pgdir")" || { echo "could not start embedded PostgreSQL"; exit 2; }
  export DATABASE_URL
  echo "embedded PostgreSQL for this run: $DATABASE_URL"
fi
cleanup() {
  if [ -n "$pgdir" ]; then python scripts/devdb.py stop --data "$pgdir"; rm -rf "$pgdir"; fi
}
trap cleanup EXIT

python scripts/bench_ledger.py --workers "${W:-8}" --seconds "${S:-15}" "$@" || exit $?
python manage.py ledger_check
