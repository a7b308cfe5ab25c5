//! The baseline representation: TF-IDF over words and character n-grams, reduced by
//! truncated SVD (latent semantic analysis) to a fixed dimension, L2-normalised.
//!
//! Fitted on the project's own corpus; saved in a folder (`config.json`,
//! `vocabulary.json`, `model.safetensors`) so a reloaded model encodes new text exactly as
//! the fitted one did.

pub(crate) mod features;
mod linalg;
mod sparse;

pub use features::FeatureConfig;

use crate::model_files::read_json;
use crate::MlError;
use candle_core::{Device, Tensor};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sparse::Csr;
use std::collections::HashMap;
use std::path::Path;

pub const MODEL_TYPE: &str = "tfidf-lsa";
const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LsaConfig {
    pub dimension: usize,
    pub features: FeatureConfig,
    /// A feature must occur in at least this many fitting documents.
    pub min_df: u32,
    /// Most frequent features kept (by document frequency).
    pub max_features: usize,
    /// Power iterations of randomized SVD (more: closer to the exact SVD).
    pub power_iterations: usize,
    pub oversampling: usize,
    pub seed: u64,
}

impl Default for LsaConfig {
    fn default() -> Self {
        LsaConfig {
            dimension: 256,
            features: FeatureConfig::default(),
            min_df: 2,
            max_features: 40_000,
            power_iterations: 3,
            oversampling: 16,
            seed: crate::rng::DEFAULT_SEED,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct SavedConfig {
    model_type: String,
    format_version: u32,
    config: LsaConfig,
    /// Output dimension actually reached (below `config.dimension` only for tiny corpora).
    dimension: usize,
    fit_documents: usize,
    singular_values: Vec<f32>,
}

pub struct TfidfLsa {
    config: LsaConfig,
    terms: Vec<String>,
    index: HashMap<String, u32>,
    idf: Vec<f32>,
    /// (features x dimension), row-major: a document's vector is its TF-IDF row times this.
    components: Vec<f32>,
    dimension: usize,
    fit_documents: usize,
    singular_values: Vec<f32>,
}

/// Seeded standard normal numbers, the same on every platform.
fn gaussian(seed: u64, count: usize) -> Vec<f32> {
    crate::rng::SplitMix64::new(seed).gaussian(count)
}

impl TfidfLsa {
    /// Fits the vocabulary, IDF weights and SVD projection on `texts`.
    pub fn fit(texts: &[&str], config: &LsaConfig) -> Result<TfidfLsa, MlError> {
        let counts: Vec<HashMap<String, u32>> = texts
            .par_iter()
            .map(|t| features::term_counts(t, &config.features))
            .collect();
        let mut df: HashMap<&str, u32> = HashMap::new();
        for doc in &counts {
            for term in doc.keys() {
                *df.entry(term.as_str()).or_insert(0) += 1;
            }
        }
        let mut kept: Vec<(&str, u32)> = df
            .into_iter()
            .filter(|(_, d)| *d >= config.min_df)
            .collect();
        // Most frequent first; ties in a fixed order so a refit gives the same columns.
        kept.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        kept.truncate(config.max_features);
        let n = texts.len() as f64;
        let terms: Vec<String> = kept.iter().map(|(t, _)| t.to_string()).collect();
        let idf: Vec<f32> = kept
            .iter()
            .map(|(_, d)| (((1.0 + n) / (1.0 + *d as f64)).ln() + 1.0) as f32)
            .collect();
        let index: HashMap<String, u32> = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let mut model = TfidfLsa {
            config: config.clone(),
            terms,
            index,
            idf,
            components: Vec::new(),
            dimension: 0,
            fit_documents: texts.len(),
            singular_values: Vec::new(),
        };
        let a = model.tfidf_rows(counts.iter());
        let (m, docs) = (model.terms.len(), texts.len());
        let l = (config.dimension + config.oversampling)
            .min(m)
            .min(docs)
            .max(1);
        let at = a.transpose();
        // Randomized range finder with power iterations (Halko, Martinsson & Tropp, 2011).
        let omega = gaussian(config.seed, m * l);
        let mut q = linalg::orthonormalise(&a.mul_dense(&omega, l), docs, l)?;
        for _ in 0..config.power_iterations {
            let z = linalg::orthonormalise(&at.mul_dense(&q, l), m, l)?;
            q = linalg::orthonormalise(&a.mul_dense(&z, l), docs, l)?;
        }
        let z = at.mul_dense(&q, l); // A^T Q: (m x l)
        let (components, singular) = linalg::right_singular(&z, m, l, config.dimension)?;
        model.dimension = singular.len();
        model.components = components;
        model.singular_values = singular;
        Ok(model)
    }

    /// Sublinear TF times IDF, each row L2-normalised.
    fn tfidf_rows<'a>(&self, docs: impl Iterator<Item = &'a HashMap<String, u32>>) -> Csr {
        let mut indptr = vec![0usize];
        let mut indices = Vec::new();
        let mut values = Vec::new();
        let mut rows = 0;
        for doc in docs {
            let mut row: Vec<(u32, f32)> = doc
                .iter()
                .filter_map(|(t, c)| {
                    self.index
                        .get(t)
                        .map(|&i| (i, (1.0 + (*c as f32).ln()) * self.idf[i as usize]))
                })
                .collect();
            row.sort_unstable_by_key(|e| e.0);
            let norm = row.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
            for (i, v) in row {
                indices.push(i);
                values.push(if norm > 0.0 { v / norm } else { 0.0 });
            }
            indptr.push(indices.len());
            rows += 1;
        }
        Csr {
            rows,
            cols: self.terms.len(),
            indptr,
            indices,
            values,
        }
    }

    /// One L2-normalised vector per text. Text with no known feature gives a zero vector.
    pub fn transform(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        texts
            .par_iter()
            .map(|t| {
                let counts = features::term_counts(t, &self.config.features);
                let row = self.tfidf_rows(std::iter::once(&counts));
                let mut v = row.mul_dense(&self.components, self.dimension);
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                if norm > 0.0 {
                    v.iter_mut().for_each(|x| *x /= norm);
                }
                v
            })
            .collect()
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    pub fn features(&self) -> usize {
        self.terms.len()
    }

    pub fn fit_documents(&self) -> usize {
        self.fit_documents
    }

    pub fn config(&self) -> &LsaConfig {
        &self.config
    }

    /// Writes `config.json`, `vocabulary.json` and `model.safetensors` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), MlError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| MlError::Io {
                path: path.clone(),
                source,
            }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let saved = SavedConfig {
            model_type: MODEL_TYPE.into(),
            format_version: FORMAT_VERSION,
            config: self.config.clone(),
            dimension: self.dimension,
            fit_documents: self.fit_documents,
            singular_values: self.singular_values.clone(),
        };
        let config_path = dir.join("config.json");
        std::fs::write(&config_path, pretty(&saved)).map_err(io(&config_path))?;
        let vocab_path = dir.join("vocabulary.json");
        std::fs::write(&vocab_path, pretty(&self.terms)).map_err(io(&vocab_path))?;
        let m = self.terms.len();
        let tensors: HashMap<String, Tensor> = [
            (
                "idf".to_string(),
                Tensor::from_slice(&self.idf, m, &Device::Cpu)?,
            ),
            (
                "components".to_string(),
                Tensor::from_slice(&self.components, (m, self.dimension), &Device::Cpu)?,
            ),
        ]
        .into_iter()
        .collect();
        candle_core::safetensors::save(&tensors, dir.join("model.safetensors"))?;
        Ok(())
    }

    /// Reads a folder written by [`TfidfLsa::save`].
    pub fn load(dir: &Path) -> Result<TfidfLsa, MlError> {
        let invalid = |file: &str, reason: String| MlError::InvalidFile {
            path: dir.join(file),
            reason,
        };
        let saved: SavedConfig = read_json(dir, "config.json")?;
        if saved.model_type != MODEL_TYPE || saved.format_version != FORMAT_VERSION {
            return Err(invalid(
                "config.json",
                format!("not a {MODEL_TYPE} model of format {FORMAT_VERSION}"),
            ));
        }
        let terms: Vec<String> = read_json(dir, "vocabulary.json")?;
        let weights = dir.join("model.safetensors");
        if !weights.is_file() {
            return Err(MlError::MissingFile {
                dir: dir.to_path_buf(),
                file: "model.safetensors",
            });
        }
        let tensors = candle_core::safetensors::load(&weights, &Device::Cpu)?;
        let get = |name: &str| -> Result<Vec<f32>, MlError> {
            let t = tensors
                .get(name)
                .ok_or_else(|| invalid("model.safetensors", format!("no tensor {name:?}")))?;
            Ok(t.flatten_all()?.to_vec1::<f32>()?)
        };
        let idf = get("idf")?;
        let components = get("components")?;
        if idf.len() != terms.len() || components.len() != terms.len() * saved.dimension {
            return Err(MlError::Mismatch {
                dir: dir.to_path_buf(),
                reason: format!(
                    "{} terms, {} IDF weights, {} component values",
                    terms.len(),
                    idf.len(),
                    components.len()
                ),
            });
        }
        let index = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Ok(TfidfLsa {
            config: saved.config,
            terms,
            index,
            idf,
            components,
            dimension: saved.dimension,
            fit_documents: saved.fit_documents,
            singular_values: saved.singular_values,
        })
    }
}

fn pretty<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS: &[&str] = &[
        "Patient fell in the bathroom, found on the floor, no injury.",
        "Unwitnessed fall, pt found on floor beside bed, hit head.",
        "Patient slipped and fell while walking to the toilet.",
        "Wrong dose of insulin given, 100 units instead of 10 units.",
        "Insulin dose error: ten-fold overdose, blood glucose dropped.",
        "Gentamicin dose omitted, antibiotic not given for 6 hours.",
        "Pressure ulcer category 3 on the sacrum found on inspection.",
        "New pressure damage to both heels, category 2 ulcer.",
        "Sacral pressure ulcer deteriorated, tissue viability referral.",
        "Syringe driver alarm failed, infusion pump not working.",
        "Infusion pump fault: no alarm when line occluded.",
        "Defibrillator battery flat during daily check.",
    ];

