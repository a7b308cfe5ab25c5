//! A BERT encoder whose weights are trainable variables, for fine-tuning. It reads and
//! writes Hugging Face tensor names, so a fine-tuned model is saved in the standard
//! layout and loads unchanged in the inference encoder (`crate::bert`) and in
//! sentence-transformers.
//!
//! The inference encoder fuses kernels that have no backward pass (layer norm, softmax,
//! the rational GELU, the stacked QKV projection); here every op is one candle can
//! differentiate, and dropout masks come from the project's seeded generator so a
//! training run repeats exactly on the CPU.

use crate::bert::Config;
use crate::rng::SplitMix64;
use crate::MlError;
use candle_core::{DType, Device, Tensor, Var, D};
use candle_nn::VarMap;
use std::collections::HashMap;
use std::path::Path;

/// Where BERT keeps its masked-language-model head (Hugging Face's names).
pub const MLM_HEAD: &str = "cls.predictions";

struct Linear {
    weight: Tensor,
    bias: Tensor,
}

impl Linear {
    /// `x` is (rows, inputs).
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.matmul(&self.weight.t()?)?.broadcast_add(&self.bias)
    }
}

struct Norm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl Norm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centred = x.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        centred
            .broadcast_div(&(var + self.eps)?.sqrt()?)?
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    output: Linear,
    output_norm: Norm,
}

/// Dropout with masks drawn from a seeded generator (p = 0: identity).
pub struct Dropout {
    pub p: f32,
    rng: SplitMix64,
}

impl Dropout {
    pub fn new(p: f32, seed: u64) -> Dropout {
        Dropout {
            p,
            rng: SplitMix64::new(seed),
        }
    }

    pub fn state(&self) -> u64 {
        self.rng.state()
    }

    /// A uniform draw in [0, 1) from the same generator, for other seeded choices made
    /// while training (which tokens MLM masks), so one checkpointed state covers them.
    pub fn draw(&mut self) -> f64 {
        self.rng.next_f64()
    }

    pub fn set_state(&mut self, state: u64) {
        self.rng = SplitMix64::from_state(state);
    }

    fn apply(&mut self, x: &Tensor) -> candle_core::Result<Tensor> {
        if self.p <= 0.0 {
            return Ok(x.clone());
        }
        let keep = 1.0 - self.p;
        let scale = 1.0 / keep;
        let mask: Vec<f32> = (0..x.elem_count())
            .map(|_| {
                if (self.rng.next_f64() as f32) < keep {
                    scale
                } else {
                    0.0
                }
            })
            .collect();
        x.mul(&Tensor::from_vec(mask, x.shape(), x.device())?)
    }
}

pub struct TrainableBert {
    pub config: Config,
    varmap: VarMap,
    /// Prefix of the checkpoint's tensor names ("" or "bert.").
    prefix: String,
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    device: Device,
}

impl TrainableBert {
    /// Loads every tensor of `model.safetensors` in `dir` as a variable (those the
    /// encoder does not use, such as a pooler, are kept so saving writes them back).
    pub fn load(dir: &Path, device: &Device) -> Result<TrainableBert, MlError> {
        let config_path = dir.join("config.json");
        let config: Config =
            serde_json::from_str(&std::fs::read_to_string(&config_path).map_err(|source| {
                MlError::Io {
                    path: config_path.clone(),
                    source,
                }
            })?)
            .map_err(|e| MlError::InvalidFile {
                path: config_path,
                reason: e.to_string(),
            })?;
        let tensors = candle_core::safetensors::load(dir.join("model.safetensors"), device)?;
        Self::from_tensors(config, tensors, device)
    }

