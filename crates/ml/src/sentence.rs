//! Sentence encoders in the sentence-transformers layout: a BERT-family model, its
//! tokenizer, a pooling step and optional L2 normalisation, all read from a local folder.

use crate::bert::{self, BertModel, Config};
use crate::quant::{Int8Kernel, Precision, Reduction};
use crate::MlError;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use tokenizers::{Tokenizer, TruncationParams};

/// How token states become one sentence vector (`1_Pooling/config.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    Mean,
    Cls,
    Max,
}

#[derive(Deserialize, Default)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
}

/// `path` when it names something inside the folder it is read from: relative, with no
/// `..`, root or drive. A model folder is read and nothing outside it.
fn inside_folder(path: &str) -> Option<&Path> {
    let p = Path::new(path);
    p.components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir)).then_some(p)
}

#[derive(Deserialize)]
struct Module {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    path: String,
}

#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
}

/// What one `encode` call did, for progress and reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct EncodeStats {
    pub texts: usize,
    pub tokens: usize,
    /// Texts cut at the model's maximum length.
    pub truncated: usize,
}

pub struct SentenceEncoder {
    config: Config,
    model: BertModel,
    tokenizer: Tokenizer,
    pooling: Pooling,
    normalise: bool,
    max_tokens: usize,
    dir: PathBuf,
    precision: Precision,
    /// What the dense layers run in when not f32.
    reduction: Option<Reduction>,
}

