//! AdamW (Loshchilov & Hutter) with decoupled weight decay, written out so its moments
//! can be checkpointed and restored: candle-nn's optimiser keeps them private.

use crate::MlError;
use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, InplaceOp2, Layout};
use candle_core::{Tensor, Var};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWParams {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamWParams {
    fn default() -> Self {
        AdamWParams {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        }
    }
}

pub struct AdamW {
    vars: Vec<(String, Var)>,
    /// First and second moments. On the CPU they are plain vectors updated in place in one
    /// fused pass: as tensors, every step allocated about ten temporaries the size of each
    /// weight (47 MB for MiniLM's word embeddings), and the page faults of those fresh
    /// allocations were a fifth of SimCSE's time.
    m: Vec<Moment>,
    v: Vec<Moment>,
    /// Per variable: its learning rate as a multiple of the one `update` is given.
    scales: Vec<f64>,
    pub step: u64,
    params: AdamWParams,
}

enum Moment {
    Host(Vec<f32>),
    Device(Tensor),
}

impl Moment {
    fn zeros_like(var: &Var) -> candle_core::Result<Moment> {
        Ok(if var.device().is_cpu() {
            Moment::Host(vec![0.0; var.elem_count()])
        } else {
            Moment::Device(var.as_tensor().zeros_like()?)
        })
    }

    fn to_tensor(&self, like: &Var) -> candle_core::Result<Tensor> {
        match self {
            Moment::Host(v) => Tensor::from_vec(v.clone(), like.shape(), like.device()),
            Moment::Device(t) => Ok(t.clone()),
        }
    }

    fn from_tensor(t: &Tensor, like: &Var) -> candle_core::Result<Moment> {
        let t = t.to_device(like.device())?.reshape(like.shape())?;
        Ok(if like.device().is_cpu() {
            Moment::Host(t.flatten_all()?.to_vec1()?)
        } else {
            Moment::Device(t)
        })
    }
}

impl AdamW {
    pub fn new(vars: Vec<(String, Var)>, params: AdamWParams) -> Result<AdamW, MlError> {
        let m = vars
            .iter()
            .map(|(_, v)| Moment::zeros_like(v))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let v = vars
            .iter()
            .map(|(_, v)| Moment::zeros_like(v))
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(AdamW {
            scales: vec![1.0; vars.len()],
            vars,
            m,
            v,
            step: 0,
            params,
        })
    }

    /// One update with learning rate `lr` after scaling the gradients down to a global L2
    /// norm of `max_norm` when larger; returns the norm before clipping. Variables without
    /// a gradient are left alone.
    pub fn step(&mut self, grads: &GradStore, lr: f64, max_norm: f64) -> Result<f64, MlError> {
        let grads = self.gradients(grads)?;
        let mut total = 0f64;
        for g in grads.iter().flatten() {
            total += sum_squares(g)?;
        }
        let norm = total.sqrt();
        let scale = if norm > max_norm && norm > 0.0 {
            max_norm / norm
        } else {
            1.0
        };
        self.apply(&grads, lr, scale)?;
        Ok(norm)
    }

    /// Each variable's gradient, contiguous (a weight's gradient often arrives as a
    /// transposed view), or None.
    fn gradients(&self, grads: &GradStore) -> Result<Vec<Option<Tensor>>, MlError> {
        Ok(self
            .vars
            .iter()
            .map(|(_, var)| {
                grads
                    .get(var.as_tensor())
                    .map(Tensor::contiguous)
                    .transpose()
            })
            .collect::<candle_core::Result<Vec<_>>>()?)
    }

    /// Variables whose name starts with `prefix` learn at `factor` times the rate (a
    /// parameter group: a freshly initialised head learns faster than the pretrained body).
    pub fn scale_learning_rate(&mut self, prefix: &str, factor: f64) {
        for (i, (name, _)) in self.vars.iter().enumerate() {
            if name.starts_with(prefix) {
                self.scales[i] = factor;
            }
        }
    }

    /// One update with learning rate `lr`, without clipping; variables without a gradient
    /// are left alone.
    pub fn update(&mut self, grads: &GradStore, lr: f64) -> Result<(), MlError> {
        let grads = self.gradients(grads)?;
        self.apply(&grads, lr, 1.0)
    }

    /// The update with every gradient multiplied by `scale` (the clipping factor).
    fn apply(&mut self, grads: &[Option<Tensor>], lr: f64, scale: f64) -> Result<(), MlError> {
        self.step += 1;
        let p = self.params;
        let t = self.step as i32;
        let correct1 = 1.0 - p.beta1.powi(t);
        let correct2 = 1.0 - p.beta2.powi(t);
        for (i, (_, var)) in self.vars.iter().enumerate() {
            let Some(g) = &grads[i] else {
                continue;
            };
            let lr = lr * self.scales[i];
            match (&mut self.m[i], &mut self.v[i]) {
                (Moment::Host(m), Moment::Host(v)) => {
                    let op = HostStep {
                        moments: Mutex::new((m.as_mut_slice(), v.as_mut_slice())),
                        c: Coefficients {
                            beta1: p.beta1 as f32,
                            beta2: p.beta2 as f32,
                            correct1: correct1 as f32,
                            correct2: correct2 as f32,
                            decay: (1.0 - lr * p.weight_decay) as f32,
                            lr: lr as f32,
                            eps: p.eps as f32,
                            scale: scale as f32,
                        },
                    };
                    var.as_tensor().inplace_op2(g, &op)?;
                }
                (Moment::Device(m_t), Moment::Device(v_t)) => {
                    let g = (g * scale)?;
                    let m = ((&*m_t * p.beta1)? + (&g * (1.0 - p.beta1))?)?;
                    let v = ((&*v_t * p.beta2)? + (g.sqr()? * (1.0 - p.beta2))?)?;
                    let m_hat = (&m / correct1)?;
                    let v_hat = (&v / correct2)?;
                    let w = var.as_tensor();
                    let decayed = (w * (1.0 - lr * p.weight_decay))?;
                    let next = (decayed - (m_hat / (v_hat.sqrt()? + p.eps)?)?.affine(lr, 0.0)?)?;
                    var.set(&next)?;
                    *m_t = m;
                    *v_t = v;
                }
                _ => {
                    return Err(MlError::Training(
                        "optimiser moments live on another device than their weights".into(),
                    ))
                }
            }
        }
        Ok(())
    }

    /// Moments and step count, for a checkpoint.
    pub fn save(&self, path: &Path) -> Result<(), MlError> {
        let mut tensors: HashMap<String, Tensor> = HashMap::new();
        for (i, (name, var)) in self.vars.iter().enumerate() {
            tensors.insert(format!("m.{name}"), self.m[i].to_tensor(var)?);
            tensors.insert(format!("v.{name}"), self.v[i].to_tensor(var)?);
        }
        tensors.insert(
            "step".into(),
            Tensor::new(&[self.step as f32], &candle_core::Device::Cpu)?,
        );
        candle_core::safetensors::save(&tensors, path)?;
        Ok(())
    }

    pub fn load(&mut self, path: &Path) -> Result<(), MlError> {
        let device = self
            .vars
            .first()
            .map(|(_, v)| v.device().clone())
            .unwrap_or(candle_core::Device::Cpu);
        let tensors = candle_core::safetensors::load(path, &device)?;
        let missing = |name: &str| MlError::InvalidFile {
            path: path.to_path_buf(),
            reason: format!("no tensor {name:?}"),
        };
        for (i, (name, var)) in self.vars.iter().enumerate() {
            let m = tensors
                .get(&format!("m.{name}"))
                .ok_or_else(|| missing(name))?;
            let v = tensors
                .get(&format!("v.{name}"))
                .ok_or_else(|| missing(name))?;
            self.m[i] = Moment::from_tensor(m, var)?;
            self.v[i] = Moment::from_tensor(v, var)?;
        }
        let step = tensors.get("step").ok_or_else(|| missing("step"))?;
        self.step = step.to_vec1::<f32>()?[0] as u64;
        Ok(())
    }
}

/// Values per rayon task in the optimiser's passes.
const CHUNK: usize = 1 << 14;

/// The sum of squares of a gradient, in f64 (chunk sums added in chunk order).
fn sum_squares(g: &Tensor) -> candle_core::Result<f64> {
    if g.device().is_cpu() && g.dtype() == candle_core::DType::F32 {
        let v = g.flatten_all()?;
        let (storage, layout) = v.storage_and_layout();
        if let (candle_core::Storage::Cpu(CpuStorage::F32(data)), Some((a, b))) =
            (&*storage, layout.contiguous_offsets())
        {
            let parts: Vec<f64> = data[a..b]
                .par_chunks(CHUNK)
                .map(|c| c.iter().map(|&x| (x as f64) * (x as f64)).sum())
                .collect();
            return Ok(parts.iter().sum());
        }
    }
    g.to_dtype(candle_core::DType::F64)?
        .sqr()?
        .sum_all()?
        .to_scalar::<f64>()
}

/// AdamW on a CPU weight in place, its moments updated in the same pass: no copy of the
/// weight, the gradient or the moments (for MiniLM's word embeddings each is 47 MB).
struct HostStep<'a> {
    moments: Mutex<(&'a mut [f32], &'a mut [f32])>,
    c: Coefficients,
}

