// Times candle's f32 matmul on the fine-tuning shapes in each orientation (profiling only).
use candle_core::{Device, Tensor};
fn time(name: &str, flops: f64, f: impl Fn() -> Tensor) {
    f();
    let t = std::time::Instant::now();
    let n = 20;
    for _ in 0..n { f(); }
    let s = t.elapsed().as_secs_f64() / n as f64;
    eprintln!("{name:40} {:7.2} ms {:6.1} GFLOP/s", s * 1e3, flops / s / 1e9);
}
fn main() {
    let d = Device::Cpu;
    let (m, k, n) = (2048usize, 384usize, 1536usize);
    let x = Tensor::randn(0f32, 1., (m, k), &d).unwrap();
    let w = Tensor::randn(0f32, 1., (n, k), &d).unwrap();
    let g = Tensor::randn(0f32, 1., (m, n), &d).unwrap();
    let f = 2.0 * (m * k * n) as f64;
    time("fwd x @ w.t()", f, || x.matmul(&w.t().unwrap()).unwrap());
    let wt = w.t().unwrap().contiguous().unwrap();
    time("fwd x @ wt (contiguous)", f, || x.matmul(&wt).unwrap());
    time("dx g @ w", f, || g.matmul(&w).unwrap());
    time("dwT x.t() @ g", f, || x.t().unwrap().matmul(&g).unwrap());
    time("dw g.t() @ x", f, || g.t().unwrap().matmul(&x).unwrap());
    let (b, s, dh) = (32 * 12, 64, 32);
    let q = Tensor::randn(0f32, 1., (32, 12, s, dh), &d).unwrap();
    let kk = Tensor::randn(0f32, 1., (32, 12, s, dh), &d).unwrap();
    let fa = 2.0 * (b * s * s * dh) as f64;
    time("scores q @ k.t()", fa, || q.matmul(&kk.t().unwrap()).unwrap());
    let p = Tensor::randn(0f32, 1., (32, 12, s, s), &d).unwrap();
    time("ctx p @ v", fa, || p.matmul(&kk).unwrap());
    time("dv p.t() @ g", fa, || p.t().unwrap().matmul(&kk).unwrap());
}
