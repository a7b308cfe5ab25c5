//! `privacy mask`: reports one per line on standard input, written masked line for line,
//! so any text can be checked from a script without a project.

use crate::output::Ui;
use std::io::{BufRead, Write};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Privacy {
    /// Mask the personal data found in each line of standard input (with --json, one JSON
    /// object a line: the masked text and every span with its kind, score and rule).
    Mask,
}

pub fn run(command: &Privacy, ui: &Ui) -> anyhow::Result<ExitCode> {
    match command {
        Privacy::Mask => {
            let stdin = std::io::stdin().lock();
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for line in stdin.lines() {
                let line = line?;
                let spans = engine::privacy::detect(&line);
                let masked = engine::privacy::mask_spans(&line, &spans);
                if ui.json {
                    let found: Vec<serde_json::Value> = spans
                        .iter()
                        .map(|s| serde_json::json!({ "start": s.start, "end": s.end, "kind": s.kind, "score": s.score, "rule": s.rule }))
                        .collect();
                    writeln!(out, "{}", serde_json::json!({ "text": masked, "spans": found }))?;
                } else {
                    writeln!(out, "{masked}")?;
                }
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
