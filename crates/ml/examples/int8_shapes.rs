// Times the int8 dense layer at the default encoder's shapes (not part of the product).
use ml::quant::{Epilogue, Int8Kernel, QuantisedLinear};
fn main() {
    let m = 1600;
    let mut rng = ml::rng::SplitMix64::new(3);
    let kernel = std::env::var("KERNEL").ok().and_then(|k| Int8Kernel::parse(&k)).unwrap_or_else(Int8Kernel::detect);
    for (n, k, what) in [(1152, 384, "qkv"), (384, 384, "attn-out+res"), (1536, 384, "inter+gelu"), (384, 1536, "out+res")] {
        let x = rng.gaussian(m * k);
        let w = rng.gaussian(n * k);
        let res = rng.gaussian(m * n);
        let range: Vec<f32> = (0..k).map(|i| 1.0 + (i % 7) as f32).collect();
        let layer = QuantisedLinear::smoothed(&w, &vec![0.1; n], n, k, &range);
        let ep = match what { "inter+gelu" => Epilogue::BiasGelu, "qkv" => Epilogue::Bias, _ => Epilogue::BiasResidual(&res) };
        let reps = 20;
        layer.forward(&x, ep, kernel);
        let t = std::time::Instant::now();
        for _ in 0..reps { std::hint::black_box(layer.forward(&x, ep, kernel)); }
        let s = t.elapsed().as_secs_f64() / reps as f64;
        println!("{what:14} {:.2} ms  {:.0} GOP/s", s * 1e3, 2.0 * (m * n * k) as f64 / s / 1e9);
    }
}
