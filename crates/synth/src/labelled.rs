//! Generated reports as labelled texts, for scoring the privacy detector (`bench privacy`
//! and the engine's tests).

use crate::personal;
use engine::privacy;

/// Generated reports as labelled texts for scoring detection: each description with where
/// its personal data is (the injected and that of its own templates, `in_report`).
pub fn labelled(config: &crate::SynthConfig) -> std::io::Result<Vec<privacy::score::Labelled>> {
    let mut bytes = Vec::new();
    crate::generate(config, &mut bytes)?;
    let mut reader = csv::Reader::from_reader(&bytes[..]);
    let mut out = Vec::with_capacity(config.rows);
    for record in reader.records() {
        let record = record.map_err(std::io::Error::other)?;
        let text = record.get(7).unwrap_or_default().to_string();
        let spans = match record.get(crate::HEADERS.len()) {
            Some(column) => personal::parse_truth_column(column)?,
            None => personal::in_report(&text),
        };
        out.push(privacy::score::Labelled { text, spans: spans.into_iter().map(|t| (t.start..t.end, t.kind)).collect() });
    }
    Ok(out)
}
