-- 0002: representations. One row per model (encoder + which text it reads), and one
-- L2-normalised f32 vector per (model, incident), so nothing is encoded twice.

CREATE TABLE models (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL CHECK (kind IN ('transformer', 'tfidf-lsa', 'trained')),
    text_fields     TEXT    NOT NULL,
    dimension       INTEGER NOT NULL CHECK (dimension > 0),
    provenance      TEXT    NOT NULL CHECK (json_valid(provenance)),
    created_at      TEXT    NOT NULL
);

-- Little-endian f32 values, `dimension` of them.
CREATE TABLE vectors (
    model_id        INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    vector          BLOB    NOT NULL,
    PRIMARY KEY (model_id, incident_id)
) WITHOUT ROWID;
