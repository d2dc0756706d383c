-- ledger_post_journal, with the same arguments, results and guarantees as in
-- 0005_ledger_post_function.sql (loaded by wallets/migrations/0009_ledger_journal_check.py), and
-- two changes for a hot wallet, whose row lock makes every journal touching it wait in line:
--
-- 1. Before each conditional UPDATE, in the same ascending id order, the function waits for a
--    transaction-scoped advisory lock keyed by the account id (`pg_advisory_xact_lock(id)`; the
--    only other advisory key in use, audit sealing's, is a 64-bit constant far above any id).
--    Waiters queue there in arrival order and are woken one at a time, after the holder's commit
--    is visible, so the UPDATE then finds the newest row version unlocked. Without it every
--    waiter sleeps on the row itself and, once woken, re-evaluates its UPDATE against the new
--    version (EvalPlanQual, which builds a second executor state): measured on a hot wallet at
--    8 workers, postgres CPU per transfer 0.81 -> 0.65 ms, throughput +12%, p99 24 -> 9 ms.
--    The row lock taken by the UPDATE remains the only guard of the balance: a writer that did not
--    take the advisory lock would stay correct (the statement-by-statement path in wallets/locks.py
--    takes it too, `ACCOUNT_QUEUE`), and since everyone locks accounts in ascending id order
--    (advisory lock, then row) no cycle, hence no deadlock, can form.
-- 2. The conditional UPDATEs run back to back, each returning the account's balance before the
--    change, and one INSERT then writes every account's postings with `balance_after` = opening
--    balance + the posting's running sum (before: an INSERT after each UPDATE, while the lower
--    accounts stayed locked). The journal, its audit row and the derived postings still go in
--    before the first lock.
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
    v_opening bigint[] := '{}';
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
        PERFORM pg_advisory_xact_lock(p_account_ids[i]);
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
        RETURNING a.balance - p_deltas[i] INTO v_balance;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ledger: account % refused the change (balance, status or limit)', p_account_ids[i]
                USING HINT = 'ledger_refused';
        END IF;
        v_opening := v_opening || v_balance;
    END LOOP;

    INSERT INTO wallets_posting (journal_id, account_id, currency, amount, balance_after, created_at)
    SELECT o_journal_id, v.account_id, o.currency, v.amount, o.opening + v.running, clock_timestamp()
      FROM unnest(p_posting_accounts, p_posting_amounts, p_posting_runnings) WITH ORDINALITY
           AS v(account_id, amount, running, ord)
      JOIN unnest(p_account_ids, p_currencies, v_opening) AS o(account_id, currency, opening)
        ON o.account_id = v.account_id
     ORDER BY o.account_id, v.ord;
END;
$$;

