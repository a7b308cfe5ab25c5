// Times the phases of SimCSE steps on demo texts, for profiling (not part of the product).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

extern "C" {
    fn mi_option_set(option: i32, value: std::os::raw::c_long);
}

use ml::finetune::{simcse_loss, AdamW, AdamWParams, Dropout, TrainableBert};
fn main() {
    unsafe { mi_option_set(15, -1) };
    let dir = std::path::PathBuf::from(std::env::var("HOME").unwrap())
        .join(".local/share/incident-atlas/models/all-MiniLM-L6-v2");
    let mut rdr = csv::Reader::from_path("assets/demo/incidents.csv").unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = h.iter().position(|c| c.contains("description")).unwrap();
    let texts: Vec<String> = rdr
        .records()
        .take(
            std::env::var("DOCS")
                .ok()
                .and_then(|d| d.parse().ok())
                .unwrap_or(256),
        )
        .map(|r| r.unwrap()[col].to_string())
        .collect();
    let device = ml::Device::Cpu;
    let model = TrainableBert::load(&dir, &device).unwrap();
    let mut opt = AdamW::new(model.variables(), AdamWParams::default()).unwrap();
    let mut tok = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
    tok.with_truncation(Some(tokenizers::TruncationParams {
        max_length: 64,
        ..Default::default()
    }))
    .unwrap();
    tok.with_padding(Some(tokenizers::PaddingParams::default()));
    let mut dropout = Dropout::new(0.1, 1);
    let (mut tf, mut tb, mut to) = (0.0, 0.0, 0.0);
    for chunk in texts.chunks(16) {
        let enc = tok.encode_batch(chunk.to_vec(), true).unwrap();
        let n = enc[0].len();
        let ids: Vec<u32> = enc.iter().flat_map(|e| e.get_ids().to_vec()).collect();
        let mask: Vec<u32> = enc
            .iter()
            .flat_map(|e| e.get_attention_mask().to_vec())
            .collect();
        let ids = candle_core::Tensor::from_vec(ids, (chunk.len(), n), &device).unwrap();
        let mask = candle_core::Tensor::from_vec(mask, (chunk.len(), n), &device).unwrap();
        let t = std::time::Instant::now();
        let loss = simcse_loss(&model, &ids, &mask, &mut dropout, 0.05).unwrap();
        tf += t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let grads = model.backward(&loss).unwrap();
        tb += t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        opt.step(&grads, 3e-5, 1.0).unwrap();
        to += t.elapsed().as_secs_f64();
    }
    eprintln!("forward {tf:.2} s, backward {tb:.2} s, optimiser {to:.2} s");
}
