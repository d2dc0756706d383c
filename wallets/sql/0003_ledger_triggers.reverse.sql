DROP TRIGGER IF EXISTS ledger_account_no_delete ON wallets_ledgeraccount;
DROP TRIGGER IF EXISTS ledger_posting_no_truncate ON wallets_posting;
DROP TRIGGER IF EXISTS ledger_posting_no_update_delete ON wallets_posting;
DROP TRIGGER IF EXISTS ledger_journal_no_truncate ON wallets_journal;
DROP TRIGGER IF EXISTS ledger_journal_no_update_delete ON wallets_journal;
DROP TRIGGER IF EXISTS ledger_journal_balanced ON wallets_posting;
DROP FUNCTION IF EXISTS ledger_append_only();
DROP FUNCTION IF EXISTS ledger_journal_must_balance();