#[derive(Clone, Copy)]
struct Coefficients {
    beta1: f32,
    beta2: f32,
    correct1: f32,
    correct2: f32,
    decay: f32,
    lr: f32,
    eps: f32,
    scale: f32,
}

impl InplaceOp2 for HostStep<'_> {
    fn name(&self) -> &'static str {
        "adamw-step"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<()> {
        let (CpuStorage::F32(w), Some((w0, w1))) = (s1, l1.contiguous_offsets()) else {
            candle_core::bail!("AdamW updates contiguous f32 weights")
        };
        let (CpuStorage::F32(g), Some((g0, g1))) = (s2, l2.contiguous_offsets()) else {
            candle_core::bail!("AdamW takes contiguous f32 gradients")
        };
        let (w, g) = (&mut w[w0..w1], &g[g0..g1]);
        let mut moments = self
            .moments
            .lock()
            .map_err(|_| candle_core::Error::Msg("optimiser moments poisoned".into()))?;
        let (m, v) = &mut *moments;
        if g.len() != w.len() || m.len() != w.len() || v.len() != w.len() {
            candle_core::bail!("gradient of {} values for a weight of {}", g.len(), w.len())
        }
        let s = self.c;
        w.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(m.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK)))
            .for_each(|((w, g), (m, v))| {
                for j in 0..w.len() {
                    let g = g[j] * s.scale;
                    m[j] = s.beta1 * m[j] + (1.0 - s.beta1) * g;
                    v[j] = s.beta2 * v[j] + (1.0 - s.beta2) * g * g;
                    let update = (m[j] / s.correct1) / ((v[j] / s.correct2).sqrt() + s.eps);
                    w[j] = w[j] * s.decay - s.lr * update;
                }
            });
        Ok(())
    }
}
