-- 0011: noise reports given to a nearby cluster, as an edit of their own.
--
-- HDBSCAN leaves reports it cannot place with confidence as noise. A reviewer may hand
-- those that sit close to one cluster to it: that is recorded as an 'assign_noise' edit listing the reports moved, and undone by
-- an 'unassign_noise' edit, so the algorithm's own assignment (`base_cluster`) is never
-- touched. SQLite cannot change a CHECK constraint in place, so the edits table is copied.
CREATE TABLE cluster_edits_0011 (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES cluster_runs (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('merge', 'split', 'assign_noise', 'unassign_noise')),
    detail          TEXT    NOT NULL CHECK (json_valid(detail)),
    author          TEXT    NOT NULL,
    created_at      TEXT    NOT NULL
);
INSERT INTO cluster_edits_0011 (id, run_id, kind, detail, author, created_at)
    SELECT id, run_id, kind, detail, author, created_at FROM cluster_edits;
DROP TABLE cluster_edits;
ALTER TABLE cluster_edits_0011 RENAME TO cluster_edits;

-- How many of the run's noise reports stand assigned to a cluster now (the run's `noise`
-- stays the algorithm's count), kept by the edits so listing runs reads no members.
ALTER TABLE cluster_runs ADD COLUMN noise_assigned INTEGER NOT NULL DEFAULT 0;
