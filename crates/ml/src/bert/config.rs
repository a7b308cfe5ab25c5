//! What a BERT encoder reads from a Hugging Face `config.json`.

use serde::Deserialize;

/// The fields of a Hugging Face `config.json` that a BERT encoder needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub model_type: Option<String>,
    #[serde(default)]
    pub pad_token_id: usize,
}

fn default_act() -> String {
    "gelu".into()
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}

impl Config {
    /// Why the sizes cannot be a real encoder's, if they cannot: each is at least 1 and at
    /// most well beyond any BERT published (so a crafted file is refused before anything
    /// is sized from it), and the hidden size splits into the heads.
    pub fn invalid(&self) -> Option<String> {
        if let Some(why) = crate::model_files::outside_bounds(&[
            ("vocab_size", self.vocab_size, 2_000_000),
            ("hidden_size", self.hidden_size, 16_384),
            ("num_hidden_layers", self.num_hidden_layers, 256),
            ("num_attention_heads", self.num_attention_heads, 256),
            ("intermediate_size", self.intermediate_size, 65_536),
            ("max_position_embeddings", self.max_position_embeddings, 131_072),
            ("type_vocab_size", self.type_vocab_size, 1_024),
        ]) {
            return Some(why);
        }
        if self.hidden_size % self.num_attention_heads != 0 {
            return Some(format!("hidden_size {} is not a multiple of {} heads", self.hidden_size, self.num_attention_heads));
        }
        if !(self.layer_norm_eps > 0.0 && self.layer_norm_eps < 1.0) {
            return Some(format!("layer_norm_eps {} is not a small positive number", self.layer_norm_eps));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    fn config(json: &str) -> Config {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn crafted_sizes_are_refused_before_anything_is_sized_from_them() {
        let ok = r#"{"vocab_size":30522,"hidden_size":384,"num_hidden_layers":6,"num_attention_heads":12,"intermediate_size":1536,"max_position_embeddings":512}"#;
        assert_eq!(config(ok).invalid(), None);
        for (field, value, says) in [
            ("num_attention_heads", "0", "num_attention_heads 0"),
            ("hidden_size", "1000000000", "hidden_size 1000000000"),
            ("vocab_size", "18446744073709551615", "vocab_size 18446744073709551615"),
            ("num_attention_heads", "7", "not a multiple of 7 heads"),
        ] {
            let mut v: serde_json::Value = serde_json::from_str(ok).unwrap();
            v[field] = serde_json::from_str(value).unwrap();
            let why = config(&v.to_string()).invalid().expect(field);
            assert!(why.contains(says), "{why}");
        }
    }
}
