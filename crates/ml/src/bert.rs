//! A BERT encoder on candle-nn, in the shape of candle's own examples (one struct per layer,
//! `load(vb, config)` and `forward`), written for inference speed on the CPU: the three
//! attention projections are one matmul, weights are stored pre-transposed, and layer norm
//! and softmax use candle-nn's fused kernels.

use crate::quant::{Epilogue, Int8Kernel, QuantisedLinear};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, DType, Device, Layout, Module, Shape, Tensor, D};
use candle_nn::VarBuilder;
use std::sync::Arc;
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

/// `x W^T + b`, in f32 with `W^T` stored contiguous (so the matmul reads it row by row),
/// or in int8 with the bias and what follows fused into the product's last pass.
#[derive(Clone)]
enum Dense {
    F32 { weight_t: Tensor, bias: Tensor },
    Int8 { layer: Arc<QuantisedLinear>, kernel: Int8Kernel },
}

impl Dense {
    fn load(vb: VarBuilder, inputs: usize, outputs: usize) -> candle_core::Result<Dense> {
        Self::load_stacked(&[vb], inputs, outputs)
    }

    /// Several projections of the same input fused into one (query, key and value).
    fn load_stacked(
        vbs: &[VarBuilder],
        inputs: usize,
        outputs: usize,
    ) -> candle_core::Result<Dense> {
        let mut weights = Vec::with_capacity(vbs.len());
        let mut biases = Vec::with_capacity(vbs.len());
        for vb in vbs {
            weights.push(vb.get((outputs, inputs), "weight")?);
            biases.push(vb.get(outputs, "bias")?);
        }
        Ok(Dense::F32 {
            weight_t: Tensor::cat(&weights, 0)?.t()?.contiguous()?,
            bias: Tensor::cat(&biases, 0)?,
        })
    }

    /// This layer in int8 with `kernel`, its inputs smoothed by `input_range` (the largest
    /// magnitude each input channel reached on calibration text).
    fn quantised(&self, kernel: Int8Kernel, input_range: &[f32]) -> candle_core::Result<Dense> {
        let Dense::F32 { weight_t, bias } = self else {
            return Ok(self.clone());
        };
        let (inputs, outputs) = weight_t.dims2()?;
        let weight = weight_t.t()?.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let layer = QuantisedLinear::smoothed(
            &weight,
            &bias.to_vec1::<f32>()?,
            outputs,
            inputs,
            input_range,
        );
        Ok(Dense::Int8 {
            layer: Arc::new(layer),
            kernel,
        })
    }

