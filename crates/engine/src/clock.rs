//! The one clock every stored timestamp comes from: UTC, RFC 3339, milliseconds. One format
//! means timestamps from different tables compare and sort as text.

/// Now, as `2026-12-01T15:39:20.123Z`.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
