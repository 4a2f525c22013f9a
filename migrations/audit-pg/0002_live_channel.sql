-- Live shared state (issue 18): every new audit row is announced on the
-- channel rollout_panel_audit with its id; panels LISTEN and read the rows
-- after the last id they saw (so a missed notice is caught up by the next).
CREATE OR REPLACE FUNCTION rollout_panel.audit_entry_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('rollout_panel_audit', NEW.id::text);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_entry_notify
    AFTER INSERT ON rollout_panel.audit_entry
    FOR EACH ROW EXECUTE FUNCTION rollout_panel.audit_entry_notify();
