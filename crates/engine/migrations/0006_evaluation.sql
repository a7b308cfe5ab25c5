-- 0006: benchmark sets derived from a report field, and stored model evaluations.

-- For source 'field': which field gave the labels (category, harm, harm_severe, care_setting).
ALTER TABLE benchmark_sets ADD COLUMN derived_from TEXT;

-- One evaluation of the project's models against one benchmark set: its parameters (models,
-- k, folds, bootstrap resamples, seed), every number it produced, and where its report is.
CREATE TABLE evaluations (
    id              INTEGER PRIMARY KEY,
    set_id          INTEGER NOT NULL REFERENCES benchmark_sets (id),
    params          TEXT    NOT NULL CHECK (json_valid(params)),
    results         TEXT    NOT NULL CHECK (json_valid(results)),
    report_dir      TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      TEXT    NOT NULL
);
CREATE INDEX evaluations_by_set ON evaluations (set_id);
