-- The posting engine's fast path (loaded by wallets/migrations/0004_ledger_fast_path.py).

-- 1. Sent after a journal's posting statements when the COMMIT travels in the same round trip
--    (wallets/services/_engine.py). The journal is the one this session inserted last
--    (currval of the journal ids, drawn by its INSERT even when ON CONFLICT DO NOTHING skipped it).
--    Raises, so that the COMMIT that follows never runs:
--      * `ledger_replayed` when no such journal exists: the reference was posted before (the
--        engine then rolls back and returns the first journal after comparing it);
--      * `ledger_refused` when the journal has fewer postings than expected: a conditional
--        UPDATE was refused (balance, status or limit) and inserted none.
CREATE OR REPLACE FUNCTION ledger_expect_journal(p_count bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_journal_id bigint := currval('wallets_journal_id_seq');
BEGIN
    IF NOT EXISTS (SELECT 1 FROM wallets_journal WHERE id = v_journal_id) THEN
        RAISE EXCEPTION 'ledger: the journal''s reference was posted before'
            USING HINT = 'ledger_replayed';
    END IF;
    IF (SELECT COUNT(*) FROM wallets_posting WHERE journal_id = v_journal_id) <> p_count THEN
        RAISE EXCEPTION 'ledger: journal % was refused by a balance, status or limit check', v_journal_id
            USING HINT = 'ledger_refused';
    END IF;
END;
$$;

-- 2. Django adds a varchar_pattern_ops twin to every unique CharField index. Nothing searches
--    journal references by prefix (the admin's search is a case-insensitive substring match,
--    which no b-tree serves), so it is one more index to update per journal for nothing.
DO $$
DECLARE
    v_index text;
BEGIN
    FOR v_index IN
        SELECT indexname FROM pg_indexes
         WHERE schemaname = current_schema() AND tablename = 'wallets_journal'
           AND indexdef LIKE '%(reference varchar_pattern_ops)%'
    LOOP
        EXECUTE format('DROP INDEX %I', v_index);
    END LOOP;
END;
$$;
