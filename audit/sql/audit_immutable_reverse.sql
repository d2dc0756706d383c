-- Reverse of audit_immutable.sql (migrating audit back to 0002).
DROP TRIGGER IF EXISTS audit_seal_refuse_truncate ON audit_auditseal;
DROP TRIGGER IF EXISTS audit_seal_refuse_update_delete ON audit_auditseal;
DROP TRIGGER IF EXISTS audit_event_refuse_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_refuse_update_delete ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_stamp_time ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_stamp_time();
DROP FUNCTION IF EXISTS audit_refuse_change();
