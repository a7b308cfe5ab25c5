//! BERT's element-wise steps as single CPU passes with their backward passes written out,
//! for training. Composed from candle's generic ops, one layer norm was nine ops forward
//! and about twenty backward, each a fresh allocation and a single-threaded loop, and bias
//! gradients were strided reductions; a SimCSE step spent most of its time there rather
//! than in the matrix products. Here each step reads and writes its tensors once, rows are
//! split over rayon (the pool the int8 kernels and candle's GEMM share) in chunks fixed by
//! the row count, and per-chunk sums are added in chunk order, so results do not depend on
//! the thread count.
//!
//! Every function takes any tensor and falls back to candle's composed ops off the CPU or
//! for other dtypes, so the same model code runs on a GPU.

use crate::kernels::erf;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, DType, Layout, Shape, Tensor, D};
use rayon::prelude::*;
use std::sync::Arc;

/// Rows per rayon task: enough work per task (tens of microseconds) to hide scheduling.
const TASK_ROWS: usize = 32;

/// The values of a contiguous f32 CPU tensor, or an error naming `op`.
pub(crate) fn slice<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> candle_core::Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((a, b))) => Ok(&v[a..b]),
        _ => candle_core::bail!("{op} needs a contiguous f32 tensor"),
    }
}

fn fast(xs: &[&Tensor]) -> bool {
    xs.iter()
        .all(|x| x.device().is_cpu() && x.dtype() == DType::F32)
}

/// The sum of per-chunk column sums, added in chunk order.
fn column_sums(partials: Vec<Vec<f32>>, width: usize) -> Vec<f32> {
    let mut total = vec![0f32; width];
    for p in partials {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// A packed gradient: `out` holds `rows` rows of per-row gradients of `width` and room for
/// `extra` rows after them, which take the per-chunk column sums `partials` added in order.
fn packed(
    mut out: Vec<f32>,
    partials: Vec<Vec<f32>>,
    rows: usize,
    width: usize,
    extra: usize,
) -> (CpuStorage, Shape) {
    let sums = column_sums(partials, extra * width);
    out[rows * width..].copy_from_slice(&sums);
    (CpuStorage::F32(out), Shape::from((rows + extra, width)))
}

/// The per-row gradients and the first summed row of a packed gradient.
fn unpack(packed: &Tensor, rows: usize) -> candle_core::Result<(Tensor, Tensor)> {
    Ok((packed.narrow(0, 0, rows)?, packed.get(rows)?))
}

/// The last dimension's size and the number of rows before it.
fn rows_of(l: &Layout) -> (usize, usize) {
    let dims = l.shape().dims();
    let width = dims.last().copied().unwrap_or(1).max(1);
    (l.shape().elem_count() / width, width)
}

// ---------------------------------------------------------------- layer norm

struct LayerNormOp {
    eps: f32,
}

fn norm_stats(x: &[f32], eps: f32) -> (f32, f32) {
    let n = x.len() as f32;
    let mean = x.iter().sum::<f32>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    (mean, 1.0 / (var + eps).sqrt())
}

impl CustomOp3 for LayerNormOp {
    fn name(&self) -> &'static str {
        "fused-layer-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = slice(s1, l1, self.name())?;
        let (gamma, beta) = (slice(s2, l2, self.name())?, slice(s3, l3, self.name())?);
        let (_, h) = rows_of(l1);
        if gamma.len() != h || beta.len() != h {
            candle_core::bail!("layer norm weights of {} for rows of {h}", gamma.len())
        }
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(TASK_ROWS * h)
            .zip(x.par_chunks(TASK_ROWS * h))
            .for_each(|(o, x)| {
                for (o, x) in o.chunks_mut(h).zip(x.chunks(h)) {
                    let (mean, rstd) = norm_stats(x, self.eps);
                    for j in 0..h {
                        o[j] = (x[j] - mean) * rstd * gamma[j] + beta[j];
                    }
                }
            });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (dx, dgamma, dbeta) = layer_norm_grad(grad, x, gamma, self.eps as f64)?;
        Ok((Some(dx), Some(dgamma), Some(dbeta)))
    }
}

/// (grad, x, gamma) -> (rows + 2, h): dx, then d gamma, then d beta.
struct LayerNormGrad {
    eps: f32,
}

impl CustomOp3 for LayerNormGrad {
    fn name(&self) -> &'static str {
        "fused-layer-norm-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = slice(s1, l1, self.name())?;
        let x = slice(s2, l2, self.name())?;
        let gamma = slice(s3, l3, self.name())?;
        let h = gamma.len().max(1);
        let rows = x.len() / h;
        if g.len() != x.len() || rows * h != x.len() {
            candle_core::bail!(
                "layer norm gradient of {} values for {} inputs",
                g.len(),
                x.len()
            )
        }
        let mut out = vec![0f32; (rows + 2) * h];
        let (dx, _) = out.split_at_mut(rows * h);
        let partials: Vec<Vec<f32>> = dx
            .par_chunks_mut(TASK_ROWS * h)
            .zip(x.par_chunks(TASK_ROWS * h).zip(g.par_chunks(TASK_ROWS * h)))
            .map(|(dx, (x, g))| {
                let mut sums = vec![0f32; 2 * h];
                let mut dxhat = vec![0f32; h];
                for (dx, (x, g)) in dx.chunks_mut(h).zip(x.chunks(h).zip(g.chunks(h))) {
                    let (mean, rstd) = norm_stats(x, self.eps);
                    let (mut a, mut b) = (0f32, 0f32);
                    for j in 0..h {
                        let xhat = (x[j] - mean) * rstd;
                        dxhat[j] = g[j] * gamma[j];
                        a += dxhat[j];
                        b += dxhat[j] * xhat;
                        sums[j] += g[j] * xhat;
                        sums[h + j] += g[j];
                    }
                    let (a, b) = (a / h as f32, b / h as f32);
                    for j in 0..h {
                        let xhat = (x[j] - mean) * rstd;
                        dx[j] = rstd * (dxhat[j] - a - xhat * b);
                    }
                }
                sums
            })
            .collect();
        Ok(packed(out, partials, rows, h, 2))
    }
}

