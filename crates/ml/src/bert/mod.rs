//! One BERT encoder for inference and fine-tuning, in the shape of candle's examples (one
//! struct per part, loaded by name, with `forward`). The parts (`layer`) load the same
//! weight names whether memory-mapped for encoding or as trainable variables; encoding
//! takes the fast CPU kernels as options of the same pass (the stacked attention
//! projection, int8 or bf16 dense layers, variable-length attention), and training takes the pass
//! with dropout, every step differentiable (`fused`).

mod backward;
mod config;
mod dropout;
pub(crate) mod fused;
mod reduced_dense;
mod layer;

pub use backward::{NamedGrads, Tape};
pub use config::Config;
pub use dropout::Dropout;
pub use layer::InputRanges;

use crate::quant::Reduction;
use candle_core::{DType, Device, Tensor, D};
use candle_nn::VarBuilder;
use layer::{Activation, Embeddings, Layer, Pass, Source};
use std::collections::HashMap;


/// A BERT encoder: token ids in, one hidden state per token out.
pub struct BertModel {
    config: Config,
    activation: Activation,
    embeddings: Embeddings,
    layers: Vec<Layer>,
    device: Device,
}

impl BertModel {
    /// Loads the weights under `vb` for inference, accepting both bare (`embeddings.…`) and
    /// prefixed (`bert.embeddings.…`) checkpoints. The dense layers compute in f32 until
    /// [`BertModel::quantise`].
    pub fn load(vb: VarBuilder, config: &Config) -> candle_core::Result<BertModel> {
        let device = vb.device().clone();
        Self::from_source(&Source::Checkpoint(vb), config, device)
    }

    /// The model over trainable variables (by checkpoint name): its forward pass is
    /// differentiable with respect to each of them.
    pub fn from_variables(
        variables: &HashMap<String, Tensor>,
        config: &Config,
        device: &Device,
    ) -> candle_core::Result<BertModel> {
        Self::from_source(&Source::Variables(variables), config, device.clone())
    }