    /// `x` is (rows, inputs); returns (rows, outputs).
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Dense::F32 { weight_t, bias } => x.matmul(weight_t)?.broadcast_add(bias),
            Dense::Int8 { layer, kernel } => Int8Op::apply(layer, *kernel, Int8Epilogue::Bias, x),
        }
    }

    /// `activation(x W^T + b)`, fused where the int8 path has the activation.
    fn forward_activated(&self, x: &Tensor, activation: Activation) -> candle_core::Result<Tensor> {
        match (self, activation) {
            (Dense::Int8 { layer, kernel }, Activation::GeluErf) => {
                Int8Op::apply(layer, *kernel, Int8Epilogue::BiasGelu, x)
            }
            _ => activation.forward(&self.forward(x)?),
        }
    }

    /// `x W^T + b + residual`, fused on the int8 path.
    fn forward_plus(&self, x: &Tensor, residual: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Dense::F32 { .. } => self.forward(x)?.add(residual),
            Dense::Int8 { layer, kernel } => {
                let op = Int8Op {
                    layer: layer.clone(),
                    kernel: *kernel,
                    epilogue: Int8Epilogue::BiasResidual,
                };
                x.contiguous()?.apply_op2_no_bwd(&residual.contiguous()?, &op)
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Int8Epilogue {
    Bias,
    BiasGelu,
    BiasResidual,
}

/// An int8 dense layer as a candle op (inference only: no backward pass).
struct Int8Op {
    layer: Arc<QuantisedLinear>,
    kernel: Int8Kernel,
    epilogue: Int8Epilogue,
}

impl Int8Op {
    fn apply(
        layer: &Arc<QuantisedLinear>,
        kernel: Int8Kernel,
        epilogue: Int8Epilogue,
        x: &Tensor,
    ) -> candle_core::Result<Tensor> {
        let op = Int8Op {
            layer: layer.clone(),
            kernel,
            epilogue,
        };
        x.contiguous()?.apply_op1_no_bwd(&op)
    }

    fn run(
        &self,
        x: &CpuStorage,
        layout: &Layout,
        residual: Option<&[f32]>,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(data), Some((start, end))) = (x, layout.contiguous_offsets()) else {
            candle_core::bail!("int8 dense layer needs a contiguous f32 input")
        };
        let dims = layout.shape().dims();
        if dims.last() != Some(&self.layer.inputs()) {
            candle_core::bail!("int8 dense layer takes {} inputs, got shape {dims:?}", self.layer.inputs())
        }
        let epilogue = match (self.epilogue, residual) {
            (Int8Epilogue::Bias, _) => Epilogue::Bias,
            (Int8Epilogue::BiasGelu, _) => Epilogue::BiasGelu,
            (Int8Epilogue::BiasResidual, Some(r)) => Epilogue::BiasResidual(r),
            (Int8Epilogue::BiasResidual, None) => candle_core::bail!("residual missing"),
        };
        let out = self.layer.forward(&data[start..end], epilogue, self.kernel);
        let mut shape = dims.to_vec();
        if let Some(last) = shape.last_mut() {
            *last = self.layer.outputs();
        }
        Ok((CpuStorage::F32(out), Shape::from(shape)))
    }
}

impl CustomOp1 for Int8Op {
    fn name(&self) -> &'static str {
        "int8-dense"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        self.run(s, l, None)
    }
}

impl CustomOp2 for Int8Op {
    fn name(&self) -> &'static str {
        "int8-dense-residual"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(r), Some((start, end))) = (s2, l2.contiguous_offsets()) else {
            candle_core::bail!("int8 dense layer needs a contiguous f32 residual")
        };
        let rows = l1.shape().elem_count() / self.layer.inputs().max(1);
        if end - start != rows * self.layer.outputs() {
            candle_core::bail!("residual shape {:?} does not match the output", l2.shape())
        }
        self.run(s1, l1, Some(&r[start..end]))
    }
}