/// The gradients of layer norm's input, scale and shift, given the gradient of its output.
pub(crate) fn layer_norm_grad(
    grad: &Tensor,
    x: &Tensor,
    gamma: &Tensor,
    eps: f64,
) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
    let h = gamma.elem_count();
    let packed = grad.contiguous()?.apply_op3_no_bwd(
        &x.contiguous()?,
        &gamma.contiguous()?,
        &LayerNormGrad { eps: eps as f32 },
    )?;
    let rows = x.elem_count() / h.max(1);
    let (dx, dgamma) = unpack(&packed, rows)?;
    Ok((
        dx.reshape(x.shape())?,
        dgamma.reshape(gamma.shape())?,
        packed.get(rows + 1)?.reshape(gamma.shape())?,
    ))
}

/// Layer norm over the last dimension with a learned scale and shift.
pub fn layer_norm(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
) -> candle_core::Result<Tensor> {
    if fast(&[x, gamma, beta]) {
        return x.contiguous()?.apply_op3(
            &gamma.contiguous()?,
            &beta.contiguous()?,
            LayerNormOp { eps: eps as f32 },
        );
    }
    if ![x, gamma, beta].iter().any(|t| t.track_op()) {
        // Nothing to differentiate: candle-nn's fused kernel (CUDA, Metal).
        return candle_nn::ops::layer_norm(x, gamma, beta, eps as f32);
    }
    let mean = x.mean_keepdim(D::Minus1)?;
    let centred = x.broadcast_sub(&mean)?;
    let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
    centred
        .broadcast_div(&(var + eps)?.sqrt()?)?
        .broadcast_mul(gamma)?
        .broadcast_add(beta)
}

// ---------------------------------------------------------------- bias + GELU

struct BiasGelu;

const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

fn gelu(z: f32) -> f32 {
    0.5 * z * (1.0 + erf(z * std::f32::consts::FRAC_1_SQRT_2))
}

fn gelu_slope(z: f32) -> f32 {
    0.5 * (1.0 + erf(z * std::f32::consts::FRAC_1_SQRT_2))
        + z * FRAC_1_SQRT_2PI * (-0.5 * z * z).exp()
}

impl CustomOp2 for BiasGelu {
    fn name(&self) -> &'static str {
        "fused-bias-gelu"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = slice(s1, l1, self.name())?;
        let bias = slice(s2, l2, self.name())?;
        let (_, h) = rows_of(l1);
        if bias.len() != h {
            candle_core::bail!("bias of {} for rows of {h}", bias.len())
        }
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(TASK_ROWS * h)
            .zip(x.par_chunks(TASK_ROWS * h))
            .for_each(|(o, x)| {
                for (o, x) in o.chunks_mut(h).zip(x.chunks(h)) {
                    for j in 0..h {
                        o[j] = gelu(x[j] + bias[j]);
                    }
                }
            });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let (dx, dbias) = bias_gelu_grad(grad, x, bias)?;
        Ok((Some(dx), Some(dbias)))
    }
}

