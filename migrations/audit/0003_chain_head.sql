-- This machine's own chain head in the shared table (issue 28): the sequence
-- number and hash of the last entry it signed. If the shared table's newest
-- entry of this key is older, entries were deleted there: the next entry
-- still links to the head kept here, so the gap is visible to every panel.
CREATE TABLE chain_head (
    instance TEXT NOT NULL,   -- rollout_panel.instance.id of the shared table
    signer   TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    hash     TEXT NOT NULL,
    PRIMARY KEY (instance, signer)
);
