//! A dense layer in reduced precision (int8 or bf16) as a candle op, the bias and what
//! follows it (GELU, or the residual add) fused into the product's last pass. Inference
//! only: it has no backward pass, so training always runs the f32 weights.

use crate::quant::{Bf16Linear, Epilogue, Int8Kernel, QuantisedLinear, Reduction};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor};
use std::sync::Arc;

/// One dense layer's weights in reduced precision.
#[derive(Clone)]
enum Lowered {
    /// Quantised for the kernel.
    Int8(Arc<QuantisedLinear>, Int8Kernel),
    Bf16(Arc<Bf16Linear>),
}

impl Lowered {
    fn inputs(&self) -> usize {
        match self {
            Lowered::Int8(l, _) => l.inputs(),
            Lowered::Bf16(l) => l.inputs(),
        }
    }

    fn outputs(&self) -> usize {
        match self {
            Lowered::Int8(l, _) => l.outputs(),
            Lowered::Bf16(l) => l.outputs(),
        }
    }

    fn forward(&self, x: &[f32], epilogue: Epilogue) -> Vec<f32> {
        match self {
            Lowered::Int8(l, kernel) => l.forward(x, epilogue, *kernel),
            Lowered::Bf16(l) => l.forward(x, epilogue),
        }
    }
}

/// One dense layer in reduced precision.
#[derive(Clone)]
pub(crate) struct ReducedDense {
    layer: Lowered,
}

impl ReducedDense {
    /// `weight` (outputs, inputs) and `bias` in `reduction`'s arithmetic; for int8, inputs
    /// smoothed by `input_range` (the largest magnitude each input channel reached on
    /// calibration text). bf16 needs no calibration.
    pub(crate) fn new(
        weight: &Tensor,
        bias: &Tensor,
        reduction: Reduction,
        input_range: &[f32],
    ) -> candle_core::Result<ReducedDense> {
        let (outputs, inputs) = weight.dims2()?;
        let (weight, bias) = (weight.flatten_all()?.to_vec1::<f32>()?, bias.to_vec1::<f32>()?);
        let layer = match reduction {
            Reduction::Int8(kernel) => Lowered::Int8(
                Arc::new(QuantisedLinear::smoothed(&weight, &bias, outputs, inputs, input_range)),
                kernel,
            ),
            Reduction::Bf16 => Lowered::Bf16(Arc::new(Bf16Linear::new(&weight, &bias, outputs, inputs))),
        };
        Ok(ReducedDense { layer })
    }

    fn op(&self, epilogue: ReducedEpilogue) -> ReducedOp {
        ReducedOp {
            layer: self.layer.clone(),
            epilogue,
        }
    }

    /// `x W^T + b`; `x` is (rows, inputs).
    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.contiguous()?
            .apply_op1_no_bwd(&self.op(ReducedEpilogue::Bias))
    }

    /// `gelu(x W^T + b)`, exact-form GELU.
    pub(crate) fn forward_gelu(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.contiguous()?
            .apply_op1_no_bwd(&self.op(ReducedEpilogue::BiasGelu))
    }

    /// `x W^T + b + residual`.
    pub(crate) fn forward_plus(
        &self,
        x: &Tensor,
        residual: &Tensor,
    ) -> candle_core::Result<Tensor> {
        x.contiguous()?.apply_op2_no_bwd(
            &residual.contiguous()?,
            &self.op(ReducedEpilogue::BiasResidual),
        )
    }
}

#[derive(Clone, Copy)]
enum ReducedEpilogue {
    Bias,
    BiasGelu,
    BiasResidual,
}

/// A reduced-precision dense layer as a candle op (inference only: no backward pass).
struct ReducedOp {
    layer: Lowered,
    epilogue: ReducedEpilogue,
}

impl ReducedOp {
    fn run(
        &self,
        x: &CpuStorage,
        layout: &Layout,
        residual: Option<&[f32]>,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let data = super::fused::slice(x, layout, "reduced-precision dense layer")?;
        let dims = layout.shape().dims();
        if dims.last() != Some(&self.layer.inputs()) {
            candle_core::bail!(
                "reduced-precision dense layer takes {} inputs, got shape {dims:?}",
                self.layer.inputs()
            )
        }
        let epilogue = match (self.epilogue, residual) {
            (ReducedEpilogue::Bias, _) => Epilogue::Bias,
            (ReducedEpilogue::BiasGelu, _) => Epilogue::BiasGelu,
            (ReducedEpilogue::BiasResidual, Some(r)) => Epilogue::BiasResidual(r),
            (ReducedEpilogue::BiasResidual, None) => candle_core::bail!("residual missing"),
        };
        let out = self.layer.forward(data, epilogue);
        let mut shape = dims.to_vec();
        if let Some(last) = shape.last_mut() {
            *last = self.layer.outputs();
        }
        Ok((CpuStorage::F32(out), Shape::from(shape)))
    }
}

impl CustomOp1 for ReducedOp {
    fn name(&self) -> &'static str {
        "reduced-dense"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        self.run(s, l, None)
    }
}

impl CustomOp2 for ReducedOp {
    fn name(&self) -> &'static str {
        "reduced-dense-residual"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let r = super::fused::slice(s2, l2, "reduced-precision dense layer's residual")?;
        let rows = l1.shape().elem_count() / self.layer.inputs().max(1);
        if r.len() != rows * self.layer.outputs() {
            candle_core::bail!("residual shape {:?} does not match the output", l2.shape())
        }
        self.run(s1, l1, Some(r))
    }
}