/// (grad, x, bias) -> (rows + 1, h): dx, then d bias.
struct BiasGeluGrad;

impl CustomOp3 for BiasGeluGrad {
    fn name(&self) -> &'static str {
        "fused-bias-gelu-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = slice(s1, l1, self.name())?;
        let x = slice(s2, l2, self.name())?;
        let bias = slice(s3, l3, self.name())?;
        let h = bias.len().max(1);
        let rows = x.len() / h;
        if g.len() != x.len() {
            candle_core::bail!("GELU gradient of {} values for {} inputs", g.len(), x.len())
        }
        let mut out = vec![0f32; (rows + 1) * h];
        let (dx, _) = out.split_at_mut(rows * h);
        let partials: Vec<Vec<f32>> = dx
            .par_chunks_mut(TASK_ROWS * h)
            .zip(x.par_chunks(TASK_ROWS * h).zip(g.par_chunks(TASK_ROWS * h)))
            .map(|(dx, (x, g))| {
                let mut sums = vec![0f32; h];
                for (dx, (x, g)) in dx.chunks_mut(h).zip(x.chunks(h).zip(g.chunks(h))) {
                    for j in 0..h {
                        dx[j] = g[j] * gelu_slope(x[j] + bias[j]);
                        sums[j] += dx[j];
                    }
                }
                sums
            })
            .collect();
        Ok(packed(out, partials, rows, h, 1))
    }
}

/// The gradients of `gelu(x + bias)`'s input and bias.
pub(crate) fn bias_gelu_grad(
    grad: &Tensor,
    x: &Tensor,
    bias: &Tensor,
) -> candle_core::Result<(Tensor, Tensor)> {
    let packed = grad
        .contiguous()?
        .apply_op3_no_bwd(&x.contiguous()?, &bias.contiguous()?, &BiasGeluGrad)?;
    let (dx, dbias) = unpack(&packed, x.elem_count() / bias.elem_count().max(1))?;
    Ok((dx.reshape(x.shape())?, dbias.reshape(bias.shape())?))
}

/// `gelu(x + bias)`, exact-form GELU (the same rational erf as inference).
pub fn bias_gelu(x: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
    if fast(&[x, bias]) {
        return x.contiguous()?.apply_op2(&bias.contiguous()?, BiasGelu);
    }
    x.broadcast_add(bias)?.gelu_erf()
}

// ---------------------------------------------------------------- bias, dropout, residual

/// A dropout mask: 0 where dropped, 1 / keep where kept.
pub type DropMask = Arc<Vec<f32>>;

struct BiasDropResidual {
    mask: Option<DropMask>,
}

impl CustomOp3 for BiasDropResidual {
    fn name(&self) -> &'static str {
        "fused-bias-dropout-residual"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = slice(s1, l1, self.name())?;
        let bias = slice(s2, l2, self.name())?;
        let r = slice(s3, l3, self.name())?;
        let (_, h) = rows_of(l1);
        if bias.len() != h || r.len() != x.len() {
            candle_core::bail!("bias or residual does not match the input")
        }
        if let Some(m) = &self.mask {
            if m.len() != x.len() {
                candle_core::bail!("dropout mask of {} for {} values", m.len(), x.len())
            }
        }
        let mask = self.mask.as_deref().map(|m| m.as_slice());
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(TASK_ROWS * h)
            .enumerate()
            .for_each(|(c, o)| {
                let at = c * TASK_ROWS * h;
                for (i, o) in o.iter_mut().enumerate() {
                    let k = at + i;
                    let z = x[k] + bias[k % h];
                    *o = match mask {
                        Some(m) => z * m[k] + r[k],
                        None => z + r[k],
                    };
                }
            });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        bias: &Tensor,
        _residual: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let (dx, dbias) = bias_dropout_grad(&grad, self.mask.clone(), bias.elem_count())?;
        Ok((Some(dx.reshape(x.shape())?), Some(dbias.reshape(bias.shape())?), Some(grad)))
    }
}

/// grad -> (rows + 1, h): grad times the mask, then its column sums.
struct MaskedColumnGrad {
    mask: Option<DropMask>,
    width: usize,
}

