//! `bench train`: fine-tuning throughput (examples/s) on demo texts, ours beside the same
//! step in PyTorch (sentence-transformers / transformers) on the same texts, model folder,
//! threads, batch size and token cap, both timed from the first step to the last.

use super::peers::ratio_vs_peer;
use anyhow::Context;
use engine::bench::{best_device, FinetuneConfig, Finetuner, Objective};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Serialize)]
pub struct TrainFigures {
    method: String,
    model: String,
    examples: usize,
    steps: u64,
    batch_size: usize,
    max_tokens: usize,
    threads: usize,
    device: String,
    seconds: f64,
    examples_per_second: f64,
    final_loss: Option<f64>,
    peer: Option<serde_json::Value>,
    /// Our examples/s divided by the peer's (above 1: we are faster).
    speed_ratio_vs_peer: Option<f64>,
}

pub fn train_bench(
    method: &str,
    model: &str,
    docs: usize,
    batch_size: usize,
    max_tokens: usize,
    demo: &Path,
    peer_python: Option<PathBuf>,
) -> anyhow::Result<TrainFigures> {
    let texts = super::peers::demo_texts(demo, docs)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let spec = engine::encode::registry::resolve(Path::new("."), model)?;
    let engine::encode::ModelSpec::Transformer { dir, .. } = &spec else {
        anyhow::bail!("bench train fine-tunes transformer encoders; {model} is not one");
    };
    let config = FinetuneConfig {
        batch_size,
        max_tokens,
        ..FinetuneConfig::default()
    };
    let device = best_device();
    let mut trainer = Finetuner::new(dir, &config, &device)
        .with_context(|| format!("cannot load {}", dir.display()))?;
    let objective = match method {
        "simcse" => Objective::Simcse(&refs),
        "mlm" => {
            trainer.add_mlm_head()?;
            Objective::Mlm(&refs)
        }
        other => anyhow::bail!("bench train measures simcse or mlm, not {other:?}"),
    };
    let mut state = trainer.fresh_state(objective);
    let started = Instant::now();
    trainer.train(objective, None, &mut state, &mut |_, _, _| Ok(true))?;
    let seconds = started.elapsed().as_secs_f64();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let python = peer_python.or_else(super::peers::default_peer_python);
    let peer = match python {
        Some(python) => Some(run_peer(
            &python, method, dir, &texts, threads, batch_size, max_tokens,
        )?),
        None => None,
    };
    let examples_per_second = texts.len() as f64 / seconds;
    let ratio = ratio_vs_peer(peer.as_ref(), "examples_per_second", examples_per_second);
    Ok(TrainFigures {
        method: method.to_string(),
        model: model.to_string(),
        examples: texts.len(),
        steps: state.step,
        batch_size,
        max_tokens,
        threads,
        device: format!("{device:?}"),
        seconds,
        examples_per_second,
        final_loss: state.loss_curve.last().map(|p| p.1),
        peer,
        speed_ratio_vs_peer: ratio,
    })
}

fn run_peer(
    python: &Path,
    method: &str,
    model_dir: &Path,
    texts: &[String],
    threads: usize,
    batch: usize,
    max_tokens: usize,
) -> anyhow::Result<serde_json::Value> {
    super::peers::run_python_peer(python, "st_train.py", texts, |texts_path| {
        vec![
            method.into(),
            model_dir.as_os_str().to_owned(),
            texts_path.as_os_str().to_owned(),
            threads.to_string().into(),
            batch.to_string().into(),
            max_tokens.to_string().into(),
            engine::DEFAULT_SEED.to_string().into(),
        ]
    })
}

pub fn print_train(f: &TrainFigures) {
    println!(
        "train {} on {}: {} examples, {} steps (batch {}, {} tokens at most) in {:.1} s = {:.1} examples/s on {} ({} threads); final loss {}",
        f.method,
        f.model,
        f.examples,
        f.steps,
        f.batch_size,
        f.max_tokens,
        f.seconds,
        f.examples_per_second,
        f.device,
        f.threads,
        f.final_loss.map(|l| format!("{l:.4}")).unwrap_or_else(|| "-".into())
    );
    match (&f.peer, f.speed_ratio_vs_peer) {
        (Some(p), Some(r)) => println!(
            "  peer: PyTorch (torch {}) {:.1} examples/s; ours / peer = {r:.2}",
            p["torch"].as_str().unwrap_or("?"),
            p["examples_per_second"].as_f64().unwrap_or(0.0)
        ),
        _ => println!("  peer: not run (no Python with sentence-transformers; see --peer-python)"),
    }
}
