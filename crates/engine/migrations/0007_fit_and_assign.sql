-- 0007: a run fitted on a sample of the reports, the others assigned to its clusters.

-- How many of the run's reports UMAP and HDBSCAN were fitted on (the rest were assigned
-- by a vote of their nearest fitted reports); NULL for runs from before: all were fitted.
ALTER TABLE cluster_runs ADD COLUMN fitted INTEGER;

-- 'fitted': in the sample the run was fitted on; 'assigned': placed by the vote, at the
-- analysis or later (`assign`), with cluster -1 where no fitted report was close.
ALTER TABLE cluster_members ADD COLUMN placement TEXT NOT NULL DEFAULT 'fitted'
    CHECK (placement IN ('fitted', 'assigned'));
-- For fitted reports: cosine distance to their k-th nearest fitted report. A new report
-- is close to a fitted one when it falls inside that radius.
ALTER TABLE cluster_members ADD COLUMN reach REAL;

-- Each batch of reports assigned to an existing run after it was stored.
CREATE TABLE cluster_assignments (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES cluster_runs (id) ON DELETE CASCADE,
    incidents       INTEGER NOT NULL,
    unassigned      INTEGER NOT NULL,
    seconds         REAL    NOT NULL,
    created_at      TEXT    NOT NULL
);
