-- One journal in one statement (loaded by wallets/migrations/0007_ledger_post_function.py).
--
-- `ledger_post_journal` is what wallets/services/_engine.py sends when the journal is the whole
-- transaction (production): one prepared call in autocommit, so BEGIN, the journal, its audit row,
-- its postings, every balance update and the COMMIT cost one network round trip and one protocol
-- message, and no row lock is ever held across a client round trip. The statements are those of
-- the multi-statement path (wallets/locks.py), in the same order:
--
--   1. the journal, ON CONFLICT DO NOTHING: a reference posted before raises `ledger_replayed`
--      (the engine answers with the first journal after comparing it); a concurrent insert of the
--      same reference is waited for, as any unique-index conflict is;
--   2. its audit row;
--   3. the postings of derived accounts (system accounts: no lock, no cached balance);
--   4. for each cached account, in the ascending id order the caller gives (the global lock
--      order): one conditional UPDATE that moves balance, held and the day's outflow only if
--      the status allows it, the funds suffice and the tier's single, daily and maximum-balance
--      limits hold, then that account's postings with `balance_after`. A refused UPDATE raises
--      `ledger_refused` (the engine reads the row afterwards to say precisely why).
--
-- The deferred triggers (every journal balances per currency, has two or more postings) run at
-- the COMMIT that ends the statement, as they do for any other writer.
CREATE OR REPLACE FUNCTION ledger_post_journal(
    p_public_id uuid, p_reference varchar, p_kind varchar, p_narration varchar, p_metadata jsonb,
    p_reverses_id bigint,
    p_audit varchar[],              -- actor_type, actor_id, actor_name, action, subject_type, subject_id, request_id
    p_audit_references varchar[], p_audit_ip inet, p_audit_payload jsonb,
    p_derived_ids bigint[], p_derived_currencies varchar[], p_derived_amounts bigint[],
    p_account_ids bigint[], p_currencies varchar[], p_deltas bigint[], p_held_deltas bigint[],
    p_outflows bigint[], p_allow_frozen boolean[],
    p_posting_accounts bigint[], p_posting_amounts bigint[], p_posting_runnings bigint[],
    p_check_balance_max boolean, p_day date, p_single bigint[], p_daily bigint[], p_balmax bigint[],
    p_unlimited bigint,
    OUT o_journal_id bigint, OUT o_created_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    v_balance bigint;
    i integer;
BEGIN
    INSERT INTO wallets_journal AS j (public_id, reference, kind, narration, metadata, reverses_id, created_at)
    VALUES (p_public_id, p_reference, p_kind, p_narration, p_metadata, p_reverses_id, now())
    ON CONFLICT DO NOTHING
    RETURNING j.id, j.created_at INTO o_journal_id, o_created_at;
    IF o_journal_id IS NULL THEN
        RAISE EXCEPTION 'ledger: the journal''s reference was posted before' USING HINT = 'ledger_replayed';
    END IF;

    INSERT INTO audit_auditevent (actor_type, actor_id, actor_name, action, subject_type, subject_id,
                                  "references", request_id, ip, payload)
    VALUES (p_audit[1], p_audit[2], p_audit[3], p_audit[4], p_audit[5], p_audit[6],
            p_audit_references, p_audit[7], p_audit_ip, p_audit_payload);

    IF cardinality(p_derived_ids) > 0 THEN
        INSERT INTO wallets_posting (journal_id, account_id, currency, amount, balance_after, created_at)
        SELECT o_journal_id, d.account_id, d.currency, d.amount, NULL, clock_timestamp()
          FROM unnest(p_derived_ids, p_derived_currencies, p_derived_amounts) WITH ORDINALITY
               AS d(account_id, currency, amount, ord)
         ORDER BY d.ord;
    END IF;

    FOR i IN 1 .. coalesce(cardinality(p_account_ids), 0) LOOP
        UPDATE wallets_ledgeraccount a
           SET balance = a.balance + p_deltas[i],
               held = a.held + p_held_deltas[i],
               version = a.version + 1,
               outflow_total = GREATEST(
                   CASE WHEN a.outflow_day = p_day THEN a.outflow_total ELSE 0 END + p_outflows[i], 0),
               outflow_day = p_day
          FROM (SELECT COALESCE(p_single[u.kyc_tier + 1], p_unlimited) AS single_max,
                       COALESCE(p_daily[u.kyc_tier + 1], p_unlimited) AS daily_max,
                       COALESCE(p_balmax[u.kyc_tier + 1], p_unlimited) AS balance_max
                  FROM wallets_ledgeraccount acc
                  LEFT JOIN users_user u ON u.id = acc.owner_id
                 WHERE acc.id = p_account_ids[i]) lim
         WHERE a.id = p_account_ids[i]
           AND (a.status = 'active' OR (a.status = 'frozen' AND p_allow_frozen[i]))
           AND a.held + p_held_deltas[i] >= 0
           AND a.balance + p_deltas[i] - (a.held + p_held_deltas[i]) >= 0
           AND (p_outflows[i] <= 0 OR (
                    p_outflows[i] <= lim.single_max
                AND CASE WHEN a.outflow_day = p_day THEN a.outflow_total ELSE 0 END + p_outflows[i] <= lim.daily_max))
           AND (p_deltas[i] <= 0 OR NOT p_check_balance_max OR a.balance + p_deltas[i] <= lim.balance_max)
        RETURNING a.balance INTO v_balance;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ledger: account % refused the change (balance, status or limit)', p_account_ids[i]
                USING HINT = 'ledger_refused';
        END IF;
        INSERT INTO wallets_posting (journal_id, account_id, currency, amount, balance_after, created_at)
        SELECT o_journal_id, p_account_ids[i], p_currencies[i], v.amount, v_balance - p_deltas[i] + v.running,
               clock_timestamp()
          FROM unnest(p_posting_accounts, p_posting_amounts, p_posting_runnings) WITH ORDINALITY
               AS v(account_id, amount, running, ord)
         WHERE v.account_id = p_account_ids[i]
         ORDER BY v.ord;
    END LOOP;
END;
$$;

-- Replaced by ledger_post_journal (the multi-statement pipeline it checked is gone), and unused.
DROP FUNCTION IF EXISTS ledger_expect_journal(bigint);
DROP FUNCTION IF EXISTS ledger_expect_postings(bigint, bigint);
