-- Ledger constraints: the database refuses impossible balances whatever the application does.
-- Loaded by wallets/migrations/0002_ledger_sql_guards.py.

-- Accounts that may not go negative: balance >= 0 and held <= balance. held is never negative.
ALTER TABLE wallets_ledgeraccount
    ADD CONSTRAINT ledger_account_held_nonnegative CHECK (held >= 0),
    ADD CONSTRAINT ledger_account_balance_nonnegative CHECK (allow_negative OR balance >= 0),
    ADD CONSTRAINT ledger_account_held_within_balance CHECK (allow_negative OR held <= balance),
    ADD CONSTRAINT ledger_account_outflow_nonnegative CHECK (outflow_total >= 0),
    ADD CONSTRAINT ledger_account_currency_iso CHECK (currency ~ '^[A-Z]{3}$'),
    ADD CONSTRAINT ledger_account_status_valid CHECK (status IN ('active', 'frozen', 'closed'));

-- (id, currency) is the target of the postings' composite foreign key below.
ALTER TABLE wallets_ledgeraccount
    ADD CONSTRAINT ledger_account_id_currency_unique UNIQUE (id, currency);

-- A posting moves money: never zero. Its currency is its account's currency.
ALTER TABLE wallets_posting
    ADD CONSTRAINT ledger_posting_amount_nonzero CHECK (amount <> 0),
    ADD CONSTRAINT ledger_posting_account_currency_fk
        FOREIGN KEY (account_id, currency) REFERENCES wallets_ledgeraccount (id, currency);

CREATE INDEX ledger_posting_journal_currency_idx ON wallets_posting (journal_id, currency);
