-- The panel's local audit log: one row per intent, step and result of a lever.
-- An intent is written durably before the first change; a result ends it.
CREATE TABLE audit_entry (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id  TEXT NOT NULL,
    at         TEXT NOT NULL,          -- UTC, YYYY-MM-DD HH:MM:SS.fff
    operator   TEXT NOT NULL,          -- the OS user
    profile    TEXT NOT NULL,
    lever      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('intent', 'step', 'result')),
    status     TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'failed', 'abandoned')),
    reason     TEXT NOT NULL DEFAULT '',
    summary    TEXT NOT NULL DEFAULT '',  -- one line for people
    detail     TEXT NOT NULL DEFAULT '{}' -- JSON: the plan, before/after values, errors
);
CREATE INDEX audit_entry_action ON audit_entry (action_id);
CREATE INDEX audit_entry_profile_at ON audit_entry (profile, at);
