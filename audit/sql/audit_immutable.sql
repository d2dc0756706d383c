-- Audit trail immutability (loaded by audit/migrations/0003_immutability_triggers.py).
--
-- Audit events and seals are append-only: any UPDATE or DELETE of a row, and any TRUNCATE of
-- either table, is refused by the database itself, whatever the application does. Corrections
-- are new events. Only a superuser can get around this (ALTER TABLE ... DISABLE TRIGGER, or
-- session_replication_role = replica), and what they change is then reported by
-- `manage.py audit_verify` for every sealed row.
--
-- The time of an event is the database's clock at INSERT (clock_timestamp(), not now(): now()
-- is the start of the transaction). Whatever the caller sends is overwritten, so a record cannot
-- be backdated, and the sealer can compare it with pg_stat_activity.xact_start (see
-- audit/sealing.py).

CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit: % on % is refused: audit records are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'P0001', HINT = 'Record a new audit event instead of changing an old one.';
END;
$$;

CREATE OR REPLACE FUNCTION audit_event_stamp_time() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.occurred_at := clock_timestamp();
    RETURN NEW;
END;
$$;

CREATE TRIGGER audit_event_stamp_time
    BEFORE INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_stamp_time();

CREATE TRIGGER audit_event_refuse_update_delete
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

CREATE TRIGGER audit_event_refuse_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE TRIGGER audit_seal_refuse_update_delete
    BEFORE UPDATE OR DELETE ON audit_auditseal
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

CREATE TRIGGER audit_seal_refuse_truncate
    BEFORE TRUNCATE ON audit_auditseal
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
