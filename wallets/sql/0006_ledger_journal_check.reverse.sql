-- Back to one check per posting and one per journal (as 0003_ledger_triggers.sql created them).
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

DROP FUNCTION IF EXISTS ledger_journal_check();

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
