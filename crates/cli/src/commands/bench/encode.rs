//! `bench encode`: the transformer's docs/s and tokens/s on demo texts, its share of the
//! CPU's measured matmul rate, beside sentence-transformers on the same texts.

use super::peers::{default_peer_python, demo_texts, ratio_vs_peer, run_python_peer};
use engine::encode::Encoder;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Serialize)]
pub(super) struct EncodeFigures {
    model: String,
    docs: usize,
    tokens: usize,
    threads: usize,
    batch_size: usize,
    seconds: f64,
    docs_per_second: f64,
    tokens_per_second: f64,
    matmul_gflops: f64,
    /// Dense-layer FLOP/s reached, as a share of the measured matmul rate.
    share_of_matmul_peak: f64,
    peer: Option<serde_json::Value>,
    /// Our docs/s divided by sentence-transformers' (above 1: we are faster).
    speed_ratio_vs_peer: Option<f64>,
}

pub(super) fn encode_bench(
    model: &str,
    docs: usize,
    batch_size: usize,
    demo: &Path,
    peer_python: Option<PathBuf>,
) -> anyhow::Result<EncodeFigures> {
    let texts = demo_texts(demo, docs)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let spec = engine::encode::registry::resolve(Path::new("."), model)?;
    let engine::encode::ModelSpec::Transformer { dir, .. } = &spec else {
        anyhow::bail!("bench encode measures transformer encoders; {model} is the baseline");
    };
    let encoder = engine::encode::open_transformer(dir, batch_size)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    encoder.encode(&refs[..refs.len().min(64)], &mut |_| {})?; // warm-up, as the peer does
    let started = Instant::now();
    let (_, stats) = encoder.encode(&refs, &mut |_| {})?;
    let seconds = started.elapsed().as_secs_f64();
    let gflops = engine::encode::cpu_matmul_gflops()?;
    let achieved = encoder.dense_flops_per_token() * stats.tokens as f64 / seconds / 1e9;
    let python = peer_python.or_else(default_peer_python);
    let peer = match python {
        Some(python) => Some(run_peer(&python, dir, &texts, threads, batch_size)?),
        None => None,
    };
    let docs_per_second = texts.len() as f64 / seconds;
    let ratio = ratio_vs_peer(peer.as_ref(), "docs_per_second", docs_per_second);
    Ok(EncodeFigures {
        model: model.to_string(),
        docs: texts.len(),
        tokens: stats.tokens,
        threads,
        batch_size,
        seconds,
        docs_per_second,
        tokens_per_second: stats.tokens as f64 / seconds,
        matmul_gflops: gflops,
        share_of_matmul_peak: achieved / gflops,
        peer,
        speed_ratio_vs_peer: ratio,
    })
}

fn run_peer(
    python: &Path,
    model_dir: &Path,
    texts: &[String],
    threads: usize,
    batch: usize,
) -> anyhow::Result<serde_json::Value> {
    run_python_peer(python, "st_encode.py", texts, |texts_path| {
        vec![
            model_dir.as_os_str().to_owned(),
            texts_path.as_os_str().to_owned(),
            threads.to_string().into(),
            batch.to_string().into(),
        ]
    })
}

/// Runs `scripts/bench/SCRIPT` with `python` on `texts` (written to a scratch JSON file whose
/// path `args` places among the arguments), offline, and parses the JSON line it prints last.
pub(super) fn print_encode(f: &EncodeFigures) {
    println!(
        "encode {}: {} docs ({} tokens) in {:.1} s = {:.1} docs/s, {:.0} tokens/s ({} threads, batch {})",
        f.model, f.docs, f.tokens, f.seconds, f.docs_per_second, f.tokens_per_second, f.threads, f.batch_size
    );
    println!(
        "  matmul rate {:.0} GFLOP/s; dense layers reached {:.1}% of it",
        f.matmul_gflops,
        100.0 * f.share_of_matmul_peak
    );
    match (&f.peer, f.speed_ratio_vs_peer) {
        (Some(p), Some(r)) => println!(
            "  peer: sentence-transformers (torch {}) {:.1} docs/s; ours / peer = {r:.2}",
            p["torch"].as_str().unwrap_or("?"),
            p["docs_per_second"].as_f64().unwrap_or(0.0)
        ),
        _ => println!("  peer: not run (no Python with sentence-transformers; see --peer-python)"),
    }
}

