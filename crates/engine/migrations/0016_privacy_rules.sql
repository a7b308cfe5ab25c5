-- An organisation's own identifier formats (hospital numbers), masked with the built-in
-- rules wherever report text leaves the app (privacy::Rules, store/privacy_rules.rs).
CREATE TABLE privacy_rules (
    name TEXT PRIMARY KEY,
    pattern TEXT NOT NULL,
    created_at TEXT NOT NULL
);