impl CustomOp1 for MaskedColumnGrad {
    fn name(&self) -> &'static str {
        "fused-bias-grad"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = slice(s, l, self.name())?;
        let h = self.width.max(1);
        let rows = g.len() / h;
        let mask = self.mask.as_deref().map(|m| m.as_slice());
        let mut out = vec![0f32; (rows + 1) * h];
        let (dx, _) = out.split_at_mut(rows * h);
        let partials: Vec<Vec<f32>> = dx
            .par_chunks_mut(TASK_ROWS * h)
            .zip(g.par_chunks(TASK_ROWS * h))
            .enumerate()
            .map(|(c, (dx, g))| {
                let at = c * TASK_ROWS * h;
                let mut sums = vec![0f32; h];
                for (i, (d, &g)) in dx.iter_mut().zip(g).enumerate() {
                    *d = match mask {
                        Some(m) => g * m[at + i],
                        None => g,
                    };
                    sums[i % h] += *d;
                }
                sums
            })
            .collect();
        Ok(packed(out, partials, rows, h, 1))
    }
}

/// The gradients of `dropout(x + bias)`'s input (rows, width) and bias, given the
/// gradient of its output.
pub(crate) fn bias_dropout_grad(
    grad: &Tensor,
    mask: Option<DropMask>,
    width: usize,
) -> candle_core::Result<(Tensor, Tensor)> {
    let packed = grad
        .contiguous()?
        .apply_op1_no_bwd(&MaskedColumnGrad { mask, width })?;
    unpack(&packed, grad.elem_count() / width.max(1))
}

/// `dropout(x + bias) + residual`, with `mask` the dropout (None: no dropout).
pub fn bias_dropout_residual(
    x: &Tensor,
    bias: &Tensor,
    residual: &Tensor,
    mask: Option<DropMask>,
) -> candle_core::Result<Tensor> {
    if fast(&[x, bias, residual]) {
        return x.contiguous()?.apply_op3(
            &bias.contiguous()?,
            &residual.contiguous()?,
            BiasDropResidual { mask },
        );
    }
    let z = x.broadcast_add(bias)?;
    let z = match mask {
        Some(m) => z.mul(&Tensor::from_vec(m.to_vec(), z.shape(), z.device())?)?,
        None => z,
    };
    z.add(residual)
}

// ---------------------------------------------------------------- dropout

struct DropoutOp {
    mask: DropMask,
}

impl CustomOp1 for DropoutOp {
    fn name(&self) -> &'static str {
        "fused-dropout"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = slice(s, l, self.name())?;
        if self.mask.len() != x.len() {
            candle_core::bail!("dropout mask of {} for {} values", self.mask.len(), x.len())
        }
        let mut out = vec![0f32; x.len()];
        const CHUNK: usize = 1 << 14;
        out.par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK).zip(self.mask.par_chunks(CHUNK)))
            .for_each(|(o, (x, m))| {
                for ((o, x), m) in o.iter_mut().zip(x).zip(m) {
                    *o = x * m;
                }
            });
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(grad.contiguous()?.apply_op1_no_bwd(self)?))
    }
}

/// `x` times a dropout mask.
pub fn dropout(x: &Tensor, mask: DropMask) -> candle_core::Result<Tensor> {
    if fast(&[x]) {
        return x.contiguous()?.apply_op1(DropoutOp { mask });
    }
    x.mul(&Tensor::from_vec(mask.to_vec(), x.shape(), x.device())?)
}

/// `x` times `mask` when there is one (training), else `x`.
pub fn maybe_dropout(x: Tensor, mask: &Option<DropMask>) -> candle_core::Result<Tensor> {
    match mask {
        Some(m) => dropout(&x, m.clone()),
        None => Ok(x),
    }
}

// ---------------------------------------------------------------- masked softmax

/// Softmax over the last dimension of attention scores (batch, heads, queries, keys) times
/// `scale`, with keys where `key_mask` (batch, keys) is 0 given no weight.
struct MaskedSoftmax {
    scale: f32,
}

