//! The classification head of a supervised (SetFit-style) model: a linear layer over the
//! fine-tuned sentence vector, stored beside the encoder as `head.safetensors` (`weight`,
//! labels × dimension, and `bias`) with `head.json` naming the labels in row order.
//! sentence-transformers ignores both files, so the folder still loads there unchanged.

use crate::MlError;
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

pub const WEIGHTS_FILE: &str = "head.safetensors";
pub const LABELS_FILE: &str = "head.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadInfo {
    /// Label of each row of `weight`.
    pub labels: Vec<String>,
    /// How the head was fitted, for people reading the folder.
    pub fitted_by: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierHead {
    pub info: HeadInfo,
    /// Row-major, one row per label.
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub dimension: usize,
}

impl ClassifierHead {
    /// The label with the highest score for one sentence vector.
    pub fn predict(&self, vector: &[f32]) -> usize {
        let mut best = (0, f32::NEG_INFINITY);
        for (row, b) in self.bias.iter().enumerate() {
            let w = &self.weight[row * self.dimension..(row + 1) * self.dimension];
            let s = b + w.iter().zip(vector).map(|(a, x)| a * x).sum::<f32>();
            if s > best.1 {
                best = (row, s);
            }
        }
        best.0
    }

    pub fn save(&self, dir: &Path) -> Result<(), MlError> {
        let labels = self.info.labels.len();
        let tensors = HashMap::from([
            (
                "weight".to_string(),
                Tensor::from_vec(self.weight.clone(), (labels, self.dimension), &Device::Cpu)?,
            ),
            (
                "bias".to_string(),
                Tensor::from_vec(self.bias.clone(), labels, &Device::Cpu)?,
            ),
        ]);
        candle_core::safetensors::save(&tensors, dir.join(WEIGHTS_FILE))?;
        let path = dir.join(LABELS_FILE);
        let json = serde_json::to_string_pretty(&self.info)
            .map_err(|e| MlError::Training(format!("head labels: {e}")))?;
        std::fs::write(&path, json).map_err(|source| MlError::Io { path, source })
    }

    /// The head in `dir`, or None when the folder has none.
    pub fn load(dir: &Path) -> Result<Option<ClassifierHead>, MlError> {
        let weights = dir.join(WEIGHTS_FILE);
        if !weights.is_file() {
            return Ok(None);
        }
        let info: HeadInfo = crate::model_files::read_json(dir, LABELS_FILE)?;
        let tensors = candle_core::safetensors::load(&weights, &Device::Cpu)?;
        let invalid = |reason: &str| MlError::InvalidFile {
            path: weights.clone(),
            reason: reason.to_string(),
        };
        let weight = tensors
            .get("weight")
            .ok_or_else(|| invalid("no weight tensor"))?;
        let bias = tensors
            .get("bias")
            .ok_or_else(|| invalid("no bias tensor"))?;
        let (rows, dimension) = weight.dims2()?;
        if rows != info.labels.len() || bias.dims1()? != rows {
            return Err(invalid("the tensors do not match the labels in head.json"));
        }
        Ok(Some(ClassifierHead {
            info,
            weight: weight.flatten_all()?.to_vec1()?,
            bias: bias.to_vec1()?,
            dimension,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_loads_and_predicts_the_highest_scoring_label() {
        let head = ClassifierHead {
            info: HeadInfo {
                labels: vec!["falls".into(), "medication".into()],
                fitted_by: "test".into(),
            },
            weight: vec![1.0, 0.0, 0.0, 1.0],
            bias: vec![0.0, 0.1],
            dimension: 2,
        };
        assert_eq!(head.predict(&[0.9, 0.2]), 0);
        assert_eq!(head.predict(&[0.5, 0.5]), 1);
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(ClassifierHead::load(dir.path()).unwrap(), None);
        head.save(dir.path()).unwrap();
        assert_eq!(ClassifierHead::load(dir.path()).unwrap(), Some(head));
    }
}
