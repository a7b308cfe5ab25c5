//! `bench encode`: the transformer's docs/s and tokens/s on demo texts at each precision
//! (and, for int8, each integer kernel this CPU runs; bf16 where the CPU has AVX-512
//! BF16), its share of the machine's measured matmul rate for that arithmetic, and how close its vectors stay to f32's, beside
//! sentence-transformers on the same texts, threads and batch size.

use super::peers::{default_peer_python, demo_texts, ratio_vs_peer, run_python_peer};
use engine::encode::Encoder;
use engine::encode::{Int8Kernel, Precision, Reduction};
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
    /// The CPU's model name, the int8 kernels it runs (fastest first), and whether it
    /// runs bf16.
    cpu: String,
    int8_kernels: Vec<&'static str>,
    bf16: bool,
    /// What `--precision auto` (the default) resolves to here.
    default_precision: Precision,
    runs: Vec<PrecisionRun>,
    peer: Option<serde_json::Value>,
}

#[derive(Serialize)]
pub(super) struct PrecisionRun {
    precision: Precision,
    kernel: Option<&'static str>,
    seconds: f64,
    docs_per_second: f64,
    tokens_per_second: f64,
    /// The measured rate of this arithmetic on a square product (f32 or bf16 GFLOP/s, or
    /// int8 GOP/s with the kernel), and the dense layers' share of it.
    peak_gops: f64,
    share_of_peak: f64,
    /// Cosine of each vector to the f32 vector of the same text: mean and smallest.
    cosine_to_f32_mean: Option<f64>,
    cosine_to_f32_min: Option<f64>,
    /// Our docs/s divided by sentence-transformers' (above 1: we are faster).
    speed_ratio_vs_peer: Option<f64>,
}

pub(super) fn encode_bench(
    model: &str,
    docs: usize,
    batch_size: usize,
    demo: &Path,
    precisions: &[Precision],
    peer_python: Option<PathBuf>,
) -> anyhow::Result<EncodeFigures> {
    let texts = demo_texts(demo, docs)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let spec = engine::encode::registry::resolve(Path::new("."), model)?;
    let engine::encode::ModelSpec::Transformer { dir, .. } = &spec else {
        anyhow::bail!("bench encode measures transformer encoders; {model} is the baseline");
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // f32 first: the other precisions' vectors are compared with its.
    let mut plan: Vec<(Precision, Option<Int8Kernel>)> = vec![(Precision::F32, None)];
    for p in precisions {
        match p.resolve() {
            Precision::Int8 => {
                for kernel in Int8Kernel::available().into_iter().filter(|k| k.is_vectorised()) {
                    plan.push((Precision::Int8, Some(kernel)));
                }
            }
            // Measured only where it runs: asking for it elsewhere is not an error here.
            Precision::Bf16 if engine::encode::bf16_supported() => plan.push((Precision::Bf16, None)),
            _ => {}
        }
    }
    plan.dedup();
    let mut runs = Vec::new();
    let mut reference: Option<Vec<Vec<f32>>> = None;
    let mut tokens = 0;
    let f32_peak = engine::encode::cpu_matmul_gflops()?;
    for (precision, kernel) in plan {
        let encoder = engine::encode::open_transformer_with(dir, batch_size, precision, kernel)?;
        encoder.encode(&refs[..refs.len().min(64)], &mut |_| {})?; // warm-up, as the peer does
        let started = Instant::now();
        let (vectors, stats) = encoder.encode(&refs, &mut |_| {})?;
        let seconds = started.elapsed().as_secs_f64();
        tokens = stats.tokens;
        let peak = match encoder.reduction() {
            Some(Reduction::Int8(k)) => engine::encode::cpu_int8_gops(k),
            Some(Reduction::Bf16) => engine::encode::cpu_bf16_gflops().unwrap_or(f64::NAN),
            None => f32_peak,
        };
        let achieved = encoder.dense_flops_per_token() * stats.tokens as f64 / seconds / 1e9;
        let (mean, min) = match &reference {
            Some(r) => {
                let c: Vec<f64> = r.iter().zip(&vectors).map(|(a, b)| cosine(a, b)).collect();
                (
                    Some(c.iter().sum::<f64>() / c.len().max(1) as f64),
                    Some(c.iter().cloned().fold(1.0, f64::min)),
                )
            }
            None => (None, None),
        };
        if reference.is_none() {
            reference = Some(vectors);
        }
        runs.push(PrecisionRun {
            precision: encoder.precision(),
            kernel: encoder.reduction().map(Reduction::kernel_name),
            seconds,
            docs_per_second: texts.len() as f64 / seconds,
            tokens_per_second: stats.tokens as f64 / seconds,
            peak_gops: peak,
            share_of_peak: achieved / peak,
            cosine_to_f32_mean: mean,
            cosine_to_f32_min: min,
            speed_ratio_vs_peer: None,
        });
    }
    let python = peer_python.or_else(default_peer_python);
    let peer = match python {
        Some(python) => Some(run_peer(&python, dir, &texts, threads, batch_size)?),
        None => None,
    };
    for run in &mut runs {
        run.speed_ratio_vs_peer = ratio_vs_peer(peer.as_ref(), "docs_per_second", run.docs_per_second);
    }
    Ok(EncodeFigures {
        model: model.to_string(),
        docs: texts.len(),
        tokens,
        threads,
        batch_size,
        cpu: cpu_name(),
        int8_kernels: Int8Kernel::available().into_iter().map(Int8Kernel::name).collect(),
        bf16: engine::encode::bf16_supported(),
        default_precision: Precision::Auto.resolve(),
        runs,
        peer,
    })
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb).max(f64::MIN_POSITIVE)
}

/// The CPU's model name from /proc/cpuinfo (Linux), else the architecture.
fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
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

pub(super) fn print_encode(f: &EncodeFigures) {
    println!(
        "encode {}: {} docs ({} tokens), {} threads, batch {}, CPU {} (int8 kernels: {}; bf16: {}); default precision here: {}",
        f.model,
        f.docs,
        f.tokens,
        f.threads,
        f.batch_size,
        f.cpu,
        f.int8_kernels.join(", "),
        if f.bf16 { "avx512-bf16" } else { "none" },
        f.default_precision
    );
    for r in &f.runs {
        let what = match r.kernel {
            Some(k) => format!("{} ({k})", r.precision),
            None => r.precision.to_string(),
        };
        let fidelity = match (r.cosine_to_f32_mean, r.cosine_to_f32_min) {
            (Some(mean), Some(min)) => format!("; cosine to f32 mean {mean:.5}, min {min:.5}"),
            _ => String::new(),
        };
        let unit = match r.precision {
            Precision::Int8 => "GOP/s int8",
            Precision::Bf16 => "GFLOP/s bf16",
            _ => "GFLOP/s f32",
        };
        println!(
            "  {what:<20} {:.1} s = {:.1} docs/s, {:.0} tokens/s; {:.1}% of the measured {:.0} {unit}{fidelity}",
            r.seconds,
            r.docs_per_second,
            r.tokens_per_second,
            100.0 * r.share_of_peak,
            r.peak_gops
        );
        if let Some(ratio) = r.speed_ratio_vs_peer {
            println!("  {:<20} ours / peer = {ratio:.2}", "");
        }
    }
    match &f.peer {
        Some(p) => println!(
            "  peer: sentence-transformers (torch {}) {:.1} docs/s",
            p["torch"].as_str().unwrap_or("?"),
            p["docs_per_second"].as_f64().unwrap_or(0.0)
        ),
        None => println!("  peer: not run (no Python with sentence-transformers; see --peer-python)"),
    }
}
