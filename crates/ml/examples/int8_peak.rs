fn main() {
    for kernel in ml::quant::Int8Kernel::available() {
        for size in [384usize, 1024] {
            let g = ml::quant::int8_matmul_gops(kernel, size, if size > 500 { 10 } else { 50 });
            println!("{} {size}: {g:.0} GOP/s", kernel.name());
        }
    }
    for size in [384usize, 1024] {
        println!("bf16 {size}: {:.0} GFLOP/s", ml::quant::bf16_matmul_gflops(size, 10).unwrap_or(0.0));
    }
    println!("f32 1024: {:.0}", ml::device::matmul_gflops(&ml::Device::Cpu, 1024, 10).unwrap());
}
