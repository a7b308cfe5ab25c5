//! Crafted model folders (issue 22): each is refused with a clear error, nothing outside
//! the folder is read, and nothing panics. Built from the installed default model, one
//! file changed at a time.

use ml::quant::Precision;
use ml::SentenceEncoder;
use std::path::Path;

mod common;

/// A copy of the default model's folder (the weights linked, not copied) with `change`
/// applied, loaded; the error as text.
fn load_changed(change: impl FnOnce(&Path)) -> String {
    let source = common::model_dir();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("model");
    std::fs::create_dir_all(copy.join("1_Pooling")).unwrap();
    for file in ["config.json", "tokenizer.json", "modules.json", "sentence_bert_config.json", "1_Pooling/config.json"] {
        if source.join(file).is_file() {
            std::fs::copy(source.join(file), copy.join(file)).unwrap();
        }
    }
    std::fs::copy(source.join("model.safetensors"), copy.join("model.safetensors")).unwrap();
    change(&copy);
    match SentenceEncoder::load(&copy, &candle_core::Device::Cpu, Precision::F32, None) {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

fn set_json(path: &Path, field: &str, value: serde_json::Value) {
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v[field] = value;
    std::fs::write(path, v.to_string()).unwrap();
}

#[test]
fn the_unchanged_copy_loads() {
    assert_eq!(load_changed(|_| {}), "");
}

#[test]
fn crafted_configs_are_refused_by_their_field() {
    for (field, value, says) in [
        ("num_attention_heads", serde_json::json!(0), "num_attention_heads 0"),
        ("hidden_size", serde_json::json!(1_000_000_000u64), "hidden_size 1000000000"),
        ("num_hidden_layers", serde_json::json!(100_000), "num_hidden_layers 100000"),
        ("vocab_size", serde_json::json!(0), "vocab_size 0"),
    ] {
        let err = load_changed(|dir| set_json(&dir.join("config.json"), field, value));
        assert!(err.contains(says), "{field}: {err}");
    }
}

#[test]
fn a_pooling_path_outside_the_folder_is_refused() {
    for path in ["../../../../etc", "/etc", "1_Pooling/../../x"] {
        let err = load_changed(|dir| {
            let modules = serde_json::json!([
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": path, "type": "sentence_transformers.models.Pooling"},
            ]);
            std::fs::write(dir.join("modules.json"), modules.to_string()).unwrap();
        });
        assert!(err.contains("not a folder inside the model"), "{path}: {err}");
    }
}

#[test]
fn damaged_weights_are_an_error_not_a_crash() {
    let truncate = |keep: u64| {
        move |dir: &Path| {
            let f = std::fs::OpenOptions::new().write(true).open(dir.join("model.safetensors")).unwrap();
            f.set_len(keep).unwrap();
        }
    };
    for keep in [0u64, 7, 100, 1 << 20] {
        assert!(!load_changed(truncate(keep)).is_empty(), "weights cut to {keep} bytes loaded");
    }
    // A header that claims a tensor far larger than the file.
    let err = load_changed(|dir: &Path| {
        let header = br#"{"embeddings.word_embeddings.weight":{"dtype":"F32","shape":[1000000000000,384],"data_offsets":[0,1536000000000000]}}"#;
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header);
        bytes.extend_from_slice(&[0u8; 64]);
        std::fs::write(dir.join("model.safetensors"), bytes).unwrap();
    });
    assert!(!err.is_empty());
}
