DROP INDEX IF EXISTS ledger_posting_journal_currency_idx;
ALTER TABLE wallets_posting
    DROP CONSTRAINT IF EXISTS ledger_posting_account_currency_fk,
    DROP CONSTRAINT IF EXISTS ledger_posting_amount_nonzero;
ALTER TABLE wallets_ledgeraccount
    DROP CONSTRAINT IF EXISTS ledger_account_id_currency_unique,
    DROP CONSTRAINT IF EXISTS ledger_account_status_valid,
    DROP CONSTRAINT IF EXISTS ledger_account_currency_iso,
    DROP CONSTRAINT IF EXISTS ledger_account_outflow_nonnegative,
    DROP CONSTRAINT IF EXISTS ledger_account_held_within_balance,
    DROP CONSTRAINT IF EXISTS ledger_account_balance_nonnegative,
    DROP CONSTRAINT IF EXISTS ledger_account_held_nonnegative;
