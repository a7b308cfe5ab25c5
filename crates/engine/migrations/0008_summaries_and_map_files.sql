-- 0008: what opening a large project reads instead of scanning every report or vector.

-- Each dataset's counts by field, taken when its import commits (an import is one
-- transaction, so a dataset's reports never change after). The project's overview adds
-- these up instead of grouping a million reports five times over.
CREATE TABLE dataset_summaries (
    dataset_id      INTEGER PRIMARY KEY REFERENCES datasets (id) ON DELETE CASCADE,
    summary         TEXT    NOT NULL CHECK (json_valid(summary))
);

-- Each run's map as the app draws it, kept in `maps/run-<id>.iamap`. `stamp` says which
-- state of the run it shows (its record, its last edit, its last batch of assigned
-- reports); `sha256` finds a file changed on disk. Either mismatch means a rebuild.
CREATE TABLE map_files (
    run_id          INTEGER PRIMARY KEY REFERENCES cluster_runs (id) ON DELETE CASCADE,
    stamp           TEXT    NOT NULL,
    sha256          TEXT    NOT NULL,
    bytes           INTEGER NOT NULL,
    -- Where the second part (fields and external ids) starts: the window asks for the
    -- two parts separately.
    details_at      INTEGER NOT NULL
);

-- How many vectors each model holds, kept as they are written: counting them meant
-- walking the whole vectors table (gigabytes at a million reports, over a minute from a
-- cold disk) each time a model was looked up, by every search and every overview.
ALTER TABLE models ADD COLUMN vector_count INTEGER NOT NULL DEFAULT 0;
UPDATE models SET vector_count = (SELECT count(*) FROM vectors v WHERE v.model_id = models.id);