#[derive(Debug, Clone)]
struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl LayerNorm {
    fn load(vb: VarBuilder, size: usize, eps: f64) -> candle_core::Result<LayerNorm> {
        // Older checkpoints name the parameters gamma/beta.
        let weight = vb.get(size, "weight").or_else(|_| vb.get(size, "gamma"))?;
        let bias = vb.get(size, "bias").or_else(|_| vb.get(size, "beta"))?;
        Ok(LayerNorm {
            weight,
            bias,
            eps: eps as f32,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::layer_norm(x, &self.weight, &self.bias, self.eps)
    }
}

#[derive(Debug, Clone, Copy)]
enum Activation {
    GeluErf,
    GeluTanh,
    Relu,
}

impl Activation {
    fn parse(name: &str) -> Option<Activation> {
        match name {
            "gelu" => Some(Activation::GeluErf),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Some(Activation::GeluTanh),
            "relu" => Some(Activation::Relu),
            _ => None,
        }
    }

    fn forward(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Activation::GeluErf => crate::kernels::gelu_erf(x),
            Activation::GeluTanh => x.gelu(),
            Activation::Relu => x.relu(),
        }
    }
}

struct Embeddings {
    word: candle_nn::Embedding,
    position: candle_nn::Embedding,
    token_type: candle_nn::Embedding,
    norm: LayerNorm,
}

impl Embeddings {
    fn load(vb: VarBuilder, c: &Config) -> candle_core::Result<Embeddings> {
        Ok(Embeddings {
            word: candle_nn::embedding(c.vocab_size, c.hidden_size, vb.pp("word_embeddings"))?,
            position: candle_nn::embedding(
                c.max_position_embeddings,
                c.hidden_size,
                vb.pp("position_embeddings"),
            )?,
            token_type: candle_nn::embedding(
                c.type_vocab_size,
                c.hidden_size,
                vb.pp("token_type_embeddings"),
            )?,
            norm: LayerNorm::load(vb.pp("LayerNorm"), c.hidden_size, c.layer_norm_eps)?,
        })
    }

    fn forward(&self, input_ids: &Tensor, token_type_ids: &Tensor) -> candle_core::Result<Tensor> {
        let (_, seq_len) = input_ids.dims2()?;
        let positions = Tensor::arange(0u32, seq_len as u32, input_ids.device())?;
        let x = self
            .word
            .forward(input_ids)?
            .add(&self.token_type.forward(token_type_ids)?)?
            .broadcast_add(&self.position.forward(&positions)?)?;
        self.norm.forward(&x)
    }
}

struct Layer {
    qkv: Dense,
    attention_out: Dense,
    attention_norm: LayerNorm,
    intermediate: Dense,
    output: Dense,
    output_norm: LayerNorm,
    heads: usize,
    head_dim: usize,
    activation: Activation,
}

impl Layer {
    fn load(vb: VarBuilder, c: &Config, activation: Activation) -> candle_core::Result<Layer> {
        let h = c.hidden_size;
        let attention = vb.pp("attention");
        let own = attention.pp("self");
        Ok(Layer {
            qkv: Dense::load_stacked(
                &[own.pp("query"), own.pp("key"), own.pp("value")],
                h,
                h,
            )?,
            attention_out: Dense::load(attention.pp("output").pp("dense"), h, h)?,
            attention_norm: LayerNorm::load(
                attention.pp("output").pp("LayerNorm"),
                h,
                c.layer_norm_eps,
            )?,
            intermediate: Dense::load(
                vb.pp("intermediate").pp("dense"),
                h,
                c.intermediate_size,
            )?,
            output: Dense::load(vb.pp("output").pp("dense"), c.intermediate_size, h)?,
            output_norm: LayerNorm::load(vb.pp("output").pp("LayerNorm"), h, c.layer_norm_eps)?,
            heads: c.num_attention_heads,
            head_dim: h / c.num_attention_heads,
            activation,
        })
    }

    /// `x` is (batch * seq, hidden); `mask` is the additive attention mask (batch, 1, 1, seq).
    /// `observe`, when given, takes in the magnitudes each dense layer's inputs reach.
    fn forward(
        &self,
        x: &Tensor,
        batch: usize,
        seq: usize,
        mask: &Tensor,
        lengths: Option<&[usize]>,
        mut observe: Option<&mut InputRanges>,
    ) -> candle_core::Result<Tensor> {
        let hidden = self.heads * self.head_dim;
        if let Some(o) = observe.as_deref_mut() {
            widen(&mut o.qkv, x)?;
        }
        let qkv = self.qkv.forward(x)?; // (b*s, 3h)
        let context = match lengths {
            Some(lengths) => crate::attention::attend(&qkv, lengths, self.heads, self.head_dim)?,
            None => {
                let qkv = qkv
                    .reshape((batch, seq, 3, self.heads, self.head_dim))?
                    .permute((2, 0, 3, 1, 4))?; // (3, b, heads, s, d)
                let q = (qkv.get(0)? * (1.0 / (self.head_dim as f64).sqrt()))?.contiguous()?;
                let k = qkv.get(1)?.contiguous()?;
                let v = qkv.get(2)?.contiguous()?;
                let scores = q.matmul(&k.t()?)?.broadcast_add(mask)?; // (b, heads, s, s)
                let probs = candle_nn::ops::softmax_last_dim(&scores)?;
                let context = probs.matmul(&v)?; // (b, heads, s, d)
                context.transpose(1, 2)?.reshape((batch * seq, hidden))?
            }
        };
        if let Some(o) = observe.as_deref_mut() {
            widen(&mut o.attention_out, &context)?;
        }
        let attended = self
            .attention_norm
            .forward(&self.attention_out.forward_plus(&context, x)?)?;
        if let Some(o) = observe.as_deref_mut() {
            widen(&mut o.intermediate, &attended)?;
        }
        let inner = self
            .intermediate
            .forward_activated(&attended, self.activation)?;
        if let Some(o) = observe.as_deref_mut() {
            widen(&mut o.output, &inner)?;
        }
        self.output_norm
            .forward(&self.output.forward_plus(&inner, &attended)?)
    }
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

/// A BERT encoder: token ids in, one hidden state per token out.
pub struct BertModel {
    embeddings: Embeddings,
    layers: Vec<Layer>,
    hidden_size: usize,
    max_positions: usize,
    device: Device,
}

impl BertModel {
    /// Loads the weights under `vb`, accepting both bare (`embeddings.…`) and prefixed
    /// (`bert.embeddings.…`) checkpoints. The dense layers compute in f32 until
    /// [`BertModel::quantise`].
    pub fn load(vb: VarBuilder, config: &Config) -> candle_core::Result<BertModel> {
        let activation = Activation::parse(&config.hidden_act).ok_or_else(|| {
            candle_core::Error::Msg(format!("unsupported hidden_act {:?}", config.hidden_act))
        })?;
        let vb = if vb.contains_tensor("embeddings.word_embeddings.weight") {
            vb
        } else {
            vb.pp("bert")
        };
        let embeddings = Embeddings::load(vb.pp("embeddings"), config)?;
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), config, activation))
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(BertModel {
            embeddings,
            layers,
            hidden_size: config.hidden_size,
            max_positions: config.max_position_embeddings,
            device: vb.device().clone(),
        })
    }

    pub fn hidden_size(&self) -> usize {
        self.hidden_size
    }

    pub fn max_positions(&self) -> usize {
        self.max_positions
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    fn run(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
        mut observe: Option<&mut Vec<InputRanges>>,
    ) -> candle_core::Result<Tensor> {
        let (batch, seq) = input_ids.dims2()?;
        let token_type_ids = input_ids.zeros_like()?;
        let x = self.embeddings.forward(input_ids, &token_type_ids)?;
        // 0 where a token may be attended to, a large negative number at padding.
        let mask = attention_mask.to_dtype(DType::F32)?;
        let mask = ((mask - 1.0)? * f32::MAX as f64)?.reshape((batch, 1, 1, seq))?;
        let lengths = if self.device.is_cpu() {
            prefix_lengths(attention_mask)?
        } else {
            None
        };
        let mut x = x.reshape((batch * seq, self.hidden_size))?;
        for (i, layer) in self.layers.iter().enumerate() {
            let observe = observe.as_deref_mut().and_then(|o| o.get_mut(i));
            x = layer.forward(&x, batch, seq, &mask, lengths.as_deref(), observe)?;
        }
        x.reshape((batch, seq, self.hidden_size))
    }

    /// `input_ids` and `attention_mask` are (batch, seq) u32; returns (batch, seq, hidden).
    pub fn forward(&self, input_ids: &Tensor, attention_mask: &Tensor) -> candle_core::Result<Tensor> {
        self.run(input_ids, attention_mask, None)
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
        self.run(input_ids, attention_mask, Some(ranges))?;
        Ok(())
    }

    /// Moves every dense layer to int8 on `kernel`, smoothing each by its calibrated input
    /// ranges (from [`BertModel::observe`]). CPU only.
    pub fn quantise(&mut self, kernel: Int8Kernel, ranges: &[InputRanges]) -> candle_core::Result<()> {
        if !self.device.is_cpu() {
            candle_core::bail!("int8 dense layers run on the CPU only");
        }
        if ranges.len() != self.layers.len() {
            candle_core::bail!("calibration covers {} of {} layers", ranges.len(), self.layers.len());
        }
        for (layer, r) in self.layers.iter_mut().zip(ranges) {
            layer.qkv = layer.qkv.quantised(kernel, &r.qkv)?;
            layer.attention_out = layer.attention_out.quantised(kernel, &r.attention_out)?;
            layer.intermediate = layer.intermediate.quantised(kernel, &r.intermediate)?;
            layer.output = layer.output.quantised(kernel, &r.output)?;
        }
        Ok(())
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
