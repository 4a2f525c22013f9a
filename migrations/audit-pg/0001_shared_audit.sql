-- The shared audit table in the production Postgres (`rollout-panel audit init`).
-- It lives in its own schema, rollout_panel; the app's tables are never touched.
-- Every panel of every operator that finds it writes its entries here too and
-- reads it, so operators see each other's actions.
CREATE TABLE rollout_panel.audit_entry (
    id        bigserial PRIMARY KEY,
    entry_id  text NOT NULL UNIQUE,      -- the same id as in the writer's local log
    action_id text NOT NULL,
    at        timestamp(3) NOT NULL,     -- UTC
    operator  text NOT NULL,             -- the OS user
    profile   text NOT NULL,             -- the writer's profile name
    lever     text NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('intent', 'step', 'result')),
    status    text NOT NULL CHECK (status IN ('pending', 'ok', 'failed', 'abandoned')),
    reason    text NOT NULL DEFAULT '',
    summary   text NOT NULL DEFAULT '',
    detail    text NOT NULL DEFAULT '{}' -- JSON, never a secret
);
CREATE INDEX audit_entry_at ON rollout_panel.audit_entry (at);
CREATE INDEX audit_entry_action ON rollout_panel.audit_entry (action_id);