fn read(path: &Path) -> Result<String, MlError> {
    std::fs::read_to_string(path).map_err(|source| MlError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, MlError> {
    serde_json::from_str(&read(path)?).map_err(|e| MlError::InvalidFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn require(dir: &Path, file: &'static str) -> Result<PathBuf, MlError> {
    let path = dir.join(file);
    if path.is_file() {
        Ok(path)
    } else {
        Err(MlError::MissingFile {
            dir: dir.to_path_buf(),
            file,
        })
    }
}

/// What a sentence-transformers folder says about its model, read from its small JSON
/// files alone (no tokenizer, no weights): checked before anything large is read, and what
/// the fuzz target `model_folder` drives with hostile files.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub pooling: Pooling,
    pub normalise: bool,
    pub max_tokens: usize,
}

/// Reads `config.json`, `modules.json`, the pooling module's `config.json` and
/// `sentence_bert_config.json` in `dir`: refused when the architecture is not BERT, a size
/// is absurd, or the pooling module lies outside the folder.
pub fn read_settings(dir: &Path) -> Result<Settings, MlError> {
    let config_path = require(dir, "config.json")?;
    let config: Config = parse(&config_path)?;
    // RoBERTa-style models offset their positions and differ in details: refuse them
    // rather than produce vectors that look right and are not.
    if let Some(kind) = config.model_type.as_deref().filter(|k| *k != "bert") {
        return Err(MlError::Mismatch {
            dir: dir.to_path_buf(),
            reason: format!(
                "model_type {kind:?} is not a BERT encoder, the family this build runs"
            ),
        });
    }
    if let Some(why) = config.invalid() {
        return Err(MlError::InvalidFile { path: config_path.clone(), reason: why });
    }
    if config.hidden_size % config.num_attention_heads.max(1) != 0 {
        return Err(MlError::Mismatch {
            dir: dir.to_path_buf(),
            reason: format!(
                "hidden_size {} is not a multiple of {} heads",
                config.hidden_size, config.num_attention_heads
            ),
        });
    }

    let modules: Vec<Module> = match dir.join("modules.json") {
        p if p.is_file() => parse(&p)?,
        _ => Vec::new(),
    };
    let normalise = modules.iter().any(|m| m.kind.ends_with("Normalize"));
    let pooling_dir = match modules.iter().find(|m| m.kind.ends_with("Pooling")) {
        Some(m) => dir.join(inside_folder(&m.path).ok_or_else(|| MlError::InvalidFile {
            path: dir.join("modules.json"),
            reason: format!("the pooling module's path {:?} is not a folder inside the model", m.path),
        })?),
        None => dir.join("1_Pooling"),
    };
    let pooling = match pooling_dir.join("config.json") {
        p if p.is_file() => {
            let c: PoolingConfig = parse(&p)?;
            if c.pooling_mode_cls_token {
                Pooling::Cls
            } else if c.pooling_mode_max_tokens && !c.pooling_mode_mean_tokens {
                Pooling::Max
            } else {
                Pooling::Mean
            }
        }
        _ => Pooling::Mean,
    };
    let max_tokens = match dir.join("sentence_bert_config.json") {
        p if p.is_file() => parse::<SentenceBertConfig>(&p)?.max_seq_length,
        _ => None,
    }
    .unwrap_or(config.max_position_embeddings)
    .min(config.max_position_embeddings);

    Ok(Settings { config, pooling, normalise, max_tokens })
}

impl SentenceEncoder {
    /// Loads the model in `dir` onto `device`. Reads `modules.json` for the pipeline
    /// (pooling folder, whether to normalise), `1_Pooling/config.json` for the pooling mode
    /// (mean when absent) and `sentence_bert_config.json` for the maximum length (the
    /// model's position limit when absent). The tokenizer's own truncation and padding
    /// settings are replaced: texts are cut at that maximum and padded per batch.
    /// `precision` is resolved for this CPU (`auto`: int8 where a vectorised integer
    /// kernel exists); int8 and bf16 run on the CPU only, so on a GPU `auto` means f32 and
    /// they are refused, as bf16 is on a CPU without AVX-512 BF16. `int8_kernel` forces a
    /// kernel (for measurements); None picks the fastest.
    pub fn load(
        dir: &Path,
        device: &Device,
        precision: Precision,
        int8_kernel: Option<Int8Kernel>,
    ) -> Result<SentenceEncoder, MlError> {
        let precision = match (precision, device.is_cpu()) {
            (Precision::Auto, false) => Precision::F32,
            (p @ (Precision::Int8 | Precision::Bf16), false) => {
                return Err(MlError::Mismatch {
                    dir: dir.to_path_buf(),
                    reason: format!("{p} runs on the CPU only; use f32 on the GPU"),
                })
            }
            (p, true) => p.resolve(),
            (p, false) => p,
        };
        let reduction = match precision {
            Precision::Int8 => {
                let kernel = int8_kernel.unwrap_or_else(Int8Kernel::detect);
                if !Int8Kernel::available().contains(&kernel) {
                    return Err(MlError::Mismatch {
                        dir: dir.to_path_buf(),
                        reason: format!("this CPU cannot run the {} int8 kernel", kernel.name()),
                    });
                }
                Some(Reduction::Int8(kernel))
            }
            Precision::Bf16 if !crate::quant::bf16_supported() => {
                return Err(MlError::Mismatch {
                    dir: dir.to_path_buf(),
                    reason: "bf16 needs a CPU with AVX-512 BF16, which this one lacks; use int8 or f32".into(),
                })
            }
            Precision::Bf16 => Some(Reduction::Bf16),
            _ => None,
        };
        let Settings { config, pooling, normalise, max_tokens } = read_settings(dir)?;
        let tokenizer_path = require(dir, "tokenizer.json")?;
        let weights_path = require(dir, "model.safetensors")?;

        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| MlError::InvalidFile {
                path: tokenizer_path.clone(),
                reason: e.to_string(),
            })?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..Default::default()
            }))
            .map_err(|e| MlError::Tokenizer(e.to_string()))?;
        tokenizer.with_padding(None);
        let vocab = tokenizer.get_vocab_size(true);
        if vocab > config.vocab_size {
            return Err(MlError::Mismatch {
                dir: dir.to_path_buf(),
                reason: format!(
                    "tokenizer.json has {vocab} tokens, config.json says vocab_size {}",
                    config.vocab_size
                ),
            });
        }

        // SAFETY of the mapping: the file is only read, and only while the model is built
        // (VarBuilder copies tensors out of it).
        let vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[&weights_path], DType::F32, device) }
                .map_err(|e| MlError::InvalidFile {
                    path: weights_path.clone(),
                    reason: e.to_string(),
                })?;
        let model = BertModel::load(vb, &config).map_err(|e| MlError::Mismatch {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut encoder = SentenceEncoder {
            config,
            model,
            tokenizer,
            pooling,
            normalise,
            max_tokens,
            dir: dir.to_path_buf(),
            precision,
            reduction,
        };
        match reduction {
            Some(r @ Reduction::Int8(_)) => {
                let ranges = encoder.calibrate()?;
                encoder.model.quantise(r, &ranges)?;
            }
            Some(r @ Reduction::Bf16) => encoder.model.quantise(r, &[])?,
            None => {}
        }
        Ok(encoder)
    }

    /// The input ranges of every dense layer over the calibration sentences, each run on
    /// its own (no padding).
    fn calibrate(&self) -> Result<Vec<bert::InputRanges>, MlError> {
        let mut ranges = Vec::new();
        let encodings = self
            .tokenizer
            .encode_batch(crate::quant::CALIBRATION.to_vec(), true)
            .map_err(|e| MlError::Tokenizer(e.to_string()))?;
        let device = self.model.device();
        for e in &encodings {
            let ids = Tensor::new(e.get_ids(), device)?.unsqueeze(0)?;
            let mask = Tensor::new(e.get_attention_mask(), device)?.unsqueeze(0)?;
            self.model.observe(&ids, &mask, &mut ranges)?;
        }
        Ok(ranges)
    }

    /// Multiply-adds (counted as 2 FLOPs) of the dense layers per token: the bulk of the
    /// work, for comparing achieved throughput with the machine's matmul rate.
    pub fn dense_flops_per_token(&self) -> f64 {
        let (h, i) = (
            self.config.hidden_size as f64,
            self.config.intermediate_size as f64,
        );
        2.0 * self.config.num_hidden_layers as f64 * (4.0 * h * h + 2.0 * h * i)
    }

    /// The precision the dense layers run in (never `Auto`).
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// What the dense layers run in when not f32 (the int8 kernel, or bf16).
    pub fn reduction(&self) -> Option<Reduction> {
        self.reduction
    }

    pub fn dimension(&self) -> usize {
        self.model.hidden_size()
    }

    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    pub fn normalises(&self) -> bool {
        self.normalise
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Encodes `texts` into one vector each, in order. Texts are tokenised once, sorted by
    /// length and run in batches of `batch_size` padded to their longest member, so short
    /// reports do not pay for long ones. `on_batch` is told how many texts each finished
    /// batch held.
    pub fn encode(
        &self,
        texts: &[&str],
        batch_size: usize,
        mut on_batch: impl FnMut(usize),
    ) -> Result<(Vec<Vec<f32>>, EncodeStats), MlError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| MlError::Tokenizer(e.to_string()))?;
        let mut stats = EncodeStats {
            texts: texts.len(),
            ..Default::default()
        };
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encodings[i].len()));
        let mut vectors = vec![Vec::new(); texts.len()];
        let device = self.model.device();
        for chunk in order.chunks(batch_size.max(1)) {
            let longest = chunk
                .iter()
                .map(|&i| encodings[i].len())
                .max()
                .unwrap_or(0)
                .max(1);
            let mut ids = vec![0u32; chunk.len() * longest];
            let mut mask = vec![0u32; chunk.len() * longest];
            for (row, &i) in chunk.iter().enumerate() {
                let e = &encodings[i];
                stats.tokens += e.len();
                if !e.get_overflowing().is_empty() {
                    stats.truncated += 1;
                }
                ids[row * longest..row * longest + e.len()].copy_from_slice(e.get_ids());
                mask[row * longest..row * longest + e.len()]
                    .copy_from_slice(e.get_attention_mask());
            }
            let ids = Tensor::from_vec(ids, (chunk.len(), longest), device)?;
            let mask = Tensor::from_vec(mask, (chunk.len(), longest), device)?;
            let hidden = self.model.forward(&ids, &mask)?;
            let pooled = match self.pooling {
                Pooling::Mean => bert::mean_pool(&hidden, &mask)?,
                Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
                Pooling::Max => bert::max_pool(&hidden, &mask)?,
            };
            let pooled = if self.normalise {
                bert::l2_normalise(&pooled)?
            } else {
                pooled
            };
            for (row, v) in chunk.iter().zip(pooled.to_vec2::<f32>()?) {
                vectors[*row] = v;
            }
            on_batch(chunk.len());
        }
        Ok((vectors, stats))
    }
}

#[cfg(test)]
mod tests {
    use super::inside_folder;

    #[test]
    fn a_module_path_is_confined_to_the_model_folder() {
        for ok in ["1_Pooling", "./1_Pooling", "modules/pool"] {
            assert!(inside_folder(ok).is_some(), "{ok}");
        }
        for bad in ["../x", "1_Pooling/../../etc", "/etc", "a/../../b"] {
            assert!(inside_folder(bad).is_none(), "{bad}");
        }
    }
}
