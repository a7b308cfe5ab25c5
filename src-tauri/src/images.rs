//! Images the UI shows: SVG files sent as data URIs, drawn in an <img> so they can never
//! run as markup.

use base64::Engine;
use std::path::Path;

/// The SVG file at `path` as a `data:` URI, or `None` when it cannot be read.
pub fn svg_data_uri(path: &Path) -> Option<String> {
    let svg = std::fs::read(path).ok()?;
    Some(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}
