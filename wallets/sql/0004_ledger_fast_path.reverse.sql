DROP FUNCTION IF EXISTS ledger_expect_journal(bigint);
CREATE INDEX IF NOT EXISTS wallets_journal_reference_6df0af39_like ON wallets_journal (reference varchar_pattern_ops);