impl CustomOp2 for MaskedSoftmax {
    fn name(&self) -> &'static str {
        "fused-masked-softmax"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let scores = slice(s1, l1, self.name())?;
        let key_mask = slice(s2, l2, self.name())?;
        let (rows, keys) = rows_of(l1);
        let batch = key_mask.len() / keys.max(1);
        if batch == 0 || key_mask.len() != batch * keys || rows % batch != 0 {
            candle_core::bail!("key mask {:?} for scores {:?}", l2.shape(), l1.shape())
        }
        let rows_per_text = rows / batch;
        let mut out = vec![0f32; scores.len()];
        out.par_chunks_mut(keys)
            .zip(scores.par_chunks(keys))
            .enumerate()
            .for_each(|(row, (p, s))| {
                let text = row / rows_per_text;
                let mask = &key_mask[text * keys..(text + 1) * keys];
                let mut top = f32::NEG_INFINITY;
                for (&s, &m) in s.iter().zip(mask) {
                    if m != 0.0 {
                        top = top.max(s * self.scale);
                    }
                }
                if top == f32::NEG_INFINITY {
                    return;
                }
                let mut sum = 0f32;
                for ((p, &s), &m) in p.iter_mut().zip(s).zip(mask) {
                    if m != 0.0 {
                        *p = (s * self.scale - top).exp();
                        sum += *p;
                    }
                }
                for p in p.iter_mut() {
                    *p /= sum;
                }
            });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _scores: &Tensor,
        _key_mask: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        Ok((Some(softmax_grad(grad, res, self.scale as f64)?), None))
    }
}

/// (grad, probabilities) -> d scores: `scale * p * (g - sum(g p))` per row.
struct SoftmaxGrad {
    scale: f32,
}

impl CustomOp2 for SoftmaxGrad {
    fn name(&self) -> &'static str {
        "fused-softmax-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = slice(s1, l1, self.name())?;
        let p = slice(s2, l2, self.name())?;
        let (_, keys) = rows_of(l1);
        if g.len() != p.len() {
            candle_core::bail!("softmax gradient of {} values for {}", g.len(), p.len())
        }
        let mut out = vec![0f32; g.len()];
        out.par_chunks_mut(keys * TASK_ROWS)
            .zip(
                g.par_chunks(keys * TASK_ROWS)
                    .zip(p.par_chunks(keys * TASK_ROWS)),
            )
            .for_each(|(d, (g, p))| {
                for (d, (g, p)) in d.chunks_mut(keys).zip(g.chunks(keys).zip(p.chunks(keys))) {
                    let dot: f32 = g.iter().zip(p).map(|(g, p)| g * p).sum();
                    for ((d, &g), &p) in d.iter_mut().zip(g).zip(p) {
                        *d = self.scale * p * (g - dot);
                    }
                }
            });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// The gradient of the raw scores of `softmax(scale * scores)` whose output was `probs`.
pub(crate) fn softmax_grad(grad: &Tensor, probs: &Tensor, scale: f64) -> candle_core::Result<Tensor> {
    grad.contiguous()?.apply_op2_no_bwd(
        &probs.contiguous()?,
        &SoftmaxGrad {
            scale: scale as f32,
        },
    )
}

/// `softmax(scale * scores)` over keys, masked keys (0 in `key_mask`, (batch, keys)) given
/// no weight; scores are (batch, heads, queries, keys).
pub fn masked_softmax(
    scores: &Tensor,
    key_mask: &Tensor,
    scale: f64,
) -> candle_core::Result<Tensor> {
    let key_mask = key_mask.to_dtype(scores.dtype())?;
    if fast(&[scores, &key_mask]) {
        return scores.contiguous()?.apply_op2(
            &key_mask.contiguous()?,
            MaskedSoftmax {
                scale: scale as f32,
            },
        );
    }
    let (batch, keys) = key_mask.dims2()?;
    let bias = ((key_mask - 1.0)? * 1e4)?.reshape((batch, 1, 1, keys))?;
    candle_nn::ops::softmax(&(scores * scale)?.broadcast_add(&bias)?, D::Minus1)
}

// ---------------------------------------------------------------- attention heads

/// (batch × seq, 3 × hidden) stacked query/key/value projections plus their bias, laid out
/// as (3, batch, heads, seq, head size) so each head's matrix product reads contiguous rows.
struct SplitHeads {
    batch: usize,
    seq: usize,
    heads: usize,
}

impl SplitHeads {
    fn head_dim(&self, width: usize) -> usize {
        width / 3 / self.heads.max(1)
    }
}

impl CustomOp2 for SplitHeads {
    fn name(&self) -> &'static str {
        "fused-split-heads"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = slice(s1, l1, self.name())?;
        let bias = slice(s2, l2, self.name())?;
        let (rows, width) = rows_of(l1);
        let d = self.head_dim(width);
        if rows != self.batch * self.seq || bias.len() != width || d * 3 * self.heads != width {
            candle_core::bail!("cannot split {:?} into {} heads", l1.shape(), self.heads)
        }
        let (seq, heads) = (self.seq, self.heads);
        let mut out = vec![0f32; x.len()];
        // One task per (projection, text, head) block of seq × d values.
        out.par_chunks_mut(seq * d)
            .enumerate()
            .for_each(|(block, o)| {
                let head = block % heads;
                let text = (block / heads) % self.batch;
                let part = block / heads / self.batch;
                let col = part * heads * d + head * d;
                for s in 0..seq {
                    let src = &x[(text * seq + s) * width + col..][..d];
                    for (e, o) in o[s * d..(s + 1) * d].iter_mut().enumerate() {
                        *o = src[e] + bias[col + e];
                    }
                }
            });
        Ok((
            CpuStorage::F32(out),
            Shape::from((3, self.batch, heads, seq, d)),
        ))
    }

