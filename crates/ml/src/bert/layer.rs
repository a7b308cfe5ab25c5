//! BERT's parts, one struct each, loaded through one path whichever way the model runs:
//! memory-mapped for inference or as trainable variables for fine-tuning. A part holds
//! its weights under the checkpoint's names and shapes; the fast inference kernels (the
//! stacked attention projection, int8 or bf16 dense layers, variable-length attention) are options
//! of the same forward pass, and training takes the same pass with dropout and the fused
//! element-wise ops that have backward passes.

use super::dropout::Dropout;
use super::fused::{self, DropMask};
use super::reduced_dense::ReducedDense;
use crate::quant::Reduction;
use candle_core::{DType, Tensor};
use candle_nn::VarBuilder;
use std::collections::HashMap;

/// Where a model's weights come from.
pub(crate) enum Source<'a> {
    /// A checkpoint (memory-mapped safetensors), for inference.
    Checkpoint(VarBuilder<'a>),
    /// Trainable variables by checkpoint name, for fine-tuning: each part keeps the very
    /// tensors the optimiser updates.
    Variables(&'a HashMap<String, Tensor>),
}

impl Source<'_> {
    pub(crate) fn contains(&self, name: &str) -> bool {
        match self {
            Source::Checkpoint(vb) => vb.contains_tensor(name),
            Source::Variables(map) => map.contains_key(name),
        }
    }

    pub(crate) fn trainable(&self) -> bool {
        matches!(self, Source::Variables(_))
    }

    pub(crate) fn get(&self, name: &str, shape: &[usize]) -> candle_core::Result<Tensor> {
        match self {
            Source::Checkpoint(vb) => vb.get(shape, name),
            Source::Variables(map) => {
                let t = map.get(name).ok_or_else(|| {
                    candle_core::Error::Msg(format!("the checkpoint has no {name}"))
                })?;
                if t.dims() != shape {
                    candle_core::bail!(
                        "{name} has shape {:?}, the config expects {shape:?}",
                        t.dims()
                    )
                }
                Ok(t.clone())
            }
        }
    }
}

/// A dense layer's weight (outputs, inputs) and bias, as the checkpoint holds them.
#[derive(Clone)]
pub(crate) struct Linear {
    pub weight: Tensor,
    pub bias: Tensor,
    /// The checkpoint name the weight and bias sit under ("…attention.self.query").
    pub name: String,
}

impl Linear {
    fn load(s: &Source, name: &str, inputs: usize, outputs: usize) -> candle_core::Result<Linear> {
        Ok(Linear {
            weight: s.get(&format!("{name}.weight"), &[outputs, inputs])?,
            bias: s.get(&format!("{name}.bias"), &[outputs])?,
            name: name.to_string(),
        })
    }

    /// `x W^T` without the bias, which the pass that follows adds.
    pub(crate) fn product(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.matmul(&self.weight.t()?)
    }

    fn reduced(&self, reduction: Reduction, input_range: &[f32]) -> candle_core::Result<ReducedDense> {
        ReducedDense::new(&self.weight, &self.bias, reduction, input_range)
    }
}

/// Several projections of one input as one product (query, key and value).
fn stack(parts: &[&Linear]) -> candle_core::Result<Linear> {
    let weights: Vec<&Tensor> = parts.iter().map(|l| &l.weight).collect();
    let biases: Vec<&Tensor> = parts.iter().map(|l| &l.bias).collect();
    Ok(Linear {
        weight: Tensor::cat(&weights, 0)?,
        bias: Tensor::cat(&biases, 0)?,
        name: String::new(),
    })
}

#[derive(Clone)]
pub(crate) struct Norm {
    pub weight: Tensor,
    pub bias: Tensor,
    pub eps: f64,
    /// The checkpoint names of the scale and the shift.
    pub names: [String; 2],
}

