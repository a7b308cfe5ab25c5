//! The Rust encoder against sentence-transformers on the same model folder: every vector
//! in the committed fixture (see its `produced_by`) must be matched with cosine >= 0.999.

use ml::SentenceEncoder;
use std::path::PathBuf;

/// The default model folder the set-up scripts install (scripts/lib/common.sh).
fn model_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("INCIDENT_ATLAS_MODEL_DIR") {
        return PathBuf::from(dir);
    }
    let models = std::env::var_os("INCIDENT_ATLAS_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let data = std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".local/share")
                });
            data.join("incident-atlas/models")
        });
    let dir = models.join("all-MiniLM-L6-v2");
    assert!(
        dir.join("model.safetensors").is_file(),
        "the default model is not installed in {}; run ./scripts/test.sh (it installs it)",
        dir.display()
    );
    dir
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// Encodes the fixture's texts from `dir` and checks each vector against the reference.
/// Returns the worst cosine.
fn check_against(fixture: &str, encoder: &SentenceEncoder) -> f64 {
    let fixture: serde_json::Value = serde_json::from_str(fixture).expect("fixture parses");
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() >= 20);
    let texts: Vec<&str> = cases.iter().map(|c| c["text"].as_str().unwrap()).collect();
    // Batches of 5 mix lengths differently from the fixture's batches of 8: padding must not matter.
    let (vectors, stats) = encoder.encode(&texts, 5, |_| {}).expect("encodes");
    assert_eq!(
        stats.truncated, 1,
        "the long case is cut at 256 tokens and reported"
    );
    let expected_tokens: usize = cases
        .iter()
        .map(|c| c["tokens"].as_u64().unwrap() as usize)
        .sum();
    assert_eq!(
        stats.tokens, expected_tokens,
        "same tokenisation as the Python tokenizer"
    );
    let mut worst = 1.0f64;
    for (case, got) in cases.iter().zip(&vectors) {
        let want: Vec<f32> = case["vector"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        let c = cosine(&want, got);
        assert!(c >= 0.999, "cosine {c} for {:?}", case["text"]);
        worst = worst.min(c);
        if encoder.normalises() {
            let norm: f64 = got.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "normalised output");
        } else {
            let scale: f64 = want.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            let norm: f64 = got.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            assert!(
                (norm / scale - 1.0).abs() < 1e-3,
                "unnormalised output keeps its length"
            );
        }
    }
    worst
}

#[test]
fn matches_sentence_transformers() {
    let encoder =
        SentenceEncoder::load(&model_dir(), &candle_core::Device::Cpu).expect("model loads");
    assert_eq!(encoder.dimension(), 384);
    assert_eq!(encoder.max_tokens(), 256);
    assert!(encoder.normalises());
    assert_eq!(encoder.pooling(), ml::Pooling::Mean);
    let worst = check_against(include_str!("fixtures/minilm_parity.json"), &encoder);
    eprintln!("default model: worst cosine {worst:.7}");
}

/// A second layout from the same weights, built exactly as the fixture script's
/// `make_variant`: 3 layers, CLS pooling, no Normalize module.
#[test]
fn second_layout_cls_pooling_without_normalise_matches_too() {
    let source = model_dir();
    let dir = tempfile::tempdir().unwrap();
    let variant = dir.path().join("minilm-l3-cls");
    std::fs::create_dir_all(variant.join("1_Pooling")).unwrap();
    for file in [
        "tokenizer.json",
        "model.safetensors",
        "sentence_bert_config.json",
    ] {
        std::fs::copy(source.join(file), variant.join(file)).unwrap();
    }
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(source.join("config.json")).unwrap())
            .unwrap();
    config["num_hidden_layers"] = 3.into();
    std::fs::write(variant.join("config.json"), config.to_string()).unwrap();
    std::fs::write(
        variant.join("1_Pooling/config.json"),
        r#"{"word_embedding_dimension": 384, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#,
    )
    .unwrap();
    let modules: Vec<serde_json::Value> = serde_json::from_str::<Vec<serde_json::Value>>(
        &std::fs::read_to_string(source.join("modules.json")).unwrap(),
    )
    .unwrap()
    .into_iter()
    .filter(|m| !m["type"].as_str().unwrap_or("").contains("Normalize"))
    .collect();
    std::fs::write(
        variant.join("modules.json"),
        serde_json::to_string(&modules).unwrap(),
    )
    .unwrap();

    let encoder =
        SentenceEncoder::load(&variant, &candle_core::Device::Cpu).expect("variant loads");
    assert_eq!(encoder.pooling(), ml::Pooling::Cls);
    assert!(!encoder.normalises());
    let worst = check_against(include_str!("fixtures/minilm_l3_cls_parity.json"), &encoder);
    eprintln!("3-layer CLS variant: worst cosine {worst:.7}");
}

#[test]
fn incomplete_folder_names_the_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let source = model_dir();
    for file in ["config.json", "tokenizer.json"] {
        std::fs::copy(source.join(file), dir.path().join(file)).unwrap();
    }
    let err = SentenceEncoder::load(dir.path(), &candle_core::Device::Cpu)
        .err()
        .expect("fails");
    assert!(err.to_string().contains("model.safetensors"), "{err}");
    std::fs::remove_file(dir.path().join("tokenizer.json")).unwrap();
    let err = SentenceEncoder::load(dir.path(), &candle_core::Device::Cpu)
        .err()
        .expect("fails");
    assert!(err.to_string().contains("tokenizer.json"), "{err}");

    // A config that does not fit the weights is a mismatch naming the folder, not a panic.
    std::fs::copy(
        source.join("tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .unwrap();
    std::fs::copy(
        source.join("model.safetensors"),
        dir.path().join("model.safetensors"),
    )
    .unwrap();
    let config = std::fs::read_to_string(source.join("config.json"))
        .unwrap()
        .replace("\"num_hidden_layers\": 6", "\"num_hidden_layers\": 12");
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    let err = SentenceEncoder::load(dir.path(), &candle_core::Device::Cpu)
        .err()
        .expect("fails");
    assert!(err.to_string().contains("does not match"), "{err}");
}
