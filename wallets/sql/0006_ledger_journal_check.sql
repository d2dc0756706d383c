-- The double-entry checks at COMMIT, once per journal instead of once per posting (loaded by
-- wallets/migrations/0009_ledger_journal_check.py). The guarantees of 0003_ledger_triggers.sql
-- are unchanged: every journal has two or more postings, and the postings of every journal
-- touched by a transaction sum to zero in each currency, checked when the transaction commits.
--
-- Before, a transfer with a fee fired four checks at its COMMIT (one query per posting, one per
-- journal), all while the transaction still held its wallets' row locks; on a hot wallet that
-- time is the throughput. Now:
--
--   * the journal's deferred trigger (fired first: the journal row is always inserted before its
--     postings) reads the journal's postings in one query, checks both rules, and records in a
--     transaction-local setting which journal it verified and the last posting id it saw;
--   * each posting's deferred trigger skips the query when its posting is covered by that record
--     (same journal, id not above the last one seen, so written before the check ran), and checks
--     the whole journal otherwise: a posting added to a journal of an earlier transaction, or
--     added after `SET CONSTRAINTS ... IMMEDIATE` ran the journal's check, is still checked.
--
-- The setting only ever saves work that was already done in the same transaction; it grants
-- nothing to a transaction that sets it by hand that it could not already do with the table
-- owner's rights (which can disable triggers outright).

CREATE OR REPLACE FUNCTION ledger_journal_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    v_count bigint := 0;
    v_last bigint := 0;
    v_bad_currency varchar;
    v_bad_total numeric;
BEGIN
    FOR r IN SELECT p.currency, SUM(p.amount) AS total, COUNT(*) AS n, MAX(p.id) AS last_id
               FROM wallets_posting p
              WHERE p.journal_id = NEW.id
              GROUP BY p.currency
    LOOP
        v_count := v_count + r.n;
        v_last := GREATEST(v_last, r.last_id);
        IF r.total <> 0 AND v_bad_currency IS NULL THEN
            v_bad_currency := r.currency;
            v_bad_total := r.total;
        END IF;
    END LOOP;
    IF v_count < 2 THEN
        RAISE EXCEPTION 'ledger: journal % (%) needs at least two postings', NEW.id, NEW.reference
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_journal_postings';
    END IF;
    IF v_bad_currency IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: journal % does not balance: % postings sum to %',
            NEW.id, v_bad_currency, v_bad_total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_journal_balanced';
    END IF;
    PERFORM set_config('ledger.verified_journal', NEW.id::text || ':' || v_last::text, true);
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS ledger_journal_postings ON wallets_journal;
CREATE CONSTRAINT TRIGGER ledger_journal_postings
    AFTER INSERT ON wallets_journal
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_check();

DROP FUNCTION IF EXISTS ledger_journal_must_have_postings();

CREATE OR REPLACE FUNCTION ledger_journal_must_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_verified text := current_setting('ledger.verified_journal', true);
    bad record;
BEGIN
    IF v_verified <> ''
       AND NEW.journal_id = split_part(v_verified, ':', 1)::bigint
       AND NEW.id <= split_part(v_verified, ':', 2)::bigint THEN
        RETURN NULL;  -- its journal's check ran after this posting was written, in this transaction
    END IF;
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