    fn bwd(
        &self,
        x: &Tensor,
        bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let (dx, dbias) =
            split_heads_grad(grad, self.batch, self.seq, self.heads, bias.elem_count())?;
        Ok((Some(dx.reshape(x.shape())?), Some(dbias.reshape(bias.shape())?)))
    }
}

/// (3, batch, heads, seq, d) -> (batch × seq + 1, 3 × hidden): merged rows, then column sums.
struct MergeHeadsGrad {
    batch: usize,
    seq: usize,
    heads: usize,
    width: usize,
}

impl CustomOp1 for MergeHeadsGrad {
    fn name(&self) -> &'static str {
        "fused-split-heads-grad"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = slice(s, l, self.name())?;
        let (batch, seq, heads, width) = (self.batch, self.seq, self.heads, self.width);
        let d = width / 3 / heads.max(1);
        let rows = batch * seq;
        if g.len() != rows * width {
            candle_core::bail!(
                "head gradient of {} values for {rows} rows of {width}",
                g.len()
            )
        }
        let mut out = vec![0f32; (rows + 1) * width];
        let (merged, _) = out.split_at_mut(rows * width);
        let partials: Vec<Vec<f32>> = merged
            .par_chunks_mut(TASK_ROWS * width)
            .enumerate()
            .map(|(c, m)| {
                let mut sums = vec![0f32; width];
                for (i, m) in m.chunks_mut(width).enumerate() {
                    let row = c * TASK_ROWS + i;
                    let (text, s) = (row / seq, row % seq);
                    for part in 0..3 {
                        for head in 0..heads {
                            let block = (part * batch + text) * heads + head;
                            let src = &g[(block * seq + s) * d..][..d];
                            let col = part * heads * d + head * d;
                            m[col..col + d].copy_from_slice(src);
                        }
                    }
                    for (t, v) in sums.iter_mut().zip(m.iter()) {
                        *t += v;
                    }
                }
                sums
            })
            .collect();
        Ok(packed(out, partials, rows, width, 1))
    }
}

/// The gradients of [`split_heads`]' stacked projection (batch × seq, width) and bias,
/// given the gradient of its (3, batch, heads, seq, head size) output.
pub(crate) fn split_heads_grad(
    grad: &Tensor,
    batch: usize,
    seq: usize,
    heads: usize,
    width: usize,
) -> candle_core::Result<(Tensor, Tensor)> {
    let packed = grad.contiguous()?.apply_op1_no_bwd(&MergeHeadsGrad {
        batch,
        seq,
        heads,
        width,
    })?;
    unpack(&packed, batch * seq)
}

