-- 0014: the date a report was made, where its source has it. Signals count a run's
-- reports by it when every report has one: reports arrive days or weeks after the
-- incidents, and counting by incident date makes the latest weeks look quieter than they
-- will be.
ALTER TABLE incidents ADD COLUMN reported_on TEXT
    CHECK (reported_on IS NULL OR reported_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]');
