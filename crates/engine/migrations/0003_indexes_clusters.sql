-- 0003: similarity indexes and cluster runs.

-- The usearch file of one model (indexes/<model>.usearch) and what it was built from.
CREATE TABLE vector_indexes (
    model_id        INTEGER PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
    path            TEXT    NOT NULL,
    quantisation    TEXT    NOT NULL CHECK (quantisation IN ('f32', 'f16', 'i8')),
    connectivity    INTEGER NOT NULL,
    size            INTEGER NOT NULL,
    file_sha256     TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

-- One clustering of one model's vectors, with everything needed to reproduce it.
CREATE TABLE cluster_runs (
    id              INTEGER PRIMARY KEY,
    model_id        INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    method          TEXT    NOT NULL CHECK (method IN ('hdbscan', 'kmeans')),
    params          TEXT    NOT NULL CHECK (json_valid(params)),
    seed            INTEGER NOT NULL,
    dataset_sha256  TEXT    NOT NULL,
    index_sha256    TEXT    NOT NULL,
    incidents       INTEGER NOT NULL,
    clusters        INTEGER NOT NULL,
    noise           INTEGER NOT NULL,
    -- The run whose cluster ids this one carried over by overlap, if any.
    parent_run_id   INTEGER REFERENCES cluster_runs (id) ON DELETE SET NULL,
    timings         TEXT    NOT NULL CHECK (json_valid(timings)),
    created_at      TEXT    NOT NULL
);

-- Clusters as they stand after edits. Ids are stable across re-runs (see engine::cluster).
CREATE TABLE clusters (
    run_id          INTEGER NOT NULL REFERENCES cluster_runs (id) ON DELETE CASCADE,
    cluster_id      INTEGER NOT NULL CHECK (cluster_id >= 0),
    size            INTEGER NOT NULL,
    keywords        TEXT    NOT NULL CHECK (json_valid(keywords)),
    representatives TEXT    NOT NULL CHECK (json_valid(representatives)),
    x               REAL    NOT NULL,
    y               REAL    NOT NULL,
    origin          TEXT    NOT NULL CHECK (origin IN ('run', 'merge', 'split')),
    -- 0 once a merge or split has replaced it; kept so edits can be read back.
    active          INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (run_id, cluster_id)
) WITHOUT ROWID;

-- Each incident's place in a run: the cluster the algorithm gave (-1: noise), the cluster
-- after edits, and its position on the 2-D map.
CREATE TABLE cluster_members (
    run_id          INTEGER NOT NULL REFERENCES cluster_runs (id) ON DELETE CASCADE,
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    base_cluster    INTEGER NOT NULL,
    cluster         INTEGER NOT NULL,
    x               REAL    NOT NULL,
    y               REAL    NOT NULL,
    PRIMARY KEY (run_id, incident_id)
) WITHOUT ROWID;
CREATE INDEX cluster_members_by_cluster ON cluster_members (run_id, cluster);

-- Manual merges and splits, in order, on top of a run.
CREATE TABLE cluster_edits (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES cluster_runs (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('merge', 'split')),
    detail          TEXT    NOT NULL CHECK (json_valid(detail)),
    author          TEXT    NOT NULL,
    created_at      TEXT    NOT NULL
);