/// Query, key and value heads from the stacked projection `qkv` (batch × seq, 3 × hidden)
/// and its bias: each (batch, heads, seq, head size), contiguous.
pub fn split_heads(
    qkv: &Tensor,
    bias: &Tensor,
    batch: usize,
    seq: usize,
    heads: usize,
) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
    let stacked = if fast(&[qkv, bias]) {
        qkv.contiguous()?
            .apply_op2(&bias.contiguous()?, SplitHeads { batch, seq, heads })?
    } else {
        let width = qkv.dim(1)?;
        qkv.broadcast_add(bias)?
            .reshape((batch, seq, 3, heads, width / 3 / heads))?
            .permute((2, 0, 3, 1, 4))?
            .contiguous()?
    };
    Ok((stacked.get(0)?, stacked.get(1)?, stacked.get(2)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn random(shape: &[usize], seed: u64) -> Tensor {
        let mut rng = crate::rng::SplitMix64::new(seed);
        let n: usize = shape.iter().product();
        Tensor::from_vec(rng.gaussian(n), shape, &Device::Cpu).unwrap()
    }

    /// The composed reference of each fused op: candle's generic ops, differentiated by
    /// candle. Returns the output and the gradients of `sum(out * weights)` for each input.
    fn grads(
        inputs: &[Tensor],
        f: impl Fn(&[Tensor]) -> Tensor,
        weights: &Tensor,
    ) -> (Vec<f32>, Vec<Vec<f32>>) {
        let vars: Vec<Var> = inputs
            .iter()
            .map(|t| Var::from_tensor(t).unwrap())
            .collect();
        let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let out = f(&ts);
        let loss = (&out * weights).unwrap().sum_all().unwrap();
        let store = loss.backward().unwrap();
        let g = ts
            .iter()
            .map(|t| {
                store
                    .get(t)
                    .map(|g| g.flatten_all().unwrap().to_vec1::<f32>().unwrap())
                    .unwrap_or_default()
            })
            .collect();
        (out.flatten_all().unwrap().to_vec1().unwrap(), g)
    }

    fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        let worst = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs() / (1.0 + y.abs()))
            .fold(0f32, f32::max);
        assert!(worst < tol, "{what}: worst relative difference {worst}");
    }

    fn composed_layer_norm(x: &Tensor, g: &Tensor, b: &Tensor) -> Tensor {
        let mean = x.mean_keepdim(D::Minus1).unwrap();
        let c = x.broadcast_sub(&mean).unwrap();
        let var = c.sqr().unwrap().mean_keepdim(D::Minus1).unwrap();
        c.broadcast_div(&(var + 1e-12).unwrap().sqrt().unwrap())
            .unwrap()
            .broadcast_mul(g)
            .unwrap()
            .broadcast_add(b)
            .unwrap()
    }

    #[test]
    fn layer_norm_matches_candle_forward_and_backward() {
        // 70 rows: more than two tasks, the last one short.
        let inputs = [random(&[70, 48], 1), random(&[48], 2), random(&[48], 3)];
        let w = random(&[70, 48], 4);
        let fused = grads(
            &inputs,
            |t| layer_norm(&t[0], &t[1], &t[2], 1e-12).unwrap(),
            &w,
        );
        let plain = grads(&inputs, |t| composed_layer_norm(&t[0], &t[1], &t[2]), &w);
        close(&fused.0, &plain.0, 1e-5, "layer norm");
        for (i, (a, b)) in fused.1.iter().zip(&plain.1).enumerate() {
            close(a, b, 1e-4, &format!("layer norm gradient {i}"));
        }
    }

    #[test]
    fn bias_gelu_matches_candle_forward_and_backward() {
        let inputs = [random(&[70, 24], 5), random(&[24], 6)];
        let w = random(&[70, 24], 7);
        let fused = grads(&inputs, |t| bias_gelu(&t[0], &t[1]).unwrap(), &w);
        let plain = grads(
            &inputs,
            |t| t[0].broadcast_add(&t[1]).unwrap().gelu_erf().unwrap(),
            &w,
        );
        close(&fused.0, &plain.0, 1e-6, "gelu");
        for (i, (a, b)) in fused.1.iter().zip(&plain.1).enumerate() {
            close(a, b, 1e-5, &format!("gelu gradient {i}"));
        }
    }

    #[test]
    fn bias_dropout_residual_matches_candle() {
        let inputs = [
            random(&[70, 16], 8),
            random(&[16], 9),
            random(&[70, 16], 10),
        ];
        let w = random(&[70, 16], 11);
        let mut rng = crate::rng::SplitMix64::new(12);
        let mask: Vec<f32> = (0..70 * 16)
            .map(|_| if rng.next_f64() < 0.9 { 1.0 / 0.9 } else { 0.0 })
            .collect();
        let m = Tensor::from_vec(mask.clone(), (70, 16), &Device::Cpu).unwrap();
        for with_mask in [false, true] {
            let arc = with_mask.then(|| Arc::new(mask.clone()));
            let fused = grads(
                &inputs,
                |t| bias_dropout_residual(&t[0], &t[1], &t[2], arc.clone()).unwrap(),
                &w,
            );
            let plain = grads(
                &inputs,
                |t| {
                    let z = t[0].broadcast_add(&t[1]).unwrap();
                    let z = if with_mask { z.mul(&m).unwrap() } else { z };
                    z.add(&t[2]).unwrap()
                },
                &w,
            );
            close(&fused.0, &plain.0, 1e-6, "bias residual");
            for (i, (a, b)) in fused.1.iter().zip(&plain.1).enumerate() {
                close(a, b, 1e-5, &format!("bias residual gradient {i}"));
            }
        }
    }

    #[test]
    fn masked_softmax_and_dropout_match_candle() {
        let (batch, heads, seq) = (3, 2, 7);
        let scores = random(&[batch, heads, seq, seq], 13);
        // Texts of 7, 4 and 1 tokens.
        let lengths = [7usize, 4, 1];
        let key_mask: Vec<f32> = lengths
            .iter()
            .flat_map(|&n| (0..seq).map(move |j| if j < n { 1.0 } else { 0.0 }))
            .collect();
        let key_mask = Tensor::from_vec(key_mask, (batch, seq), &Device::Cpu).unwrap();
        let w = random(&[batch, heads, seq, seq], 14);
        let drop: Vec<f32> = (0..batch * heads * seq * seq)
            .map(|i| if i % 5 == 0 { 0.0 } else { 1.25 })
            .collect();
        let drop_t =
            Tensor::from_vec(drop.clone(), (batch, heads, seq, seq), &Device::Cpu).unwrap();
        let drop = Arc::new(drop);
        let fused = grads(
            &[scores.clone()],
            |t| {
                dropout(
                    &masked_softmax(&t[0], &key_mask, 0.3).unwrap(),
                    drop.clone(),
                )
                .unwrap()
            },
            &w,
        );
        let plain = grads(
            &[scores],
            |t| {
                let bias = ((&key_mask - 1.0).unwrap() * 1e4)
                    .unwrap()
                    .reshape((batch, 1, 1, seq))
                    .unwrap();
                let p = candle_nn::ops::softmax(
                    &(&t[0] * 0.3).unwrap().broadcast_add(&bias).unwrap(),
                    D::Minus1,
                )
                .unwrap();
                p.mul(&drop_t).unwrap()
            },
            &w,
        );
        close(&fused.0, &plain.0, 1e-6, "softmax");
        close(&fused.1[0], &plain.1[0], 1e-5, "softmax gradient");
    }

    #[test]
    fn split_heads_matches_reshapes() {
        let (batch, seq, heads, d) = (2, 5, 3, 4);
        let width = 3 * heads * d;
        let inputs = [random(&[batch * seq, width], 15), random(&[width], 16)];
        let w = random(&[3, batch, heads, seq, d], 17);
        let stack = |t: &[Tensor], fused: bool| {
            let (q, k, v) = if fused {
                split_heads(&t[0], &t[1], batch, seq, heads).unwrap()
            } else {
                let s = t[0]
                    .broadcast_add(&t[1])
                    .unwrap()
                    .reshape((batch, seq, 3, heads, d))
                    .unwrap()
                    .permute((2, 0, 3, 1, 4))
                    .unwrap()
                    .contiguous()
                    .unwrap();
                (s.get(0).unwrap(), s.get(1).unwrap(), s.get(2).unwrap())
            };
            Tensor::stack(&[q, k, v], 0).unwrap()
        };
        let fused = grads(&inputs, |t| stack(t, true), &w);
        let plain = grads(&inputs, |t| stack(t, false), &w);
        close(&fused.0, &plain.0, 1e-7, "split heads");
        for (i, (a, b)) in fused.1.iter().zip(&plain.1).enumerate() {
            close(a, b, 1e-6, &format!("split heads gradient {i}"));
        }
    }

    #[test]
    fn results_do_not_depend_on_threads() {
        let x = random(&[200, 32], 18);
        let g = random(&[32], 19);
        let b = random(&[32], 20);
        let run = || {
            let vx = Var::from_tensor(&x).unwrap();
            let out = layer_norm(vx.as_tensor(), &g, &b, 1e-12).unwrap();
            let out = bias_gelu(&out, &b).unwrap();
            let store = out.sum_all().unwrap().backward().unwrap();
            store
                .get(vx.as_tensor())
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(run);
        let three = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap()
            .install(run);
        assert_eq!(one, three);
    }
}
