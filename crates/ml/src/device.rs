//! Where models run: the CPU by default, a CUDA GPU when built with the `cuda` feature and
//! one is present.

use candle_core::Device;

/// The best device available to this build: CUDA GPU 0 if compiled in and present, else CPU.
pub fn best_device() -> Device {
    #[cfg(feature = "cuda")]
    if let Ok(device) = Device::new_cuda(0) {
        return device;
    }
    Device::Cpu
}

/// A short name for reports.
pub fn describe(device: &Device) -> &'static str {
    match device {
        Device::Cpu => "cpu",
        Device::Cuda(_) => "cuda",
        Device::Metal(_) => "metal",
    }
}

/// Measured f32 matmul rate of `device` on (size x size) matrices, in GFLOP/s: the ceiling
/// encoder throughput is compared with.
pub fn matmul_gflops(device: &Device, size: usize, repeats: usize) -> candle_core::Result<f64> {
    let a = candle_core::Tensor::randn(0f32, 1.0, (size, size), device)?;
    let b = candle_core::Tensor::randn(0f32, 1.0, (size, size), device)?;
    a.matmul(&b)?.sum_all()?.to_scalar::<f32>()?; // warm-up
    let started = std::time::Instant::now();
    for _ in 0..repeats.max(1) {
        a.matmul(&b)?.sum_all()?.to_scalar::<f32>()?;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(2.0 * (size as f64).powi(3) * repeats.max(1) as f64 / seconds / 1e9)
}
