-- 0001: datasets, incidents, and the rows an import set aside.

CREATE TABLE datasets (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    source_path     TEXT    NOT NULL,
    source_sha256   TEXT    NOT NULL UNIQUE,
    source_bytes    INTEGER NOT NULL,
    format          TEXT    NOT NULL CHECK (format IN ('csv', 'jsonl')),
    column_mapping  TEXT    NOT NULL CHECK (json_valid(column_mapping)),
    imported_at     TEXT    NOT NULL,
    rows_read       INTEGER NOT NULL DEFAULT 0,
    rows_imported   INTEGER NOT NULL DEFAULT 0,
    rows_duplicate  INTEGER NOT NULL DEFAULT 0,
    rows_rejected   INTEGER NOT NULL DEFAULT 0,
    rows_lossy      INTEGER NOT NULL DEFAULT 0
);

-- One row per incident report. The three free-text fields of an NRLS report say
-- different things (what happened, why, what was done) and are kept apart so each can be
-- encoded on its own as well as together.
CREATE TABLE incidents (
    id              INTEGER PRIMARY KEY,
    dataset_id      INTEGER NOT NULL REFERENCES datasets (id),
    source_line     INTEGER NOT NULL,
    external_id     TEXT    NOT NULL UNIQUE,
    occurred_on     TEXT    NOT NULL CHECK (occurred_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    description     TEXT    NOT NULL CHECK (length(description) > 0),
    causes          TEXT,
    actions         TEXT,
    category        TEXT,
    harm            INTEGER CHECK (harm BETWEEN 1 AND 5),
    care_setting    TEXT,
    specialty       TEXT,
    location        TEXT,
    extra           TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(extra)),
    content_sha256  BLOB    NOT NULL
);
CREATE INDEX incidents_by_dataset ON incidents (dataset_id);
CREATE INDEX incidents_by_date ON incidents (occurred_on);

-- Rows that `--skip-bad` left out, kept with their reasons so nothing a user supplied is lost.
CREATE TABLE import_rejects (
    id              INTEGER PRIMARY KEY,
    dataset_id      INTEGER NOT NULL REFERENCES datasets (id),
    line            INTEGER NOT NULL,
    problems        TEXT    NOT NULL CHECK (json_valid(problems)),
    raw_fields      TEXT    NOT NULL CHECK (json_valid(raw_fields))
);
CREATE INDEX import_rejects_by_dataset ON import_rejects (dataset_id);
