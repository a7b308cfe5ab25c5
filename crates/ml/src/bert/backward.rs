//! The encoder's reverse pass written out, for training on the CPU. Candle's autograd
//! gives every node of the graph a zero tensor and adds its gradient into it, and splits
//! and transposes cost a copy each way; on a SimCSE step that made the backward pass 2.7
//! times the forward pass for 2 times the arithmetic. Here each weight's gradient is made
//! once, by one product or one fused pass, from what the forward pass kept (`Tape`), and
//! returned by checkpoint name. The loss on top of the encoder stays in candle's autograd:
//! it runs back to the hidden states, and this pass takes it from there.

use super::fused::{self, DropMask};
use super::layer::{Embeddings, Layer, LayerTape, Projections};
use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};

/// What the forward pass kept for the backward pass.
pub struct Tape {
    pub(crate) ids: Tensor,
    pub(crate) batch: usize,
    pub(crate) seq: usize,
    pub(crate) heads: usize,
    /// The summed embeddings (the embedding layer norm's input) and their dropout.
    pub(crate) embedded: Tensor,
    pub(crate) embedding_mask: Option<DropMask>,
    pub(crate) layers: Vec<LayerTape>,
}

fn kept(t: &Option<Tensor>) -> candle_core::Result<&Tensor> {
    t.as_ref()
        .ok_or_else(|| candle_core::Error::Msg("the forward pass kept no record for backward".into()))
}

/// Gradients by checkpoint name.
pub type NamedGrads = Vec<(String, Tensor)>;

fn push_linear(out: &mut NamedGrads, name: &str, dw: Tensor, db: Tensor) {
    out.push((format!("{name}.weight"), dw));
    out.push((format!("{name}.bias"), db));
}

/// One layer backwards: `d` is the gradient of its output; returns that of its input.
pub(crate) fn layer(
    l: &Layer,
    t: &LayerTape,
    d: &Tensor,
    tape: &Tape,
    out: &mut NamedGrads,
) -> candle_core::Result<Tensor> {
    let (batch, seq, heads) = (tape.batch, tape.seq, tape.heads);
    let hidden = d.dim(1)?;
    let head_dim = hidden / heads;
    // Output block: norm(dropout(inner W2^T + b2) + attended).
    let (d_sum, dg, db) = fused::layer_norm_grad(d, kept(&t.out_sum)?, &l.output_norm.weight, l.output_norm.eps)?;
    out.push((l.output_norm.names[0].clone(), dg));
    out.push((l.output_norm.names[1].clone(), db));
    let (dz, dbias) = fused::bias_dropout_grad(&d_sum, t.output_mask.clone(), hidden)?;
    push_linear(out, &l.output.name, dz.t()?.matmul(kept(&t.inner)?)?, dbias);
    let d_inner = dz.matmul(&l.output.weight)?;
    // Intermediate: gelu(attended W1^T + b1).
    let (dz, dbias) = fused::bias_gelu_grad(&d_inner, kept(&t.inner_product)?, &l.intermediate.bias)?;
    push_linear(out, &l.intermediate.name, dz.t()?.matmul(kept(&t.attended)?)?, dbias);
    let d_attended = (dz.matmul(&l.intermediate.weight)? + d_sum)?;
    // Attention block: norm(dropout(context Wo^T + bo) + x).
    let (d_sum, dg, db) = fused::layer_norm_grad(
        &d_attended,
        kept(&t.attended_sum)?,
        &l.attention_norm.weight,
        l.attention_norm.eps,
    )?;
    out.push((l.attention_norm.names[0].clone(), dg));
    out.push((l.attention_norm.names[1].clone(), db));
    let (dz, dbias) = fused::bias_dropout_grad(&d_sum, t.attended_mask.clone(), hidden)?;
    push_linear(out, &l.attention_out.name, dz.t()?.matmul(kept(&t.context)?)?, dbias);
    let d_context = dz
        .matmul(&l.attention_out.weight)?
        .reshape((batch, seq, heads, head_dim))?
        .transpose(1, 2)?
        .contiguous()?;
    // Attention: context = dropout(softmax(scale q k^T)) v, per head.
    let (q, k, v, probs, dropped) = t
        .heads
        .as_ref()
        .ok_or_else(|| candle_core::Error::Msg("the forward pass kept no attention".into()))?;
    let d_dropped = d_context.matmul(&v.t()?)?;
    let dv = dropped.t()?.matmul(&d_context)?;
    let d_probs = fused::maybe_dropout(d_dropped, &t.attention_mask)?;
    let d_scores = fused::softmax_grad(&d_probs, probs, 1.0 / (head_dim as f64).sqrt())?;
    let dq = d_scores.matmul(k)?;
    let dk = d_scores.t()?.matmul(q)?;
    let stacked = Tensor::stack(&[dq, dk, dv], 0)?;
    let (d_qkv, d_bias) = fused::split_heads_grad(&stacked, batch, seq, heads, 3 * hidden)?;
    let d_weight = d_qkv.t()?.matmul(kept(&t.input)?)?;
    match &l.qkv {
        Projections::Separate(parts) => {
            for (i, p) in parts.iter().enumerate() {
                push_linear(
                    out,
                    &p.name,
                    d_weight.narrow(0, i * hidden, hidden)?,
                    d_bias.narrow(0, i * hidden, hidden)?,
                );
            }
        }
        Projections::Stacked(_) => candle_core::bail!("a model loaded for inference has no trainable projections"),
    }
    let d_input = (d_qkv.matmul(kept(&t.qkv_weight)?)? + d_sum)?;
    Ok(d_input)
}

