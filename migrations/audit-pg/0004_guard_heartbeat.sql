-- The guarded canary's heartbeats (issue 29). Every panel and watcher on
-- this database writes one row and refreshes it while it runs; the one that
-- holds the guard's advisory lock writes it through the very connection that
-- holds the lock, with that connection's backend pid. A panel believes a
-- heartbeat to be the guard's only when pg_locks says that backend holds the
-- lock, so a row anyone else writes cannot hide a dead guard. beat_at is the
-- server's clock, whatever an INSERT says.
CREATE TABLE rollout_panel.guard_heartbeat (
    panel       text PRIMARY KEY,
    host        text NOT NULL,
    operator    text NOT NULL,
    backend_pid integer,
    armed       boolean NOT NULL,
    beat_at     timestamp(3) NOT NULL DEFAULT (clock_timestamp() AT TIME ZONE 'UTC')
);

CREATE OR REPLACE FUNCTION rollout_panel.guard_heartbeat_at() RETURNS trigger AS $$
BEGIN
    NEW.beat_at := clock_timestamp() AT TIME ZONE 'UTC';
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER guard_heartbeat_at
    BEFORE INSERT OR UPDATE ON rollout_panel.guard_heartbeat
    FOR EACH ROW EXECUTE FUNCTION rollout_panel.guard_heartbeat_at();
