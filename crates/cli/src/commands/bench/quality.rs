//! `bench quality`: how well clusters recover the labels of public, human-written corpora
//! (and of the demo), for the app's default analysis and any other configuration asked for,
//! beside BERTopic's defaults on the same vectors. V-measure, ARI and NMI with 95%
//! bootstrap intervals over documents; each configuration's difference from BERTopic is a
//! paired bootstrap (the same resamples for both), so its interval says whether it is
//! better, worse, or not distinguishable.

use super::analyse::{run_bertopic_within, PeerOutcome, PeerRun};
use super::corpora::{self, Doc};
use anyhow::Context;
use engine::cluster::{self, AnalyseOptions, Method};
use engine::encode::{encode_project, registry, EncodeOptions};
use engine::evaluate::{clustering, estimate, resample, Estimate};
use engine::ingest::{ingest_file, IngestOptions};
use engine::jobs::{CancelToken, NoProgress};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// BERTopic's own default minimum topic size (`min_topic_size=10`), which it passes to
/// HDBSCAN as `min_cluster_size`.
const BERTOPIC_MIN_TOPIC_SIZE: usize = 10;
/// The bootstrap seed: any fixed one makes the intervals repeatable.
const SEED: u64 = 20;

#[derive(Serialize)]
pub struct MethodFigures {
    /// "default" (the app's analysis as a user runs it), another configuration, or "BERTopic".
    pub method: String,
    pub clusters: usize,
    pub noise_share: f64,
    pub v_measure: Estimate,
    pub adjusted_rand: Estimate,
    pub nmi: Estimate,
    /// This configuration minus BERTopic, paired over the same resamples.
    pub v_minus_bertopic: Option<Estimate>,
    pub ari_minus_bertopic: Option<Estimate>,
    /// This configuration minus the default, paired likewise (None for the default).
    pub v_minus_default: Option<Estimate>,
    pub ari_minus_default: Option<Estimate>,
    pub seconds: f64,
    /// What the analysis chose where it chooses (its minimum cluster size).
    pub chosen: serde_json::Value,
}

#[derive(Serialize)]
pub struct CorpusFigures {
    pub corpus: String,
    pub about: String,
    pub docs: usize,
    pub labels: usize,
    pub model: String,
    pub methods: Vec<MethodFigures>,
    /// Why BERTopic has no row, when it has none.
    pub peer_problem: Option<String>,
    /// What the configurations reported beyond their scores (an adaptation's held-out
    /// figures, or why it was refused and has no row).
    pub notes: Vec<String>,
    /// What was taken out as boilerplate (None: reports were encoded whole).
    pub boilerplate: Option<BoilerplateSummary>,
}

#[derive(Serialize)]
pub struct BoilerplateSummary {
    /// Recurring phrases judged, and how many of them were boilerplate.
    pub judged: usize,
    pub boilerplate: usize,
    /// Documents that lost at least one sentence.
    pub documents_changed: usize,
    /// The commonest boilerplate phrases, with the reports carrying each and its lift.
    pub commonest: Vec<(String, u32, f64)>,
    /// The commonest phrases kept, for contrast.
    pub commonest_kept: Vec<(String, u32, f64)>,
}

fn boilerplate_summary(store: &engine::Store) -> anyhow::Result<Option<BoilerplateSummary>> {
    let path = engine::encode::boilerplate::path(store.dir(), engine::store::TextFields::Description);
    if !path.is_file() {
        return Ok(None);
    }
    let model = engine::encode::Boilerplate::load(&path)?;
    let texts = engine::bench::all_texts(store)?;
    let documents_changed = texts.iter().filter(|t| model.strip(t).len() != t.len()).count();
    let top = |flag: bool| -> Vec<(String, u32, f64)> {
        model.phrases().iter().filter(|p| p.boilerplate == flag).take(8).map(|p| (p.text.clone(), p.reports, p.lift.unwrap_or(f64::NAN))).collect()
    };
    Ok(Some(BoilerplateSummary {
        judged: model.phrases().len(),
        boilerplate: model.phrases().iter().filter(|p| p.boilerplate).count(),
        documents_changed,
        commonest: top(true),
        commonest_kept: top(false),
    }))
}

