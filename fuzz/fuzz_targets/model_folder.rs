//! Model folders from arbitrary bytes: a sentence-transformers folder's JSON files (config,
//! modules, pooling, sentence-bert config) and a word-vector model (config, vocabulary,
//! safetensors weights). Each load is a model or a clear error, never a panic.
#![no_main]
use incident_atlas_fuzz::{parts, put, scratch};
use libfuzzer_sys::fuzz_target;

const BERT: [&str; 4] = ["bert/config.json", "bert/modules.json", "bert/1_Pooling/config.json", "bert/sentence_bert_config.json"];
const WORDVEC: [&str; 3] = ["wordvec/config.json", "wordvec/vocabulary.json", "wordvec/model.safetensors"];

fuzz_target!(|data: &[u8]| {
    let files = parts(data, BERT.len() + WORDVEC.len());
    for (name, bytes) in BERT.iter().chain(&WORDVEC).zip(files) {
        put(name, bytes);
    }
    let _ = ml::sentence::read_settings(&scratch().join("bert"));
    let _ = ml::wordvec::WordVecModel::load(&scratch().join("wordvec"));
});
