//! Reduced-precision inference for the encoder's dense layers.
//!
//! f32 alone cannot go much faster: candle's GEMM already runs near the CPU's f32 peak, and
//! so does PyTorch's. Integer dot products do four times the multiply-adds per instruction
//! (AVX-512 VNNI) or twice (AVX2), so the dense layers, most of an encoder's work, run in
//! int8: weights quantised once per output channel at load, activations per row (token) as
//! they arrive, products summed exactly in i32 and scaled back to f32 in the same pass that
//! adds the bias and applies GELU or the residual.
//!
//! Every kernel computes the same integers from the same quantised inputs, and the f32
//! epilogue is the same sequence of operations, so int8 vectors do not depend on which CPU
//! made them.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod bf16;
mod finish;
mod int8;
mod kernels;
mod rounding;
mod tasks;

pub use bf16::{bf16_matmul_gflops, bf16_supported, to_bf16, Bf16Linear};
pub use finish::Epilogue;
pub use int8::QuantisedLinear;
pub use kernels::Int8Kernel;

use serde::{Deserialize, Serialize};

/// The arithmetic the dense layers run in. `Auto` picks the fastest this CPU runs well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    #[default]
    Auto,
    F32,
    Int8,
    Bf16,
}

impl Precision {
    pub const NAMES: [&'static str; 4] = ["auto", "f32", "int8", "bf16"];

    pub fn parse(name: &str) -> Option<Precision> {
        match name.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Precision::Auto),
            "f32" | "fp32" | "float32" => Some(Precision::F32),
            "int8" | "i8" => Some(Precision::Int8),
            "bf16" | "bfloat16" => Some(Precision::Bf16),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Precision::Auto => "auto",
            Precision::F32 => "f32",
            Precision::Int8 => "int8",
            Precision::Bf16 => "bf16",
        }
    }

    /// The concrete precision `Auto` stands for on this CPU: int8 where an integer
    /// dot-product kernel exists (x86-64 with AVX2 or better), f32 elsewhere. Never bf16:
    /// every CPU with AVX-512 BF16 also has VNNI, whose int8 products are twice as many
    /// per instruction.
    pub fn resolve(self) -> Precision {
        match self {
            Precision::Auto if Int8Kernel::detect().is_vectorised() => Precision::Int8,
            Precision::Auto => Precision::F32,
            concrete => concrete,
        }
    }
}

/// What an encoder's dense layers are moved to from f32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// int8 on this integer kernel.
    Int8(Int8Kernel),
    /// bf16 products summed in f32 (AVX-512 BF16).
    Bf16,
}

impl Reduction {
    /// The kernel's name, as `bench encode` and reports print it.
    pub fn kernel_name(self) -> &'static str {
        match self {
            Reduction::Int8(kernel) => kernel.name(),
            Reduction::Bf16 => "avx512-bf16",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;

    /// As [`Precision::parse`], with the error front ends show.
    fn from_str(name: &str) -> Result<Precision, String> {
        Precision::parse(name)
            .ok_or_else(|| format!("unknown precision {name:?}; choose one of {}", Precision::NAMES.join(", ")))
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Measured int8 multiply-add rate of `kernel` on a (size x size) by (size x size) product,
/// in GOP/s (two operations per multiply-add, as GFLOP/s counts them): the ceiling the
/// int8 encoder is compared with.
pub fn int8_matmul_gops(kernel: Int8Kernel, size: usize, repeats: usize) -> f64 {
    let mut rng = crate::rng::SplitMix64::new(1);
    let x = rng.gaussian(size * size);
    let w = rng.gaussian(size * size);
    let layer = QuantisedLinear::new(&w, &vec![0.0; size], size, size);
    std::hint::black_box(layer.forward(&x, Epilogue::Bias, kernel)); // warm-up
    let started = std::time::Instant::now();
    for _ in 0..repeats.max(1) {
        std::hint::black_box(layer.forward(&x, Epilogue::Bias, kernel));
    }
    let seconds = started.elapsed().as_secs_f64();
    2.0 * (size as f64).powi(3) * repeats.max(1) as f64 / seconds / 1e9
}

/// What int8 layers are calibrated on: the largest magnitude each dense layer's inputs
/// reach over these sentences sets its smoothing. General-domain text on purpose (prose, a
/// long sentence, numbers and units, punctuation, shorthand, another language, fragments),
/// unrelated to incident reports and to the test fixtures, so that parity and retrieval
/// checks on those measure the method rather than the choice of calibration text. Fixed, so
/// a model quantises the same way every time it loads.
pub const CALIBRATION: [&str; 16] = [
    "The river rose overnight and the footbridge was closed until the water went down.",
    "Preheat the oven to 180 degrees, whisk two eggs with 250 g of flour and bake for 40 minutes.",
    "In 1905 the physicist published four papers that changed how we think about light, time and matter, and none of them was long.",
    "Q3 revenue: $4.2m (up 12% y/y); costs flat; headcount 57 -> 61.",
    "Meeting moved to Thu 10:30, rm 2.14, pls bring laptops & the draft.",
    "Can you tell me the way to the station?",
    "Der Zug nach Berlin fährt um acht Uhr ab.",
    "No.",
    "... -- ?! ;;",
    "The committee reviewed the proposal, asked for a revised budget and agreed to meet again next month.",
    "Water boils at 100 °C at sea level and at a lower temperature on a mountain.",
    "She planted tomatoes, beans and a row of sunflowers along the fence.",
    "ERROR 404: page not found (request id 7f3a-19b2)",
    "Hello",
    "The library opens at nine on weekdays and at ten on Saturdays; it is closed on Sundays and public holidays, when books may be returned through the slot by the main door.",
    "Birds migrate south in autumn, guided by the sun, the stars and the earth's magnetic field.",
];