pub struct QualityRequest<'a> {
    pub corpora: &'a [String],
    pub max_docs: usize,
    pub resamples: usize,
    pub model: &'a str,
    /// Configurations besides the default, as `METHOD[:SIZE]` (hdbscan:25, kmeans:20).
    pub also: &'a [String],
    pub peer_python: Option<&'a Path>,
    /// Encode whole reports (the app's default takes boilerplate out).
    pub keep_boilerplate: bool,
    /// Weights of TF-IDF/LSA in hybrids with the model to score as well.
    pub hybrid: &'a [f32],
    /// Adaptations of the model to score, `METHOD[:LEARNING_RATE[:EPOCHS]]`.
    pub adapt: &'a [String],
}

pub fn quality_bench(request: &QualityRequest) -> anyhow::Result<Vec<CorpusFigures>> {
    let names: Vec<String> = if request.corpora.is_empty() {
        corpora::CORPORA.iter().map(|c| c.name.to_string()).collect()
    } else {
        request.corpora.to_vec()
    };
    let default = Method::parse("hdbscan", None, None)?;
    let plain = |name: String, method| Configuration { name, method, noise: None, neighbours: None, vectors: Vectors::Model };
    let mut configurations = std::iter::once(Ok(plain("default".into(), default)))
        .chain(request.also.iter().map(|spec| parse_configuration(spec)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for &w in request.hybrid {
        anyhow::ensure!(w > 0.0 && w < 1.0, "--hybrid takes the weight of TF-IDF/LSA, above 0 and below 1, not {w}");
        configurations.push(Configuration { vectors: Vectors::Hybrid(w), ..plain(format!("hybrid lsa={w}"), default) });
    }
    for spec in request.adapt {
        let train = parse_adaptation(spec, request.model)?;
        configurations.push(Configuration { vectors: Vectors::Adapted(train), ..plain(format!("adapted {spec}"), default) });
    }
    let mut out = Vec::new();
    for name in &names {
        let corpus = corpora::find(name)?;
        let docs = corpus.read(request.max_docs)?;
        eprintln!("{}: {} documents", corpus.name, docs.len());
        out.push(corpus_figures(corpus, &docs, &configurations, request)?);
    }
    Ok(out)
}

/// `METHOD[:SIZE[:MIN_SAMPLES]][@NEIGHBOURS][+noise[=AGREEMENT]]`: k-means' k or HDBSCAN's
/// minimum cluster size (0: chosen by the analysis), HDBSCAN's min_samples, UMAP's
/// neighbourhood (default: the analysis's), and whether noise reports are then given to
/// the cluster they sit close to (`assign_noise`, with the agreement it asks for).
fn parse_configuration(spec: &str) -> anyhow::Result<Configuration> {
    let (method_spec, noise) = match spec.split_once('+') {
        None => (spec, None),
        Some((method, extra)) => {
            let share = match extra.strip_prefix("noise") {
                Some("") => cluster::DEFAULT_NOISE_AGREEMENT,
                Some(rest) => rest
                    .strip_prefix('=')
                    .and_then(|v| v.parse::<f64>().ok())
                    .with_context(|| format!("{spec:?}: not +noise or +noise=AGREEMENT"))?,
                None => anyhow::bail!("{spec:?}: the only addition is +noise[=AGREEMENT]"),
            };
            (method, Some(share))
        }
    };
    let (method_spec, neighbours) = match method_spec.split_once('@') {
        None => (method_spec, None),
        Some((method, n)) => (method, Some(n.parse::<usize>().with_context(|| format!("{spec:?}: @NEIGHBOURS is a count"))?)),
    };
    let mut parts = method_spec.split(':');
    let method = parts.next().unwrap_or_default();
    let number = |part: Option<&str>| -> anyhow::Result<Option<usize>> {
        part.map(|p| p.parse().with_context(|| format!("{spec:?}: not METHOD[:SIZE[:MIN_SAMPLES]]"))).transpose()
    };
    let (size, samples) = (number(parts.next())?, number(parts.next())?);
    let mut parsed = Method::parse(method, size, size)?;
    if let (Method::Hdbscan { min_samples, .. }, Some(s)) = (&mut parsed, samples) {
        *min_samples = Some(s);
    }
    Ok(Configuration { name: spec.to_string(), method: parsed, noise, neighbours, vectors: Vectors::Model })
}

/// `METHOD[:LEARNING_RATE[:EPOCHS]]` as the training request of an adaptation of `base`,
/// checked by the engine as `train` would be.
fn parse_adaptation(spec: &str, base: &str) -> anyhow::Result<engine::train::TrainRequest> {
    let mut parts = spec.split(':');
    let method = parts.next().unwrap_or_default();
    anyhow::ensure!(
        engine::train::Adaptation::parse(method).is_some(),
        "--adapt {spec:?}: the method is declutr, simcse or mlm"
    );
    let mut request = engine::train::TrainRequest::new(method, &format!("adapted-{method}"));
    request.base = Some(base.to_string());
    let bad = || format!("--adapt {spec:?}: not METHOD[:LEARNING_RATE[:EPOCHS]]");
    request.learning_rate = parts.next().map(str::parse).transpose().with_context(bad)?;
    request.epochs = parts.next().map(str::parse).transpose().with_context(bad)?;
    anyhow::ensure!(parts.next().is_none(), bad());
    request.plan()?;
    Ok(request)
}

/// One configuration scored: its name, its method, the agreement noise reports are
/// assigned with afterwards (None: left as noise), and the vectors it clusters.
struct Configuration {
    name: String,
    method: Method,
    noise: Option<f64>,
    /// UMAP's n_neighbors, when not the analysis's default.
    neighbours: Option<usize>,
    vectors: Vectors,
}

enum Vectors {
    /// The model's own.
    Model,
    /// The model's beside TF-IDF/LSA's, this the weight of LSA.
    Hybrid(f32),
    /// The model adapted to the corpus by this training.
    Adapted(engine::train::TrainRequest),
}

fn corpus_figures(
    corpus: &corpora::Corpus,
    docs: &[Doc],
    configurations: &[Configuration],
    request: &QualityRequest,
) -> anyhow::Result<CorpusFigures> {
    let scratch = tempfile::tempdir()?;
    let csv = scratch.path().join("corpus.csv");
    corpora::write_csv(docs, &csv)?;
    let mut store = engine::Store::create(&scratch.path().join("project"))?;
    let report = ingest_file(&mut store, &csv, &IngestOptions::default(), &NoProgress, &CancelToken::new())?;
    anyhow::ensure!(report.succeeded(), "the {} corpus did not import: {:?}", corpus.name, report.bad_rows.first());
    let spec = registry::resolve(store.dir(), request.model)?;
    let options = EncodeOptions { strip_boilerplate: !request.keep_boilerplate, ..Default::default() };
    let encoded = encode_project(&mut store, &spec, &options, &NoProgress, &CancelToken::new())?;
    let boilerplate = boilerplate_summary(&store)?;
    // Row i of the CSV is report Q{i:06}: its label is docs[i].label.
    let truth_of = |external: &str| -> &str {
        external.strip_prefix('Q').and_then(|n| n.parse::<usize>().ok()).and_then(|i| docs.get(i)).map_or("", |d| &d.label)
    };
    let mut labels: Vec<&str> = docs.iter().map(|d| d.label.as_str()).collect();
    labels.sort();
    labels.dedup();

    // Every configuration's labels, by incident id order.
    let mut runs: Vec<(String, Vec<i64>, f64, usize, serde_json::Value)> = Vec::new();
    let mut truth: Vec<String> = Vec::new();
    let mut order: Vec<i64> = Vec::new();
    let mut notes = Vec::new();
    for Configuration { name, method, noise, neighbours, vectors } in configurations {
        let started = std::time::Instant::now();
        let model = match vectors {
            Vectors::Model => encoded.model.clone(),
            Vectors::Adapted(train) => match adapt(&mut store, train, &options) {
                Ok((model, note)) => {
                    notes.push(format!("{name}: {note}"));
                    model
                }
                Err(refused) => {
                    notes.push(format!("{name}: no row, {refused:#}"));
                    continue;
                }
            },
            Vectors::Hybrid(w) => {
                let lsa = registry::resolve(store.dir(), engine::encode::BASELINE)?;
                if engine::store::Store::models(&store)?.iter().all(|m| m.name != lsa.name()) {
                    encode_project(&mut store, &lsa, &options, &NoProgress, &CancelToken::new())?;
                }
                let hybrid_name = format!("hybrid-lsa-{w}");
                engine::bench::store_hybrid(&mut store, &hybrid_name, &[(encoded.model.as_str(), 1.0 - w), (engine::encode::BASELINE, *w)])?;
                hybrid_name
            }
        };
        let mut options = AnalyseOptions::new(&model, *method);
        options.n_neighbors = neighbours.unwrap_or(options.n_neighbors);
        let mut summary = cluster::analyse(&mut store, &options, &NoProgress, &CancelToken::new())?;
        if let Some(agreement) = noise {
            cluster::assign_noise(&mut store, summary.run.id, *agreement, "bench", &NoProgress, &CancelToken::new())?;
            summary.clusters = cluster::run_clusters(&store, summary.run.id)?;
        }
        let seconds = started.elapsed().as_secs_f64();
        let members = cluster::cluster_members(&store, summary.run.id)?;
        if order.is_empty() {
            order = members.iter().map(|m| m.incident_id).collect();
            truth = members.iter().map(|m| truth_of(&m.external_id).to_string()).collect();
        }
        anyhow::ensure!(members.iter().map(|m| m.incident_id).eq(order.iter().copied()), "runs cover different reports");
        let chosen = serde_json::json!({ "method": summary.run.params["method"], "granularity": summary.run.params["granularity"] });
        runs.push((name.clone(), members.iter().map(|m| m.cluster).collect(), seconds, summary.clusters.len(), chosen));
    }

    let mut peer_problem = None;
    let peer = match request.peer_python {
        None => {
            peer_problem = Some("no Python with BERTopic (give --peer-python, or run ensure_bertopic_peer)".to_string());
            None
        }
        Some(python) => {
            let run = PeerRun { python, dir: scratch.path(), encoder: None, min_cluster_size: BERTOPIC_MIN_TOPIC_SIZE };
            match run_bertopic_within(&store, &encoded.model, &run, None)? {
                (ids, PeerOutcome::Finished(mut value)) => {
                    let labels = value.as_object_mut().and_then(|o| o.remove("labels")).context("the peer printed no labels")?;
                    let by_id: HashMap<i64, i64> = ids
                        .iter()
                        .copied()
                        .zip(labels.as_array().context("labels are not a list")?.iter().map(|l| l.as_i64().unwrap_or(-1)))
                        .collect();
                    let ordered: Vec<i64> = order.iter().map(|id| by_id.get(id).copied().unwrap_or(-1)).collect();
                    let clusters = value["clusters"].as_u64().unwrap_or(0) as usize;
                    let seconds = value["pipeline_seconds"].as_f64().unwrap_or(0.0);
                    Some((ordered, seconds, clusters))
                }
                (_, other) => {
                    peer_problem = Some(other.describe());
                    None
                }
            }
        }
    };

    let n = truth.len();
    let score = |labels: &[i64], idx: &[usize]| {
        let t: Vec<&str> = idx.iter().map(|&i| truth[i].as_str()).collect();
        let p: Vec<i64> = idx.iter().map(|&i| labels[i]).collect();
        clustering::score(&t, &p)
    };
    let all: Vec<usize> = (0..n).collect();
    // One pass over the resamples per labelling, keeping V, ARI and NMI; a paired difference
    // is two labellings' scores on the same resample subtracted.
    let replicates = |labels: &[i64]| -> Vec<[f64; 3]> {
        let mut idx = Vec::with_capacity(n);
        (0..request.resamples)
            .map(|b| {
                resample(n, b, SEED, &mut idx);
                let s = score(labels, &idx);
                [s.v_measure, s.adjusted_rand, s.nmi]
            })
            .collect()
    };
    let column = |rows: &[[f64; 3]], k: usize| rows.iter().map(|r| r[k]).collect::<Vec<f64>>();
    let minus = |rows: &[[f64; 3]], other: &[[f64; 3]], k: usize| rows.iter().zip(other).map(|(r, o)| r[k] - o[k]).collect::<Vec<f64>>();
    let mut methods = Vec::new();
    let peer_point = peer.as_ref().map(|(p, _, _)| score(p, &all));
    let peer_rows = peer.as_ref().map(|(p, _, _)| replicates(p)).unwrap_or_default();
    let default_labels = runs.first().map(|r| r.1.clone()).unwrap_or_default();
    let default_point = score(&default_labels, &all);
    let default_rows = replicates(&default_labels);
    for (i, (name, labels, seconds, clusters, chosen)) in runs.iter().enumerate() {
        let point = score(labels, &all);
        let rows = if i == 0 { default_rows.clone() } else { replicates(labels) };
        let from_default = |k: usize, value: f64| (i > 0).then(|| estimate(value, minus(&rows, &default_rows, k)));
        let noise = labels.iter().filter(|&&c| c < 0).count();
        methods.push(MethodFigures {
            method: name.clone(),
            clusters: *clusters,
            noise_share: noise as f64 / n.max(1) as f64,
            v_measure: estimate(point.v_measure, column(&rows, 0)),
            adjusted_rand: estimate(point.adjusted_rand, column(&rows, 1)),
            nmi: estimate(point.nmi, column(&rows, 2)),
            v_minus_bertopic: peer_point.as_ref().map(|p| estimate(point.v_measure - p.v_measure, minus(&rows, &peer_rows, 0))),
            ari_minus_bertopic: peer_point.as_ref().map(|p| estimate(point.adjusted_rand - p.adjusted_rand, minus(&rows, &peer_rows, 1))),
            v_minus_default: from_default(0, point.v_measure - default_point.v_measure),
            ari_minus_default: from_default(1, point.adjusted_rand - default_point.adjusted_rand),
            seconds: *seconds,
            chosen: chosen.clone(),
        });
    }
    if let (Some((labels, seconds, clusters)), Some(point)) = (&peer, &peer_point) {
        let rows = &peer_rows;
        methods.push(MethodFigures {
            method: "BERTopic".to_string(),
            clusters: *clusters,
            noise_share: labels.iter().filter(|&&c| c < 0).count() as f64 / n.max(1) as f64,
            v_measure: estimate(point.v_measure, column(rows, 0)),
            adjusted_rand: estimate(point.adjusted_rand, column(rows, 1)),
            nmi: estimate(point.nmi, column(rows, 2)),
            v_minus_bertopic: None,
            ari_minus_bertopic: None,
            v_minus_default: None,
            ari_minus_default: None,
            seconds: *seconds,
            chosen: serde_json::json!({ "min_cluster_size": BERTOPIC_MIN_TOPIC_SIZE }),
        });
    }
    Ok(CorpusFigures {
        corpus: corpus.name.to_string(),
        about: corpus.about.to_string(),
        docs: n,
        labels: labels.len(),
        model: encoded.model,
        methods,
        peer_problem,
        notes,
        boilerplate,
    })
}

/// Adapts the project's model as `train` would by default and encodes with the result:
/// the adapted model's name and a line on how it was judged.
fn adapt(store: &mut engine::Store, train: &engine::train::TrainRequest, options: &EncodeOptions) -> anyhow::Result<(String, String)> {
    let plan = train.plan()?;
    let engine::train::TrainOutcome::Adapt(report) = plan.run(store, &NoProgress, &CancelToken::new())? else {
        anyhow::bail!("{} is not an adaptation", train.method);
    };
    let spec = registry::resolve(store.dir(), &report.name)?;
    encode_project(store, &spec, options, &NoProgress, &CancelToken::new())?;
    let judged = match &report.held_out_spans {
        Some(h) => format!(
            "held-out span MRR {:.4} -> {:.4} (step {} of {}{}; {} pairs), neighbours in the base clusters {:.3} -> {:.3}",
            h.base,
            h.best,
            h.best_step,
            report.run.steps,
            if h.stopped_early { ", stopped early" } else { "" },
            h.pairs,
            h.structure_base,
            h.structure_kept
        ),
        None => "unjudged".to_string(),
    };
    Ok((report.name.clone(), format!("{judged}, {} reports, {:.0} s", report.documents, report.run.seconds)))
}

pub fn print_quality(figures: &Vec<CorpusFigures>) {
    let ci = |e: &Estimate| format!("{:.3} [{:.3}, {:.3}]", e.value, e.low, e.high);
    let diff = |e: &Option<Estimate>| e.as_ref().map_or("—".to_string(), |e| format!("{:+.3} [{:+.3}, {:+.3}]", e.value, e.low, e.high));
    println!(
        "{:<16} {:<14} {:>5} {:>6} {:>6}  {:<22} {:<22} {:<22} {:<24} {:<24} {:<24} {:<24}",
        "corpus", "method", "docs", "clust", "noise", "V-measure", "ARI", "NMI", "V - BERTopic", "ARI - BERTopic",
        "V - default", "ARI - default"
    );
    for c in figures {
        for m in &c.methods {
            println!(
                "{:<16} {:<14} {:>5} {:>6} {:>5.1}%  {:<22} {:<22} {:<22} {:<24} {:<24} {:<24} {:<24}",
                c.corpus,
                m.method,
                c.docs,
                m.clusters,
                100.0 * m.noise_share,
                ci(&m.v_measure),
                ci(&m.adjusted_rand),
                ci(&m.nmi),
                diff(&m.v_minus_bertopic),
                diff(&m.ari_minus_bertopic),
                diff(&m.v_minus_default),
                diff(&m.ari_minus_default)
            );
        }
        if let Some(problem) = &c.peer_problem {
            println!("{:<16} BERTopic: {problem}", c.corpus);
        }
        for note in &c.notes {
            println!("{:<16} {note}", c.corpus);
        }
    }
    for c in figures {
        println!("  {} ({} labels, {}): {}", c.corpus, c.labels, c.model, c.about);
        match &c.boilerplate {
            None => println!("    reports encoded whole"),
            Some(b) => {
                let list = |l: &[(String, u32, f64)]| {
                    l.iter().map(|(t, n, lift)| format!("\"{t}\" {n} x{lift:.2}")).collect::<Vec<_>>().join(", ")
                };
                println!(
                    "    boilerplate: {} of {} recurring phrases, {} documents lost a sentence; commonest: {}",
                    b.boilerplate, b.judged, b.documents_changed, list(&b.commonest)
                );
                println!("    commonest kept: {}", list(&b.commonest_kept));
            }
        }
    }
    println!("  intervals: 95% bootstrap over documents; differences paired on the same resamples");
}