    fn small() -> LsaConfig {
        LsaConfig {
            dimension: 4,
            oversampling: 4,
            min_df: 1,
            ..Default::default()
        }
    }

    #[test]
    fn similar_reports_land_together() {
        let model = TfidfLsa::fit(DOCS, &small()).unwrap();
        assert_eq!(model.dimension(), 4);
        let v = model.transform(DOCS);
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        for row in &v {
            assert!((dot(row, row) - 1.0).abs() < 1e-4);
        }
        // Two falls are closer to each other than a fall is to a pump fault.
        assert!(
            dot(&v[0], &v[1]) > dot(&v[0], &v[10]),
            "{} vs {}",
            dot(&v[0], &v[1]),
            dot(&v[0], &v[10])
        );
        assert!(dot(&v[3], &v[4]) > dot(&v[3], &v[7]));
        // Typos still share character n-grams with the clean word.
        let typo = model.transform(&["unwitnesed fal, pt on flor"]);
        assert!(dot(&typo[0], &v[1]) > dot(&typo[0], &v[6]));
    }

    #[test]
    fn save_and_load_encode_identically() {
        let model = TfidfLsa::fit(DOCS, &small()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        model.save(dir.path()).unwrap();
        let loaded = TfidfLsa::load(dir.path()).unwrap();
        let probe = [
            "A new report about an insulin pump and a fall",
            "",
            "zzz qqq",
        ];
        assert_eq!(model.transform(&probe), loaded.transform(&probe));
        assert_eq!(
            loaded.transform(&[""])[0],
            vec![0.0; 4],
            "no features: zero vector"
        );
        std::fs::remove_file(dir.path().join("vocabulary.json")).unwrap();
        let err = TfidfLsa::load(dir.path()).err().unwrap();
        assert!(err.to_string().contains("vocabulary.json"), "{err}");
    }

    #[test]
    fn fitting_is_deterministic() {
        let a = TfidfLsa::fit(DOCS, &small()).unwrap().transform(DOCS);
        let b = TfidfLsa::fit(DOCS, &small()).unwrap().transform(DOCS);
        assert_eq!(a, b);
    }
}
