-- A unique id per entry, shared with the optional Postgres audit table, so a
-- row read from both is shown once.
ALTER TABLE audit_entry ADD COLUMN entry_id TEXT;
CREATE UNIQUE INDEX audit_entry_entry_id ON audit_entry (entry_id);
