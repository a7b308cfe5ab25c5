//! The committed demo file is exactly what the seeded generator writes.

use synth::{generate, SynthConfig};

#[test]
fn committed_demo_file_is_reproducible() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/incidents.csv");
    let committed = std::fs::read(&path).expect("assets/demo/incidents.csv is committed");
    let mut regenerated = Vec::new();
    let summary = generate(&SynthConfig::default(), &mut regenerated).unwrap();
    assert_eq!(summary.rows, synth::DEMO_ROWS);
    assert!(
        committed == regenerated,
        "assets/demo/incidents.csv differs from the generator's output; run `incident-atlas demo-data` and commit it"
    );
}
