# CozonPay: `make run` runs the whole system, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format venv clean bench-ledger bench-api bench-webhooks demo-fund

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	@bash scripts/run.sh

test: $(STAMP)
	@bash scripts/test.sh $(ARGS)

# Ledger throughput vs pgbench TPC-B, read latency on short and long histories, then ledger_check.
# W=8 S=15 by default; DATABASE_URL if set, else an embedded PostgreSQL.
bench-ledger: $(STAMP)
	@bash scripts/bench_ledger.sh $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

format: $(STAMP)
	$(VENV)/bin/ruff format .

clean:
	rm -rf var/broker var/celerybeat-schedule* .pytest_cache

# The API under gunicorn: POST /transfers and GET /wallets/{id}, 16 clients, S seconds (default 15),
# against the ledger's spread run in the same invocation. DATABASE_URL if set, else embedded.
bench-api: $(STAMP)
	@$(PY) scripts/bench_api.py $(ARGS)

bench-webhooks: $(STAMP)
	@$(PY) scripts/bench_webhooks.py

demo-fund: $(STAMP)
	@$(PY) scripts/demo_fund.py
