// Encodes the demo descriptions repeatedly, for profiling (not part of the product).
fn main() {
    let dir = std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".local/share/incident-atlas/models/all-MiniLM-L6-v2");
    let mut rdr = csv::Reader::from_path("assets/demo/incidents.csv").unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = h.iter().position(|c| c.contains("description")).unwrap();
    let texts: Vec<String> = rdr.records().take(2000).map(|r| r.unwrap()[col].to_string()).collect();
    let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
    let p = ml::quant::Precision::parse(&std::env::var("PREC").unwrap_or("int8".into())).unwrap();
    let k = std::env::var("KERNEL").ok().and_then(|k| ml::quant::Int8Kernel::parse(&k));
    let enc = ml::SentenceEncoder::load(&dir, &ml::Device::Cpu, p, k).unwrap();
    let t = std::time::Instant::now();
    enc.encode(&refs, 32, |_| {}).unwrap();
    eprintln!("{:.2} s", t.elapsed().as_secs_f64());
}
