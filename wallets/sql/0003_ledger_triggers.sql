-- Ledger triggers. Loaded by wallets/migrations/0002_ledger_sql_guards.py.

-- 1. Double entry, checked at COMMIT: every journal touched by the transaction must have
--    postings summing to zero in each currency. DEFERRABLE INITIALLY DEFERRED so that a
--    journal's postings may be inserted one statement at a time; the check runs once the
--    transaction has inserted all of them, and a failure aborts the whole COMMIT.
CREATE OR REPLACE FUNCTION ledger_journal_must_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT p.currency, SUM(p.amount) AS total
      INTO bad
      FROM wallets_posting p
     WHERE p.journal_id = NEW.journal_id
     GROUP BY p.currency
    HAVING SUM(p.amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: journal % does not balance: % postings sum to %',
            NEW.journal_id, bad.currency, bad.total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_journal_balanced';
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS ledger_journal_balanced ON wallets_posting;
CREATE CONSTRAINT TRIGGER ledger_journal_balanced
    AFTER INSERT ON wallets_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_must_balance();

-- 2. Append-only: journals and postings are never updated, deleted or truncated.
--    Corrections are new reversing journals.
CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % on % is forbidden (the ledger is append-only; post a reversal)',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

DROP TRIGGER IF EXISTS ledger_journal_no_update_delete ON wallets_journal;
CREATE TRIGGER ledger_journal_no_update_delete
    BEFORE UPDATE OR DELETE ON wallets_journal
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

DROP TRIGGER IF EXISTS ledger_journal_no_truncate ON wallets_journal;
CREATE TRIGGER ledger_journal_no_truncate
    BEFORE TRUNCATE ON wallets_journal
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

DROP TRIGGER IF EXISTS ledger_posting_no_update_delete ON wallets_posting;
CREATE TRIGGER ledger_posting_no_update_delete
    BEFORE UPDATE OR DELETE ON wallets_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

DROP TRIGGER IF EXISTS ledger_posting_no_truncate ON wallets_posting;
CREATE TRIGGER ledger_posting_no_truncate
    BEFORE TRUNCATE ON wallets_posting
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- 3. Ledger accounts are closed, never deleted: postings refer to them forever.
DROP TRIGGER IF EXISTS ledger_account_no_delete ON wallets_ledgeraccount;
CREATE TRIGGER ledger_account_no_delete
    BEFORE DELETE ON wallets_ledgeraccount
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- 4. A journal is two or more postings: checked at COMMIT for every journal inserted (so that
--    a journal whose postings were all refused can never commit as an empty husk).
CREATE OR REPLACE FUNCTION ledger_journal_must_have_postings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT COUNT(*) FROM wallets_posting p WHERE p.journal_id = NEW.id) < 2 THEN
        RAISE EXCEPTION 'ledger: journal % (%) needs at least two postings', NEW.id, NEW.reference
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_journal_postings';
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS ledger_journal_postings ON wallets_journal;
CREATE CONSTRAINT TRIGGER ledger_journal_postings
    AFTER INSERT ON wallets_journal
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_must_have_postings();

-- 5. Used by the posting engine when it sends a journal's balance updates and its COMMIT in one
--    round trip: if any conditional UPDATE was refused (returned no row, so inserted no
--    posting), the journal is short of postings and this raises, so the COMMIT never runs.
CREATE OR REPLACE FUNCTION ledger_expect_postings(p_journal_id bigint, p_count bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT COUNT(*) FROM wallets_posting WHERE journal_id = p_journal_id) <> p_count THEN
        RAISE EXCEPTION 'ledger: journal % was refused by a balance, status or limit check', p_journal_id
            USING HINT = 'ledger_refused';
    END IF;
END;
$$;
