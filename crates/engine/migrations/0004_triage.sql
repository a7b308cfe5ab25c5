-- 0004: reviewers' triage of clusters.

-- The standing triage decision on a cluster. Keyed by the lineage (model, method) and the
-- cluster id rather than by run: ids are carried across re-runs by overlap, so a decision
-- follows its group of reports into later runs instead of being lost at every analysis.
CREATE TABLE cluster_triage (
    model_id        INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    method          TEXT    NOT NULL,
    cluster_id      INTEGER NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('new', 'under_review', 'escalated', 'dismissed')),
    note            TEXT    NOT NULL DEFAULT '',
    updated_by      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    PRIMARY KEY (model_id, method, cluster_id)
) WITHOUT ROWID;

-- Every triage change, in order, never updated: who moved which cluster to what, and when.
CREATE TABLE cluster_triage_history (
    id              INTEGER PRIMARY KEY,
    model_id        INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    method          TEXT    NOT NULL,
    cluster_id      INTEGER NOT NULL,
    run_id          INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    note            TEXT    NOT NULL,
    author          TEXT    NOT NULL,
    created_at      TEXT    NOT NULL
);
CREATE INDEX cluster_triage_history_by_cluster ON cluster_triage_history (model_id, method, cluster_id);
