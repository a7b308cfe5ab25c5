//! A dense layer in int8 as a candle op, the bias and what follows it (GELU, or the
//! residual add) fused into the product's last pass. Inference only: it has no backward
//! pass, so training always runs the f32 weights.

use crate::quant::{Epilogue, Int8Kernel, QuantisedLinear};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor};
use std::sync::Arc;

/// One dense layer quantised for `kernel`.
#[derive(Clone)]
pub(crate) struct Int8Dense {
    layer: Arc<QuantisedLinear>,
    kernel: Int8Kernel,
}

impl Int8Dense {
    /// `weight` (outputs, inputs) and `bias` in int8, inputs smoothed by `input_range`
    /// (the largest magnitude each input channel reached on calibration text).
    pub(crate) fn new(
        weight: &Tensor,
        bias: &Tensor,
        kernel: Int8Kernel,
        input_range: &[f32],
    ) -> candle_core::Result<Int8Dense> {
        let (outputs, inputs) = weight.dims2()?;
        let layer = QuantisedLinear::smoothed(
            &weight.flatten_all()?.to_vec1::<f32>()?,
            &bias.to_vec1::<f32>()?,
            outputs,
            inputs,
            input_range,
        );
        Ok(Int8Dense {
            layer: Arc::new(layer),
            kernel,
        })
    }

    fn op(&self, epilogue: Int8Epilogue) -> Int8Op {
        Int8Op {
            layer: self.layer.clone(),
            kernel: self.kernel,
            epilogue,
        }
    }

    /// `x W^T + b`; `x` is (rows, inputs).
    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.contiguous()?
            .apply_op1_no_bwd(&self.op(Int8Epilogue::Bias))
    }

    /// `gelu(x W^T + b)`, exact-form GELU.
    pub(crate) fn forward_gelu(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.contiguous()?
            .apply_op1_no_bwd(&self.op(Int8Epilogue::BiasGelu))
    }

    /// `x W^T + b + residual`.
    pub(crate) fn forward_plus(
        &self,
        x: &Tensor,
        residual: &Tensor,
    ) -> candle_core::Result<Tensor> {
        x.contiguous()?.apply_op2_no_bwd(
            &residual.contiguous()?,
            &self.op(Int8Epilogue::BiasResidual),
        )
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
    fn run(
        &self,
        x: &CpuStorage,
        layout: &Layout,
        residual: Option<&[f32]>,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let data = super::fused::slice(x, layout, "int8 dense layer")?;
        let dims = layout.shape().dims();
        if dims.last() != Some(&self.layer.inputs()) {
            candle_core::bail!(
                "int8 dense layer takes {} inputs, got shape {dims:?}",
                self.layer.inputs()
            )
        }
        let epilogue = match (self.epilogue, residual) {
            (Int8Epilogue::Bias, _) => Epilogue::Bias,
            (Int8Epilogue::BiasGelu, _) => Epilogue::BiasGelu,
            (Int8Epilogue::BiasResidual, Some(r)) => Epilogue::BiasResidual(r),
            (Int8Epilogue::BiasResidual, None) => candle_core::bail!("residual missing"),
        };
        let out = self.layer.forward(data, epilogue, self.kernel);
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
        let r = super::fused::slice(s2, l2, "int8 dense layer's residual")?;
        let rows = l1.shape().elem_count() / self.layer.inputs().max(1);
        if r.len() != rows * self.layer.outputs() {
            candle_core::bail!("residual shape {:?} does not match the output", l2.shape())
        }
        self.run(s1, l1, Some(r))
    }
}