impl Norm {
    fn load(s: &Source, name: &str, size: usize, eps: f64) -> candle_core::Result<Norm> {
        // Older checkpoints name the parameters gamma and beta.
        let get = |a: &str, b: &str| {
            let (a, b) = (format!("{name}.{a}"), format!("{name}.{b}"));
            match s.get(&a, &[size]) {
                Ok(t) => Ok((t, a)),
                Err(_) => s.get(&b, &[size]).map(|t| (t, b)),
            }
        };
        let ((weight, w), (bias, b)) = (get("weight", "gamma")?, get("bias", "beta")?);
        Ok(Norm {
            weight,
            bias,
            eps,
            names: [w, b],
        })
    }

    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        fused::layer_norm(x, &self.weight, &self.bias, self.eps)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activation {
    GeluErf,
    GeluTanh,
    Relu,
}

impl Activation {
    pub(crate) fn parse(name: &str) -> Option<Activation> {
        match name {
            "gelu" => Some(Activation::GeluErf),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Some(Activation::GeluTanh),
            "relu" => Some(Activation::Relu),
            _ => None,
        }
    }

    /// `activation(x + bias)`.
    fn forward(self, x: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Activation::GeluErf => fused::bias_gelu(x, bias),
            Activation::GeluTanh => x.broadcast_add(bias)?.gelu(),
            Activation::Relu => x.broadcast_add(bias)?.relu(),
        }
    }
}

pub(crate) struct Embeddings {
    pub word: Tensor,
    pub position: Tensor,
    pub token_type: Tensor,
    pub norm: Norm,
    /// "embeddings" or "bert.embeddings": where the three tables are named.
    pub name: String,
}

impl Embeddings {
    pub(crate) fn load(
        s: &Source,
        prefix: &str,
        c: &super::config::Config,
    ) -> candle_core::Result<Embeddings> {
        let h = c.hidden_size;
        let e = format!("{prefix}embeddings");
        Ok(Embeddings {
            word: s.get(&format!("{e}.word_embeddings.weight"), &[c.vocab_size, h])?,
            position: s.get(
                &format!("{e}.position_embeddings.weight"),
                &[c.max_position_embeddings, h],
            )?,
            token_type: s.get(
                &format!("{e}.token_type_embeddings.weight"),
                &[c.type_vocab_size, h],
            )?,
            norm: Norm::load(s, &format!("{e}.LayerNorm"), h, c.layer_norm_eps)?,
            name: e,
        })
    }

    /// (batch, seq) ids to (batch × seq, hidden): word, position and type embeddings
    /// added (what the embedding layer norm takes); every token is of type 0, as sentence
    /// encoders feed one segment.
    pub(crate) fn sum(&self, ids: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, seq) = ids.dims2()?;
        let hidden = self.word.dim(1)?;
        let positions = Tensor::arange(0u32, seq as u32, ids.device())?;
        let x = self
            .word
            .index_select(&ids.flatten_all()?, 0)?
            .reshape((batch, seq, hidden))?
            .broadcast_add(&self.position.index_select(&positions, 0)?)?
            .broadcast_add(&self.token_type.get(0)?)?;
        x.reshape((batch * seq, hidden))
    }
}

/// Query, key and value projections.
pub(crate) enum Projections {
    /// Stacked once at load: inference.
    Stacked(Linear),
    /// Kept apart, as the optimiser updates each under its own name, and stacked on each
    /// pass (a small copy beside the product; the gradient splits back by name).
    Separate([Linear; 3]),
}

impl Projections {
    pub(crate) fn stacked(&self) -> candle_core::Result<Linear> {
        match self {
            Projections::Stacked(l) => Ok(l.clone()),
            Projections::Separate([q, k, v]) => stack(&[q, k, v]),
        }
    }
}

/// The layer's dense products in reduced precision, once lowered.
struct ReducedLayer {
    qkv: ReducedDense,
    attention_out: ReducedDense,
    intermediate: ReducedDense,
    output: ReducedDense,
}

/// Per input channel of each dense layer of one BERT layer: the largest magnitude seen.
#[derive(Debug, Clone, Default)]
pub struct InputRanges {
    qkv: Vec<f32>,
    attention_out: Vec<f32>,
    intermediate: Vec<f32>,
    output: Vec<f32>,
}

/// Widens `range` to cover every row of `x` (rows, channels).
fn widen(range: &mut Vec<f32>, x: &Tensor) -> candle_core::Result<()> {
    let channels = x.dim(candle_core::D::Minus1)?;
    let most = x.abs()?.reshape(((), channels))?.max(0)?.to_vec1::<f32>()?;
    if range.is_empty() {
        *range = most;
    } else {
        range.iter_mut().zip(most).for_each(|(r, m)| *r = r.max(m));
    }
    Ok(())
}