    fn from_source(s: &Source, config: &Config, device: Device) -> candle_core::Result<BertModel> {
        let activation = Activation::parse(&config.hidden_act).ok_or_else(|| {
            candle_core::Error::Msg(format!("unsupported hidden_act {:?}", config.hidden_act))
        })?;
        if config.num_attention_heads == 0 || config.hidden_size % config.num_attention_heads != 0 {
            candle_core::bail!(
                "hidden size {} does not split into {} heads",
                config.hidden_size,
                config.num_attention_heads
            )
        }
        let prefix = checkpoint_prefix(|name| s.contains(name));
        let embeddings = Embeddings::load(s, prefix, config)?;
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(s, &format!("{prefix}encoder.layer.{i}"), config))
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(BertModel {
            config: config.clone(),
            activation,
            embeddings,
            layers,
            device,
        })
    }

    pub fn hidden_size(&self) -> usize {
        self.config.hidden_size
    }

    pub fn max_positions(&self) -> usize {
        self.config.max_position_embeddings
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    fn run(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
        fast_attention: bool,
        mut dropout: Option<&mut Dropout>,
        mut observe: Option<&mut Vec<InputRanges>>,
        record: bool,
    ) -> candle_core::Result<(Tensor, Option<Tape>)> {
        let (batch, seq) = input_ids.dims2()?;
        let embedded = self.embeddings.sum(input_ids)?;
        let x = self.embeddings.norm.forward(&embedded)?;
        let embedding_mask = dropout.as_mut().and_then(|d| d.mask(x.elem_count()));
        let mut x = fused::maybe_dropout(x, &embedding_mask)?;
        let lengths = if fast_attention && self.device.is_cpu() {
            prefix_lengths(attention_mask)?
        } else {
            None
        };
        let heads = self.config.num_attention_heads;
        let mut pass = Pass {
            batch,
            seq,
            heads,
            activation: self.activation,
            key_mask: attention_mask.to_dtype(DType::F32)?,
            lengths,
            dropout,
            tape: record.then(Vec::new),
        };
        for (i, layer) in self.layers.iter().enumerate() {
            let observe = observe.as_deref_mut().and_then(|o| o.get_mut(i));
            x = layer.forward(&x, &mut pass, observe)?;
        }
        let tape = pass.tape.map(|layers| Tape {
            ids: input_ids.clone(),
            batch,
            seq,
            heads,
            embedded,
            embedding_mask,
            layers,
        });
        Ok((x.reshape((batch, seq, self.config.hidden_size))?, tape))
    }

    /// `input_ids` and `attention_mask` are (batch, seq) u32; returns (batch, seq, hidden).
    pub fn forward(&self, input_ids: &Tensor, attention_mask: &Tensor) -> candle_core::Result<Tensor> {
        Ok(self.run(input_ids, attention_mask, true, None, None, false)?.0)
    }

    /// The same pass, differentiable: `dropout` applies after the embeddings, to attention
    /// probabilities and after each sub-layer, as BERT trains (None to evaluate).
    pub fn forward_train(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
        dropout: Option<&mut Dropout>,
    ) -> candle_core::Result<Tensor> {
        if self.layers.iter().any(Layer::is_reduced) {
            candle_core::bail!("a model with int8 or bf16 dense layers cannot be trained");
        }
        Ok(self.run(input_ids, attention_mask, false, dropout, None, false)?.0)
    }

    /// Whether [`BertModel::forward_recorded`] and [`BertModel::backward`] run for this
    /// model: f32 on the CPU, exact GELU, over trainable variables.
    pub fn has_written_backward(&self) -> bool {
        self.device.is_cpu()
            && self.activation == Activation::GeluErf
            && self
                .layers
                .iter()
                .all(|l| !l.is_reduced() && matches!(l.qkv, layer::Projections::Separate(_)))
    }

    /// The training pass, keeping what [`BertModel::backward`] needs (no autograd graph:
    /// build the model over detached variables).
    pub fn forward_recorded(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
        dropout: Option<&mut Dropout>,
    ) -> candle_core::Result<(Tensor, Tape)> {
        if !self.has_written_backward() {
            candle_core::bail!("this model trains through autograd, not the written-out backward pass");
        }
        let (hidden, tape) = self.run(input_ids, attention_mask, false, dropout, None, true)?;
        let tape = tape.ok_or_else(|| candle_core::Error::Msg("no tape was kept".into()))?;
        Ok((hidden, tape))
    }

    /// Every weight's gradient, by checkpoint name, given `d_hidden` (batch, seq, hidden),
    /// the gradient of the hidden states [`BertModel::forward_recorded`] returned.
    pub fn backward(&self, tape: &Tape, d_hidden: &Tensor) -> candle_core::Result<NamedGrads> {
        if tape.layers.len() != self.layers.len() {
            candle_core::bail!("the tape covers {} of {} layers", tape.layers.len(), self.layers.len());
        }
        let mut out = NamedGrads::new();
        let mut d = d_hidden
            .reshape((tape.batch * tape.seq, self.config.hidden_size))?
            .contiguous()?;
        for (l, t) in self.layers.iter().zip(&tape.layers).rev() {
            d = backward::layer(l, t, &d, tape, &mut out)?;
        }
        backward::embeddings(&self.embeddings, &d, tape, &mut out)?;
        Ok(out)
    }

    /// Widens `ranges` (one per layer, grown on first use) to the magnitudes every dense
    /// layer's inputs reach on this batch: calibration for [`BertModel::quantise`].
    pub fn observe(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
        ranges: &mut Vec<InputRanges>,
    ) -> candle_core::Result<()> {
        ranges.resize(self.layers.len(), InputRanges::default());
        self.run(input_ids, attention_mask, true, None, Some(ranges), false)?;
        Ok(())
    }

    /// Moves every dense layer to `reduction`'s arithmetic: int8 on a kernel, each layer
    /// smoothed by its calibrated input ranges (from [`BertModel::observe`]), or bf16,
    /// which needs no calibration (`ranges` may be empty). CPU only.
    pub fn quantise(
        &mut self,
        reduction: Reduction,
        ranges: &[InputRanges],
    ) -> candle_core::Result<()> {
        if !self.device.is_cpu() {
            candle_core::bail!("int8 and bf16 dense layers run on the CPU only");
        }
        let uncalibrated = vec![InputRanges::default(); self.layers.len()];
        let ranges = match reduction {
            Reduction::Bf16 if ranges.is_empty() => &uncalibrated[..],
            _ => ranges,
        };
        if ranges.len() != self.layers.len() {
            candle_core::bail!(
                "calibration covers {} of {} layers",
                ranges.len(),
                self.layers.len()
            );
        }
        for (layer, r) in self.layers.iter_mut().zip(ranges) {
            layer.quantise(reduction, r)?;
        }
        Ok(())
    }
}

/// "" for a bare checkpoint, "bert." for one saved from a model with heads; `has` says
/// whether the checkpoint holds a tensor name.
pub fn checkpoint_prefix(has: impl Fn(&str) -> bool) -> &'static str {
    if has("embeddings.word_embeddings.weight") {
        ""
    } else {
        "bert."
    }
}

/// Each row's number of real tokens, when every row of the 0/1 mask is ones then zeros
/// (padding at the end, as the encoder pads): what the CPU attention kernel takes.
/// None for any other mask, which the generic attention handles.
fn prefix_lengths(attention_mask: &Tensor) -> candle_core::Result<Option<Vec<usize>>> {
    let rows = attention_mask.to_dtype(DType::U32)?.to_vec2::<u32>()?;
    let mut lengths = Vec::with_capacity(rows.len());
    for row in &rows {
        let length = row.iter().take_while(|&&m| m == 1).count();
        if row[length..].iter().any(|&m| m != 0) {
            return Ok(None);
        }
        lengths.push(length);
    }
    Ok(Some(lengths))
}

/// The mean of the hidden states over real (unpadded) tokens: (batch, hidden).
pub fn mean_pool(hidden: &Tensor, attention_mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = attention_mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (b, s, 1)
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
    summed.broadcast_div(&counts)
}

/// The element-wise maximum over real tokens: (batch, hidden).
pub fn max_pool(hidden: &Tensor, attention_mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = attention_mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    let penalty = ((mask - 1.0)? * 1e9)?;
    hidden.broadcast_add(&penalty)?.max(1)
}

/// Each row scaled to unit L2 norm.
pub fn l2_normalise(x: &Tensor) -> candle_core::Result<Tensor> {
    let norms = x
        .sqr()?
        .sum_keepdim(D::Minus1)?
        .sqrt()?
        .clamp(1e-12, f64::MAX)?;
    x.broadcast_div(&norms)
}
