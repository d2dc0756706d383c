DROP FUNCTION IF EXISTS ledger_post_journal(uuid, varchar, varchar, varchar, jsonb, bigint, varchar[], varchar[], inet,
    jsonb, bigint[], varchar[], bigint[], bigint[], varchar[], bigint[], bigint[], bigint[], boolean[], bigint[],
    bigint[], bigint[], boolean, date, bigint[], bigint[], bigint[], bigint);

-- What the multi-statement pipeline used (migrations 0002 and 0006).
CREATE OR REPLACE FUNCTION ledger_expect_postings(p_journal_id bigint, p_count bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT COUNT(*) FROM wallets_posting WHERE journal_id = p_journal_id) <> p_count THEN
        RAISE EXCEPTION 'ledger: journal % was refused by a balance, status or limit check', p_journal_id
            USING HINT = 'ledger_refused';
    END IF;
END;
$$;

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
