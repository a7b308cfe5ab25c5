-- 0013: a run's weekly counts, kept so that they grow with the reports assigned to the run.

-- The cluster and category series of a run as last counted, with what they were counted
-- from: how many of the run's reports, the highest report id among them, the run's last
-- clustering edit, and the date they were counted by. Reports assigned later have higher ids and are added to them; an
-- edit (merge, split, noise moved) or anything else counts the run again.
CREATE TABLE signal_counts (
    run_id          INTEGER PRIMARY KEY REFERENCES cluster_runs (id) ON DELETE CASCADE,
    members         INTEGER NOT NULL CHECK (members >= 0),
    max_incident    INTEGER NOT NULL,
    edits_through   INTEGER NOT NULL,
    date_basis      TEXT    NOT NULL CHECK (date_basis IN ('occurred', 'reported')),
    counts          TEXT    NOT NULL CHECK (json_valid(counts)),
    updated_at      TEXT    NOT NULL
);