/// The embeddings backwards from `d`, the gradient of the first layer's input.
pub(crate) fn embeddings(
    e: &Embeddings,
    d: &Tensor,
    tape: &Tape,
    out: &mut NamedGrads,
) -> candle_core::Result<()> {
    let d = fused::maybe_dropout(d.clone(), &tape.embedding_mask)?;
    let (d_sum, dg, db) = fused::layer_norm_grad(&d, &tape.embedded, &e.norm.weight, e.norm.eps)?;
    out.push((e.norm.names[0].clone(), dg));
    out.push((e.norm.names[1].clone(), db));
    let hidden = d_sum.dim(1)?;
    // Words: each row's gradient added into its token's row (a token may repeat).
    let (vocab, _) = e.word.dims2()?;
    let d_word = d_sum.apply_op1_no_bwd(&ScatterRows {
        ids: tape.ids.flatten_all()?.to_vec1::<u32>()?,
        rows: vocab,
    })?;
    out.push((format!("{}.word_embeddings.weight", e.name), d_word));
    // Positions 0..seq, summed over the batch; the rest of the table untouched.
    let (positions, _) = e.position.dims2()?;
    let d_pos = d_sum.reshape((tape.batch, tape.seq, hidden))?.sum(0)?;
    let d_pos = d_pos.pad_with_zeros(0, 0, positions - tape.seq)?;
    out.push((format!("{}.position_embeddings.weight", e.name), d_pos));
    // Every token is of type 0.
    let (types, _) = e.token_type.dims2()?;
    let d_type = d_sum.sum_keepdim(0)?.pad_with_zeros(0, 0, types - 1)?;
    out.push((format!("{}.token_type_embeddings.weight", e.name), d_type));
    Ok(())
}

/// (n, hidden) row gradients -> (rows, hidden), row i the sum of those whose id is i.
struct ScatterRows {
    ids: Vec<u32>,
    rows: usize,
}

impl CustomOp1 for ScatterRows {
    fn name(&self) -> &'static str {
        "scatter-rows"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(g), Some((a, b))) = (s, l.contiguous_offsets()) else {
            candle_core::bail!("scatter-rows needs contiguous f32 rows")
        };
        let g = &g[a..b];
        let hidden = l.shape().dims().last().copied().unwrap_or(1).max(1);
        if g.len() != self.ids.len() * hidden {
            candle_core::bail!("{} ids for {} rows", self.ids.len(), g.len() / hidden)
        }
        let mut out = vec![0f32; self.rows * hidden];
        for (row, &id) in g.chunks(hidden).zip(&self.ids) {
            let id = id as usize;
            if id >= self.rows {
                candle_core::bail!("token id {id} outside a vocabulary of {}", self.rows)
            }
            for (o, v) in out[id * hidden..(id + 1) * hidden].iter_mut().zip(row) {
                *o += v;
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((self.rows, hidden))))
    }
}
