-- 0012: emerging signals.

-- A run's signals as computed: the request, a digest of the data they were computed from
-- (every report's id, cluster and date), and the result. The triage list reads them
-- instead of recomputing while the data is the same, so a reviewer sees the alarms the
-- recorded parameters gave.
CREATE TABLE signal_results (
    run_id          INTEGER NOT NULL REFERENCES cluster_runs (id) ON DELETE CASCADE,
    request         TEXT    NOT NULL CHECK (json_valid(request)),
    data_digest     TEXT    NOT NULL,
    result          TEXT    NOT NULL CHECK (json_valid(result)),
    computed_at     TEXT    NOT NULL,
    PRIMARY KEY (run_id, request)
) WITHOUT ROWID;

-- A reviewer's dismissal of a cluster's signal. Keyed by lineage like triage decisions, so
-- it follows the cluster into later runs; it covers the signal up to `through_week` and
-- lapses when the series moves again (a signal in a later week).
CREATE TABLE signal_dismissals (
    id              INTEGER PRIMARY KEY,
    model_id        INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    method          TEXT    NOT NULL,
    cluster_id      INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('alarm', 'novelty', 'concentration')),
    through_week    TEXT    NOT NULL CHECK (through_week GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    note            TEXT    NOT NULL DEFAULT '',
    author          TEXT    NOT NULL,
    created_at      TEXT    NOT NULL
);
CREATE INDEX signal_dismissals_by_cluster ON signal_dismissals (model_id, method, cluster_id, kind);
