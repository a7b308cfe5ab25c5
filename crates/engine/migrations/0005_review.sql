-- 0005: reviewers, label schemas, labelling sessions, labels and the audit chain.

CREATE TABLE reviewers (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
    role            TEXT    NOT NULL CHECK (role IN ('reviewer', 'adjudicator', 'analyst')),
    created_at      TEXT    NOT NULL
);

-- A named label set; changing it makes a new version, so old labels keep their meaning.
-- `labels` is a JSON array of {"name", "guideline"}.
CREATE TABLE label_schemas (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    multi           INTEGER NOT NULL CHECK (multi IN (0, 1)),
    labels          TEXT    NOT NULL CHECK (json_valid(labels)),
    created_at      TEXT    NOT NULL,
    UNIQUE (name, version)
);

CREATE TABLE review_sessions (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    schema_id       INTEGER NOT NULL REFERENCES label_schemas (id),
    -- What was sampled from: {"kind": "all" | "cluster" | "filter", ...}.
    target          TEXT    NOT NULL CHECK (json_valid(target)),
    strategy        TEXT    NOT NULL,
    target_count    INTEGER NOT NULL,
    coders_per_item INTEGER NOT NULL CHECK (coders_per_item >= 1),
    seed            INTEGER NOT NULL,
    -- The representation used for diversity and uncertainty sampling and for suggestions.
    model           TEXT,
    -- A label given to a whole cluster: shown on each member as a suggestion that the
    -- reviewer confirms or rejects; never applied without them (JSON array, or NULL).
    proposed        TEXT    CHECK (proposed IS NULL OR json_valid(proposed)),
    created_by      TEXT    NOT NULL,
    created_at      TEXT    NOT NULL
);

-- The sampled reports, in the order reviewers see them.
CREATE TABLE session_items (
    session_id      INTEGER NOT NULL REFERENCES review_sessions (id),
    position        INTEGER NOT NULL,
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    PRIMARY KEY (session_id, position),
    UNIQUE (session_id, incident_id)
) WITHOUT ROWID;

-- Every label act, never changed: a correction or an undo is a new row that supersedes an
-- earlier one, and an adjudication is a row of its own beside the labels it resolves.
CREATE TABLE labels (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES review_sessions (id),
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    reviewer_id     INTEGER NOT NULL REFERENCES reviewers (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('label', 'undo', 'adjudication')),
    -- JSON array of label names; NULL for an undo.
    value           TEXT    CHECK (value IS NULL OR json_valid(value)),
    note            TEXT    NOT NULL DEFAULT '',
    confidence      REAL    CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
    supersedes      INTEGER REFERENCES labels (id),
    created_at      TEXT    NOT NULL
);
CREATE INDEX labels_by_item ON labels (session_id, incident_id);

-- Append-only log of every label, edit and status change. Each entry carries the hash of
-- the one before it, so changing or removing any row breaks the chain from there on.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    created_at      TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    detail          TEXT    NOT NULL CHECK (json_valid(detail)),
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL
);

-- Refuse ordinary edits; the hash chain catches anyone who drops these first.
CREATE TRIGGER labels_append_only_update BEFORE UPDATE ON labels
BEGIN SELECT RAISE(ABORT, 'labels are append-only: record a new label instead'); END;
CREATE TRIGGER labels_append_only_delete BEFORE DELETE ON labels
BEGIN SELECT RAISE(ABORT, 'labels are append-only: record an undo instead'); END;
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Frozen label sets that models are scored against. Reviewer-made sets come from a
-- session's final labels; field-derived ones (issue 7) from a categorical column. The
-- content hash covers the label set and every item, so an exported and re-imported set
-- can be checked to be the same.
CREATE TABLE benchmark_sets (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    source          TEXT    NOT NULL CHECK (source IN ('reviewers', 'field', 'import')),
    session_id      INTEGER REFERENCES review_sessions (id),
    labels          TEXT    NOT NULL CHECK (json_valid(labels)),
    multi           INTEGER NOT NULL CHECK (multi IN (0, 1)),
    content_sha256  TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    UNIQUE (name, version)
);

CREATE TABLE benchmark_items (
    set_id          INTEGER NOT NULL REFERENCES benchmark_sets (id) ON DELETE CASCADE,
    external_id     TEXT    NOT NULL,
    labels          TEXT    NOT NULL CHECK (json_valid(labels)),
    reviewers       TEXT    NOT NULL CHECK (json_valid(reviewers)),
    -- Share of the coders whose label was the final one; NULL when not reviewer-made.
    agreement       REAL,
    PRIMARY KEY (set_id, external_id)
) WITHOUT ROWID;
