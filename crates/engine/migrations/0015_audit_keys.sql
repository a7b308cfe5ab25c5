-- The audit chain sealed by a key kept outside the project (store/audit_key.rs): each new
-- entry names its key and carries the HMAC of its hash. Entries from before have neither.
ALTER TABLE audit_log ADD COLUMN key_id TEXT;
ALTER TABLE audit_log ADD COLUMN mac TEXT;
