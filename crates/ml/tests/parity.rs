//! The Rust encoder against sentence-transformers on the same model folder (the committed
//! fixture, see its `produced_by`): in f32 every vector matches with cosine >= 0.99999; in
//! int8 (whichever kernel runs) and bf16 every one with cosine >= 0.995 and their mean
//! >= 0.999.

use ml::quant::{Int8Kernel, Precision, Reduction};
use ml::SentenceEncoder;
use common::model_dir;

mod common;

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn load(dir: &std::path::Path, precision: Precision, kernel: Option<Int8Kernel>) -> Result<SentenceEncoder, ml::MlError> {
    SentenceEncoder::load(dir, &candle_core::Device::Cpu, precision, kernel)
}

/// Encodes the fixture's texts from `dir`, checks each vector's shape against the
/// reference and returns the vectors and their cosines to the reference.
fn check_against(fixture: &str, encoder: &SentenceEncoder) -> (Vec<Vec<f32>>, Vec<f64>) {
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
    let mut cosines = Vec::new();
    for (case, got) in cases.iter().zip(&vectors) {
        let want: Vec<f32> = case["vector"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        cosines.push(cosine(&want, got));
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
    (vectors, cosines)
}

/// Asserts the issue's bounds for `precision` and returns the worst cosine.
fn assert_parity(fixture: &str, encoder: &SentenceEncoder) -> (Vec<Vec<f32>>, f64) {
    let (vectors, cosines) = check_against(fixture, encoder);
    let worst = cosines.iter().cloned().fold(1.0, f64::min);
    let mean = cosines.iter().sum::<f64>() / cosines.len() as f64;
    eprintln!("{}: worst cosine {worst:.5}, mean {mean:.5}", encoder.precision());
    match encoder.precision() {
        Precision::F32 => assert!(worst >= 0.99999, "f32 worst cosine {worst}"),
        _ => {
            assert!(worst >= 0.995, "{} worst cosine {worst}", encoder.precision());
            assert!(mean >= 0.999, "{} mean cosine {mean}", encoder.precision());
        }
    }
    (vectors, worst)
}

/// Every int8 kernel this CPU has gives the same vectors, within the reduced-precision
/// bounds; so does bf16 where the CPU has it, and where it has not, bf16 is refused.
fn reduced_parity(dir: &std::path::Path, fixture: &str) {
    if ml::quant::bf16_supported() {
        let encoder = load(dir, Precision::Bf16, None).expect("bf16 loads");
        assert_eq!(encoder.reduction(), Some(Reduction::Bf16));
        let (_, worst) = assert_parity(fixture, &encoder);
        eprintln!("bf16: worst cosine {worst:.5}");
    } else {
        let err = load(dir, Precision::Bf16, None).err().expect("bf16 is refused");
        assert!(err.to_string().contains("AVX-512 BF16"), "{err}");
        eprintln!("bf16: this CPU has no AVX-512 BF16; refused as it should be");
    }
    let mut first: Option<(Int8Kernel, Vec<Vec<f32>>)> = None;
    for kernel in Int8Kernel::available() {
        let encoder = load(dir, Precision::Int8, Some(kernel)).expect("int8 loads");
        assert_eq!(encoder.reduction(), Some(Reduction::Int8(kernel)));
        let (vectors, worst) = assert_parity(fixture, &encoder);
        eprintln!("int8 ({}): worst cosine {worst:.5}", kernel.name());
        match &first {
            None => first = Some((kernel, vectors)),
            Some((k, v)) => assert!(*v == vectors, "{} and {} differ", k.name(), kernel.name()),
        }
    }
}

#[test]
fn matches_sentence_transformers() {
    let encoder = load(&model_dir(), Precision::F32, None).expect("model loads");
    assert_eq!(encoder.dimension(), 384);
    assert_eq!(encoder.max_tokens(), 256);
    assert!(encoder.normalises());
    assert_eq!(encoder.pooling(), ml::Pooling::Mean);
    let fixture = include_str!("fixtures/minilm_parity.json");
    let (_, worst) = assert_parity(fixture, &encoder);
    eprintln!("default model: worst cosine {worst:.7}");
    reduced_parity(&model_dir(), fixture);
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

    let encoder = load(&variant, Precision::F32, None).expect("variant loads");
    assert_eq!(encoder.pooling(), ml::Pooling::Cls);
    assert!(!encoder.normalises());
    let fixture = include_str!("fixtures/minilm_l3_cls_parity.json");
    let (_, worst) = assert_parity(fixture, &encoder);
    eprintln!("3-layer CLS variant: worst cosine {worst:.7}");
    reduced_parity(&variant, fixture);
}

#[test]
fn incomplete_folder_names_the_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let source = model_dir();
    for file in ["config.json", "tokenizer.json"] {
        std::fs::copy(source.join(file), dir.path().join(file)).unwrap();
    }
    let err = load(dir.path(), Precision::Auto, None)
        .err()
        .expect("fails");
    assert!(err.to_string().contains("model.safetensors"), "{err}");
    std::fs::remove_file(dir.path().join("tokenizer.json")).unwrap();
    let err = load(dir.path(), Precision::Auto, None)
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
    let err = load(dir.path(), Precision::Auto, None)
        .err()
        .expect("fails");
    assert!(err.to_string().contains("does not match"), "{err}");
}

/// The same text gives the same vector whatever else is in its batch and however many
/// threads run: bit for bit across thread counts; across batch compositions within
/// cosine 0.999999 (padding to a batch's longest text changes how many terms the f32
/// attention's softmax sums, which can move the last bits).
#[test]
fn vectors_do_not_depend_on_batch_or_threads() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/minilm_parity.json")).unwrap();
    let texts: Vec<&str> = fixture["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    for precision in [Precision::F32, Precision::Int8] {
        let encoder = load(&model_dir(), precision, None).expect("loads");
        let in_pool = |threads: usize, batch: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| encoder.encode(&texts, batch, |_| {}).unwrap().0)
        };
        let two = in_pool(2, 8);
        assert!(in_pool(1, 8) == two, "{precision}: thread count changed the vectors");
        let mut worst = 1.0f64;
        for batch in [1, 3, 32] {
            for (a, b) in in_pool(2, batch).iter().zip(&two) {
                worst = worst.min(cosine(a, b));
            }
        }
        eprintln!("{precision}: worst cosine across batch compositions {worst:.8}");
        assert!(worst >= 0.999999, "{precision}: batch composition moved a vector to cosine {worst}");
    }
}
