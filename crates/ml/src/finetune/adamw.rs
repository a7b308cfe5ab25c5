//! AdamW (Loshchilov & Hutter) with decoupled weight decay, written out so its moments
//! can be checkpointed and restored: candle-nn's optimiser keeps them private.

use crate::MlError;
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use std::collections::HashMap;
use std::path::Path;

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

    /// The global L2 norm of the gradients, scaled down to `max_norm` when larger; returns
    /// the norm before clipping.
    pub fn clip(&self, grads: &mut GradStore, max_norm: f64) -> Result<f64, MlError> {
        let mut total = 0f64;
        for (_, var) in &self.vars {
            if let Some(g) = grads.get(var.as_tensor()) {
                total += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
            }
        }
        let norm = total.sqrt();
        if norm > max_norm && norm > 0.0 {
            let scale = max_norm / norm;
            for (_, var) in &self.vars {
                if let Some(g) = grads.remove(var.as_tensor()) {
                    grads.insert(var.as_tensor(), (g * scale)?);
                }
            }
        }
        Ok(norm)
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

    /// One update with learning rate `lr`; variables without a gradient are left alone.
    pub fn update(&mut self, grads: &GradStore, lr: f64) -> Result<(), MlError> {
        self.step += 1;
        let p = self.params;
        let t = self.step as i32;
        let correct1 = 1.0 - p.beta1.powi(t);
        let correct2 = 1.0 - p.beta2.powi(t);
        for (i, (_, var)) in self.vars.iter().enumerate() {
            let Some(g) = grads.get(var.as_tensor()) else {
                continue;
            };
            let lr = lr * self.scales[i];
            match (&mut self.m[i], &mut self.v[i]) {
                (Moment::Host(m), Moment::Host(v)) => {
                    let g: Vec<f32> = g.flatten_all()?.to_vec1()?;
                    let mut w: Vec<f32> = var.as_tensor().flatten_all()?.to_vec1()?;
                    let (b1, b2) = (p.beta1 as f32, p.beta2 as f32);
                    let (c1, c2) = (correct1 as f32, correct2 as f32);
                    let (decay, step, eps) =
                        ((1.0 - lr * p.weight_decay) as f32, lr as f32, p.eps as f32);
                    for j in 0..w.len() {
                        m[j] = b1 * m[j] + (1.0 - b1) * g[j];
                        v[j] = b2 * v[j] + (1.0 - b2) * g[j] * g[j];
                        let update = (m[j] / c1) / ((v[j] / c2).sqrt() + eps);
                        w[j] = w[j] * decay - step * update;
                    }
                    var.set(&Tensor::from_vec(w, var.shape(), var.device())?)?;
                }
                (Moment::Device(m_t), Moment::Device(v_t)) => {
                    let m = ((&*m_t * p.beta1)? + (g * (1.0 - p.beta1))?)?;
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
