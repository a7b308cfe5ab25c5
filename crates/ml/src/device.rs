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