/// What one pass over the layers shares.
pub(crate) struct Pass<'a> {
    pub batch: usize,
    pub seq: usize,
    pub heads: usize,
    pub activation: Activation,
    /// (batch, seq), 1 for a real token and 0 for padding.
    pub key_mask: Tensor,
    /// Each text's token count, when the CPU's variable-length attention runs (inference
    /// with padding only at the ends); None for the generic, differentiable attention.
    pub lengths: Option<Vec<usize>>,
    pub dropout: Option<&'a mut Dropout>,
    /// When set, each layer leaves what its backward pass needs here (training on the
    /// CPU, where the encoder's reverse pass is written out: `super::backward`).
    pub tape: Option<Vec<LayerTape>>,
}

impl Pass<'_> {
    pub(crate) fn mask(&mut self, n: usize) -> Option<DropMask> {
        self.dropout.as_mut().and_then(|d| d.mask(n))
    }
}

pub(crate) struct Layer {
    pub qkv: Projections,
    pub attention_out: Linear,
    pub attention_norm: Norm,
    pub intermediate: Linear,
    pub output: Linear,
    pub output_norm: Norm,
    reduced: Option<ReducedLayer>,
}

impl Layer {
    pub(crate) fn load(s: &Source, name: &str, c: &super::config::Config) -> candle_core::Result<Layer> {
        let (h, inner) = (c.hidden_size, c.intermediate_size);
        let own = |p: &str| Linear::load(s, &format!("{name}.attention.self.{p}"), h, h);
        let (q, k, v) = (own("query")?, own("key")?, own("value")?);
        Ok(Layer {
            qkv: if s.trainable() {
                Projections::Separate([q, k, v])
            } else {
                Projections::Stacked(stack(&[&q, &k, &v])?)
            },
            attention_out: Linear::load(s, &format!("{name}.attention.output.dense"), h, h)?,
            attention_norm: Norm::load(
                s,
                &format!("{name}.attention.output.LayerNorm"),
                h,
                c.layer_norm_eps,
            )?,
            intermediate: Linear::load(s, &format!("{name}.intermediate.dense"), h, inner)?,
            output: Linear::load(s, &format!("{name}.output.dense"), inner, h)?,
            output_norm: Norm::load(s, &format!("{name}.output.LayerNorm"), h, c.layer_norm_eps)?,
            reduced: None,
        })
    }

    pub(crate) fn is_reduced(&self) -> bool {
        self.reduced.is_some()
    }

    /// Moves the dense products to `reduction`'s arithmetic; int8 layers are smoothed by
    /// their calibrated input ranges.
    pub(crate) fn quantise(
        &mut self,
        reduction: Reduction,
        r: &InputRanges,
    ) -> candle_core::Result<()> {
        self.reduced = Some(ReducedLayer {
            qkv: self.qkv.stacked()?.reduced(reduction, &r.qkv)?,
            attention_out: self.attention_out.reduced(reduction, &r.attention_out)?,
            intermediate: self.intermediate.reduced(reduction, &r.intermediate)?,
            output: self.output.reduced(reduction, &r.output)?,
        });
        Ok(())
    }