    pub fn from_tensors(
        config: Config,
        tensors: HashMap<String, Tensor>,
        device: &Device,
    ) -> Result<TrainableBert, MlError> {
        if config.hidden_act != "gelu" {
            return Err(MlError::Training(format!(
                "fine-tuning supports BERT with exact GELU, not {:?}",
                config.hidden_act
            )));
        }
        let varmap = VarMap::new();
        {
            let mut data = varmap
                .data()
                .lock()
                .map_err(|_| MlError::Training("the variable map's lock is poisoned".into()))?;
            for (name, t) in tensors {
                let t = t.to_dtype(DType::F32)?;
                data.insert(name, Var::from_tensor(&t)?);
            }
        }
        let prefix = {
            let data = varmap
                .data()
                .lock()
                .map_err(|_| MlError::Training("the variable map's lock is poisoned".into()))?;
            if data.contains_key("embeddings.word_embeddings.weight") {
                String::new()
            } else {
                "bert.".to_string()
            }
        };
        let get = |name: &str| -> Result<Tensor, MlError> {
            let data = varmap
                .data()
                .lock()
                .map_err(|_| MlError::Training("the variable map's lock is poisoned".into()))?;
            data.get(&format!("{prefix}{name}"))
                .map(|v| v.as_tensor().clone())
                .ok_or_else(|| MlError::Training(format!("the checkpoint has no {prefix}{name}")))
        };
        let linear = |name: &str| -> Result<Linear, MlError> {
            Ok(Linear {
                weight: get(&format!("{name}.weight"))?,
                bias: get(&format!("{name}.bias"))?,
            })
        };
        let norm = |name: &str| -> Result<Norm, MlError> {
            Ok(Norm {
                weight: get(&format!("{name}.weight"))?,
                bias: get(&format!("{name}.bias"))?,
                eps: config.layer_norm_eps,
            })
        };
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let l = format!("encoder.layer.{i}");
                Ok(Layer {
                    query: linear(&format!("{l}.attention.self.query"))?,
                    key: linear(&format!("{l}.attention.self.key"))?,
                    value: linear(&format!("{l}.attention.self.value"))?,
                    attention_out: linear(&format!("{l}.attention.output.dense"))?,
                    attention_norm: norm(&format!("{l}.attention.output.LayerNorm"))?,
                    intermediate: linear(&format!("{l}.intermediate.dense"))?,
                    output: linear(&format!("{l}.output.dense"))?,
                    output_norm: norm(&format!("{l}.output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<_>, MlError>>()?;
        Ok(TrainableBert {
            word: get("embeddings.word_embeddings.weight")?,
            position: get("embeddings.position_embeddings.weight")?,
            token_type: get("embeddings.token_type_embeddings.weight")?,
            embedding_norm: norm("embeddings.LayerNorm")?,
            layers,
            prefix,
            varmap,
            config,
            device: device.clone(),
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The trainable variables, by tensor name, sorted (a fixed order for the optimiser).
    pub fn variables(&self) -> Vec<(String, Var)> {
        let data = match self.varmap.data().lock() {
            Ok(d) => d,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut vars: Vec<(String, Var)> =
            data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    }

    /// Writes every variable under its checkpoint name to `path` (safetensors).
    pub fn save(&self, path: &Path) -> Result<(), MlError> {
        self.varmap.save(path)?;
        Ok(())
    }

    /// Writes the encoder's variables without a masked-language-model head: the model
    /// folder holds what sentence-transformers and the inference encoder read.
    pub fn save_encoder(&self, path: &Path) -> Result<(), MlError> {
        let tensors: HashMap<String, Tensor> = self
            .variables()
            .into_iter()
            .filter(|(name, _)| !name.starts_with(MLM_HEAD))
            .map(|(name, var)| (name, var.as_tensor().clone()))
            .collect();
        candle_core::safetensors::save(&tensors, path)?;
        Ok(())
    }

    /// Adds BERT's masked-language-model head (a dense layer with GELU and layer norm,
    /// then the word embeddings, tied, plus a bias) as variables under Hugging Face's
    /// names, unless the checkpoint brought one. A sentence-transformers folder has none,
    /// so it starts as BERT initialises it: N(0, 0.02) weights, unit norm, zero biases.
    pub fn add_mlm_head(&mut self, seed: u64) -> Result<(), MlError> {
        let hidden = self.config.hidden_size;
        let vocab = self.config.vocab_size;
        let mut data = self
            .varmap
            .data()
            .lock()
            .map_err(|_| MlError::Training("the variable map's lock is poisoned".into()))?;
        if data.contains_key(&format!("{MLM_HEAD}.bias")) {
            return Ok(());
        }
        let mut rng = SplitMix64::new(seed ^ 0x4D4C4D);
        let weights: Vec<f32> = rng
            .gaussian(hidden * hidden)
            .into_iter()
            .map(|x| x * 0.02)
            .collect();
        let device = &self.device;
        let new = [
            (
                "transform.dense.weight",
                Tensor::from_vec(weights, (hidden, hidden), device)?,
            ),
            (
                "transform.dense.bias",
                Tensor::zeros(hidden, DType::F32, device)?,
            ),
            (
                "transform.LayerNorm.weight",
                Tensor::ones(hidden, DType::F32, device)?,
            ),
            (
                "transform.LayerNorm.bias",
                Tensor::zeros(hidden, DType::F32, device)?,
            ),
            ("bias", Tensor::zeros(vocab, DType::F32, device)?),
        ];
        for (name, t) in new {
            data.insert(format!("{MLM_HEAD}.{name}"), Var::from_tensor(&t)?);
        }
        Ok(())
    }

    /// Vocabulary logits for hidden states `rows` (n, hidden) through the MLM head.
    pub fn mlm_logits(&self, rows: &Tensor) -> Result<Tensor, MlError> {
        let data = self
            .varmap
            .data()
            .lock()
            .map_err(|_| MlError::Training("the variable map's lock is poisoned".into()))?;
        let get = |name: &str| -> Result<Tensor, MlError> {
            data.get(&format!("{MLM_HEAD}.{name}"))
                .map(|v| v.as_tensor().clone())
                .ok_or_else(|| {
                    MlError::Training("the model has no masked-language-model head".into())
                })
        };
        let dense = Linear {
            weight: get("transform.dense.weight")?,
            bias: get("transform.dense.bias")?,
        };
        let norm = Norm {
            weight: get("transform.LayerNorm.weight")?,
            bias: get("transform.LayerNorm.bias")?,
            eps: self.config.layer_norm_eps,
        };
        let bias = get("bias")?;
        drop(data);
        let h = norm.forward(&dense.forward(rows)?.gelu_erf()?)?;
        Ok(h.matmul(&self.word.t()?)?.broadcast_add(&bias)?)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// (batch, seq) ids and 0/1 mask in; (batch, seq, hidden) out. `dropout` applies
    /// after the embeddings, to attention probabilities and after each sub-layer, as BERT
    /// trains; pass None to evaluate.
    pub fn forward(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
        mut dropout: Option<&mut Dropout>,
    ) -> candle_core::Result<Tensor> {
        let (batch, seq) = input_ids.dims2()?;
        let hidden = self.config.hidden_size;
        let heads = self.config.num_attention_heads;
        let head_dim = hidden / heads;
        let flat_ids = input_ids.flatten_all()?;
        let positions = Tensor::arange(0u32, seq as u32, &self.device)?;
        let x = self
            .word
            .index_select(&flat_ids, 0)?
            .reshape((batch, seq, hidden))?
            .broadcast_add(&self.position.index_select(&positions, 0)?)?
            .broadcast_add(&self.token_type.get(0)?)?;
        let mut x = self.embedding_norm.forward(&x)?;
        let drop = |t: Tensor, d: &mut Option<&mut Dropout>| -> candle_core::Result<Tensor> {
            match d {
                Some(d) => d.apply(&t),
                None => Ok(t),
            }
        };
        x = drop(x, &mut dropout)?;
        let mask = attention_mask.to_dtype(DType::F32)?;
        let mask = ((mask - 1.0)? * 1e4)?.reshape((batch, 1, 1, seq))?;
        let mut x = x.reshape((batch * seq, hidden))?;
        for layer in &self.layers {
            let split = |t: Tensor| -> candle_core::Result<Tensor> {
                t.reshape((batch, seq, heads, head_dim))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let q = (split(layer.query.forward(&x)?)? * (1.0 / (head_dim as f64).sqrt()))?;
            let k = split(layer.key.forward(&x)?)?;
            let v = split(layer.value.forward(&x)?)?;
            let scores = q.matmul(&k.t()?.contiguous()?)?.broadcast_add(&mask)?;
            let probs = candle_nn::ops::softmax(&scores, D::Minus1)?;
            let probs = drop(probs, &mut dropout)?;
            let context = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((batch * seq, hidden))?;
            let attended = drop(layer.attention_out.forward(&context)?, &mut dropout)?;
            let attended = layer.attention_norm.forward(&attended.add(&x)?)?;
            let inner = layer.intermediate.forward(&attended)?.gelu_erf()?;
            let out = drop(layer.output.forward(&inner)?, &mut dropout)?;
            x = layer.output_norm.forward(&out.add(&attended)?)?;
        }
        x.reshape((batch, seq, hidden))
    }
}
