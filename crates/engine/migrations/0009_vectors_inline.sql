-- 0009: vectors kept in a rowid table, where a vector sits in its row.
--
-- In the WITHOUT ROWID table of 0002 a row is a b-tree index entry, and SQLite keeps at
-- most about a quarter of a page of an index entry in place (1,002 bytes at 4 KiB pages).
-- A 256-dimension vector is 1,024 bytes, so every vector spilled a few hundred bytes onto
-- an overflow page of its own: at a million reports the table took 4.8 GiB for 1.1 GiB
-- of vectors, and every scan of it read four times the bytes. A table row keeps up to
-- 4,061 bytes in place (a 1,015-dimension vector), three or more vectors a page. The
-- (model, incident) key stays unique through the primary key's own index.
CREATE TABLE vectors_inline (
    model_id        INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    vector          BLOB    NOT NULL,
    PRIMARY KEY (model_id, incident_id)
);
-- In key order, so a model's vectors lie in consecutive rows as they do when encoded.
INSERT INTO vectors_inline (model_id, incident_id, vector)
    SELECT model_id, incident_id, vector FROM vectors ORDER BY model_id, incident_id;
DROP TABLE vectors;
ALTER TABLE vectors_inline RENAME TO vectors;
