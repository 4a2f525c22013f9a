-- Signed, chained entries (issue 28). Every entry a panel writes is signed
-- with its operator's Ed25519 key and carries its writer's sequence number and
-- the hash of the writer's previous entry (an append-only chain per operator).
-- A row without a valid signature by a key of the team's roster never counts.
-- recorded_at is the database server's clock at insert (UTC), set by the
-- trigger below whatever an INSERT says: approvals expire and levers stop
-- "running" by it, not by any one panel's clock.
ALTER TABLE rollout_panel.audit_entry
    ADD COLUMN seq         bigint,
    ADD COLUMN prev_hash   text,
    ADD COLUMN signer      text,
    ADD COLUMN signature   text,
    ADD COLUMN recorded_at timestamp(3) NOT NULL DEFAULT (clock_timestamp() AT TIME ZONE 'UTC');
CREATE UNIQUE INDEX audit_entry_signer_seq ON rollout_panel.audit_entry (signer, seq);

CREATE OR REPLACE FUNCTION rollout_panel.audit_entry_recorded_at() RETURNS trigger AS $$
BEGIN
    NEW.recorded_at := clock_timestamp() AT TIME ZONE 'UTC';
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_entry_recorded_at
    BEFORE INSERT ON rollout_panel.audit_entry
    FOR EACH ROW EXECUTE FUNCTION rollout_panel.audit_entry_recorded_at();

-- Which shared table this is (a panel keeps its own chain head per table).
CREATE TABLE rollout_panel.instance (
    id text PRIMARY KEY DEFAULT gen_random_uuid()::text
);
INSERT INTO rollout_panel.instance DEFAULT VALUES;