    /// `x` is (batch × seq, hidden). `observe`, when given, takes in the magnitudes each
    /// dense layer's inputs reach.
    pub(crate) fn forward(
        &self,
        x: &Tensor,
        pass: &mut Pass,
        mut observe: Option<&mut InputRanges>,
    ) -> candle_core::Result<Tensor> {
        let hidden = x.dim(1)?;
        let (batch, seq, heads) = (pass.batch, pass.seq, pass.heads);
        let head_dim = hidden / heads;
        if let Some(o) = observe.as_deref_mut() {
            widen(&mut o.qkv, x)?;
        }
        let reduced = self.reduced.as_ref();
        let mut tape = LayerTape::default();
        // The projections with their bias, or without it and the bias apart.
        let (qkv, bias) = match reduced {
            Some(q) => (q.qkv.forward(x)?, None),
            None => {
                let l = self.qkv.stacked()?;
                tape.qkv_weight = Some(l.weight.clone());
                (l.product(x)?, Some(l.bias))
            }
        };
        let context = match &pass.lengths {
            Some(lengths) => {
                let qkv = match &bias {
                    Some(b) => qkv.broadcast_add(b)?,
                    None => qkv,
                };
                crate::attention::attend(&qkv, lengths, heads, head_dim)?
            }
            None => {
                let bias = match bias {
                    Some(b) => b,
                    None => Tensor::zeros(3 * hidden, DType::F32, x.device())?,
                };
                let (q, k, v) = fused::split_heads(&qkv, &bias, batch, seq, heads)?;
                let scale = 1.0 / (head_dim as f64).sqrt();
                let probs = fused::masked_softmax(&q.matmul(&k.t()?)?, &pass.key_mask, scale)?;
                tape.attention_mask = pass.mask(probs.elem_count());
                let dropped = fused::maybe_dropout(probs.clone(), &tape.attention_mask)?;
                let context = dropped
                    .matmul(&v)?
                    .transpose(1, 2)?
                    .contiguous()?
                    .reshape((batch * seq, hidden))?;
                tape.heads = Some((q, k, v, probs, dropped));
                context
            }
        };
        if let Some(o) = observe.as_deref_mut() {
            widen(&mut o.attention_out, &context)?;
        }
        let attended_sum = match reduced {
            Some(q) => q.attention_out.forward_plus(&context, x)?,
            None => {
                tape.attended_mask = pass.mask(x.elem_count());
                let product = self.attention_out.product(&context)?;
                let bias = &self.attention_out.bias;
                fused::bias_dropout_residual(&product, bias, x, tape.attended_mask.clone())?
            }
        };
        let attended = self.attention_norm.forward(&attended_sum)?;
        if let Some(o) = observe.as_deref_mut() {
            widen(&mut o.intermediate, &attended)?;
        }
        let inner = match (reduced, pass.activation) {
            (Some(q), Activation::GeluErf) => q.intermediate.forward_gelu(&attended)?,
            (Some(q), a) => {
                let zero = Tensor::zeros(self.intermediate.bias.dims(), DType::F32, x.device())?;
                a.forward(&q.intermediate.forward(&attended)?, &zero)?
            }
            (None, a) => {
                let product = self.intermediate.product(&attended)?;
                let inner = a.forward(&product, &self.intermediate.bias)?;
                tape.inner_product = Some(product);
                inner
            }
        };
        if let Some(o) = observe.as_deref_mut() {
            widen(&mut o.output, &inner)?;
        }
        let out_sum = match reduced {
            Some(q) => q.output.forward_plus(&inner, &attended)?,
            None => {
                tape.output_mask = pass.mask(attended.elem_count());
                let product = self.output.product(&inner)?;
                let bias = &self.output.bias;
                fused::bias_dropout_residual(&product, bias, &attended, tape.output_mask.clone())?
            }
        };
        let out = self.output_norm.forward(&out_sum)?;
        if let Some(layers) = pass.tape.as_mut() {
            tape.input = Some(x.clone());
            tape.context = Some(context);
            tape.attended_sum = Some(attended_sum);
            tape.attended = Some(attended);
            tape.inner = Some(inner);
            tape.out_sum = Some(out_sum);
            layers.push(tape);
        }
        Ok(out)
    }
}

/// What one layer's written-out backward pass needs from its forward pass.
#[derive(Default)]
pub(crate) struct LayerTape {
    pub input: Option<Tensor>,
    /// The stacked query/key/value weight the pass multiplied by.
    pub qkv_weight: Option<Tensor>,
    /// Queries, keys and values (with bias), the attention probabilities and the same
    /// after dropout.
    pub heads: Option<(Tensor, Tensor, Tensor, Tensor, Tensor)>,
    pub attention_mask: Option<DropMask>,
    pub context: Option<Tensor>,
    pub attended_mask: Option<DropMask>,
    /// The attention block's output before and after its layer norm.
    pub attended_sum: Option<Tensor>,
    pub attended: Option<Tensor>,
    /// The intermediate product before bias and activation, and after.
    pub inner_product: Option<Tensor>,
    pub inner: Option<Tensor>,
    pub output_mask: Option<DropMask>,
    pub out_sum: Option<Tensor>,
}
