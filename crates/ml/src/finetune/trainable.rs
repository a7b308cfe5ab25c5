//! BERT's weights as trainable variables, for fine-tuning: the one encoder of
//! `crate::bert` built over them (its differentiable pass), plus BERT's masked-language-
//! model head. Variables keep Hugging Face tensor names, so a fine-tuned model is saved in
//! the standard layout and loads unchanged for encoding and in sentence-transformers.

pub use crate::bert::Dropout;
use crate::bert::{fused, BertModel, Config, Tape};
use crate::rng::SplitMix64;
use crate::MlError;
use candle_core::backprop::GradStore;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::VarMap;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// Where BERT keeps its masked-language-model head (Hugging Face's names).
pub const MLM_HEAD: &str = "cls.predictions";

pub struct TrainableBert {
    pub config: Config,
    varmap: VarMap,
    /// Prefix of the checkpoint's tensor names ("" or "bert.").
    prefix: String,
    /// The encoder over the variables: the same model code that encodes. On the CPU it is
    /// built over detached views of them (same storage, no autograd graph) and trains
    /// through its written-out backward pass; elsewhere candle's autograd runs it.
    model: BertModel,
    /// Hidden states handed to a loss (as leaves of its graph) and what their forward
    /// passes kept, until [`TrainableBert::backward`].
    pending: Mutex<Vec<(Var, Tape)>>,
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
        let varmap = VarMap::new();
        let variables: HashMap<String, Tensor> = {
            let mut data = varmap
                .data()
                .lock()
                .map_err(|_| MlError::Training("the variable map's lock is poisoned".into()))?;
            for (name, t) in tensors {
                let t = t.to_dtype(DType::F32)?;
                data.insert(name, Var::from_tensor(&t)?);
            }
            data.iter()
                .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
                .collect()
        };
        let prefix = crate::bert::checkpoint_prefix(|name| variables.contains_key(name)).to_string();
        let build = |vars: &HashMap<String, Tensor>| {
            BertModel::from_variables(vars, &config, device)
                .map_err(|e| MlError::Training(format!("cannot build the model to train: {e}")))
        };
        let detached: HashMap<String, Tensor> =
            variables.iter().map(|(k, v)| (k.clone(), v.detach())).collect();
        let model = match build(&detached)? {
            m if m.has_written_backward() => m,
            _ => build(&variables)?,
        };
        Ok(TrainableBert {
            model,
            pending: Mutex::new(Vec::new()),
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

    /// A copy of every variable (new storage), to put back with [`TrainableBert::restore`].
    pub fn snapshot(&self) -> Result<HashMap<String, Tensor>, MlError> {
        self.variables()
            .into_iter()
            .map(|(name, var)| Ok((name, var.as_tensor().copy()?)))
            .collect()
    }

    /// Sets every variable of `snapshot` back in place (the encoder's detached views share
    /// the variables' storage, so it sees them too); a variable it lacks is refused.
    pub fn restore(&self, snapshot: &HashMap<String, Tensor>) -> Result<(), MlError> {
        for (name, var) in self.variables() {
            let saved = snapshot.get(&name).ok_or_else(|| {
                MlError::Training(format!("the saved weights have no {name}"))
            })?;
            var.set(saved)?;
        }
        Ok(())
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
        let (dense_w, dense_b) = (get("transform.dense.weight")?, get("transform.dense.bias")?);
        let (norm_w, norm_b) = (
            get("transform.LayerNorm.weight")?,
            get("transform.LayerNorm.bias")?,
        );
        let bias = get("bias")?;
        // The tied word embeddings as the variable itself (the encoder may hold a detached
        // view), so the logits' gradient reaches them.
        let word_name = format!("{}embeddings.word_embeddings.weight", self.prefix);
        let word = data
            .get(&word_name)
            .map(|v| v.as_tensor().clone())
            .ok_or_else(|| MlError::Training(format!("the model has no {word_name}")))?;
        drop(data);
        let h = fused::bias_gelu(&rows.matmul(&dense_w.t()?)?, &dense_b)?;
        let h = fused::layer_norm(&h, &norm_w, &norm_b, self.config.layer_norm_eps)?;
        Ok(h.matmul(&word.t()?)?
            .broadcast_add(&bias)?)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// (batch, seq) ids and 0/1 mask in; (batch, seq, hidden) out. `dropout` applies
    /// after the embeddings, to attention probabilities and after each sub-layer, as BERT
    /// trains; pass None to evaluate (the result then carries no gradient on the CPU).
    pub fn forward(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
        dropout: Option<&mut Dropout>,
    ) -> candle_core::Result<Tensor> {
        if !self.model.has_written_backward() || dropout.is_none() {
            return self.model.forward_train(input_ids, attention_mask, dropout);
        }
        let (hidden, tape) = self.model.forward_recorded(input_ids, attention_mask, dropout)?;
        let leaf = Var::from_tensor(&hidden)?;
        let out = leaf.as_tensor().clone();
        self.pending
            .lock()
            .map_err(|_| candle_core::Error::Msg("the training tape's lock is poisoned".into()))?
            .push((leaf, tape));
        Ok(out)
    }

    /// The gradients of `loss` for every variable: candle's autograd down to the hidden
    /// states, then the encoder's written-out reverse pass for each forward pass since the
    /// last call (its gradients added to any the loss gave the same variable, as the MLM
    /// head's tied word embeddings get).
    pub fn backward(&self, loss: &Tensor) -> Result<GradStore, MlError> {
        let mut grads = loss.backward()?;
        let pending = std::mem::take(
            &mut *self
                .pending
                .lock()
                .map_err(|_| MlError::Training("the training tape's lock is poisoned".into()))?,
        );
        if pending.is_empty() {
            return Ok(grads);
        }
        let vars: HashMap<String, Var> = self.variables().into_iter().collect();
        for (leaf, tape) in pending {
            let Some(d_hidden) = grads.remove(leaf.as_tensor()) else {
                continue;
            };
            for (name, g) in self.model.backward(&tape, &d_hidden)? {
                let var = vars.get(&name).ok_or_else(|| {
                    MlError::Training(format!("a gradient for {name}, which is no variable"))
                })?;
                let g = match grads.remove(var.as_tensor()) {
                    Some(earlier) => (earlier + g)?,
                    None => g,
                };
                grads.insert(var.as_tensor(), g);
            }
        }
        Ok(grads)
    }
}
