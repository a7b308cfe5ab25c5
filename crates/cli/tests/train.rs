//! Training through the real binary: a run killed with SIGKILL after a checkpoint resumes
//! from it and ends with the same loss curve and the same weights, bit for bit, as an
//! uninterrupted run with the same seed; the trained model then encodes like any other.

mod common;

use common::{bin, json, run};
use std::time::{Duration, Instant};

fn project(dir: &std::path::Path, rows: usize) -> std::path::PathBuf {
    common::demo_project(dir, rows)
}

const TRAIN: &[&str] = &[
    "train",
    "--method",
    "wordvec",
    "--epochs",
    "3",
    "--dimension",
    "48",
    "--checkpoint-every",
    "1000",
    "--json",
];

#[test]
fn a_killed_training_resumes_to_the_same_model_which_then_encodes() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path(), 6000);
    let whole = json(&run(&project, &[TRAIN, &["--name", "wv-a"]].concat()));
    assert!(whole["resumed_from"].is_null());
    assert!(whole["tokens_per_second"].as_f64().unwrap() > 0.0);

    // The same training, killed once its first checkpoint is on disk.
    let mut child = bin()
        .arg("--project")
        .arg(&project)
        .args([TRAIN, &["--name", "wv-b"]].concat())
        .spawn()
        .unwrap();
    let state = project.join("models/wv-b.training/state.json");
    let started = Instant::now();
    while !state.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no checkpoint appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "training ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(
        !project.join("models/wv-b").exists(),
        "a killed run must not leave a model"
    );

    let resumed = json(&run(&project, &[TRAIN, &["--name", "wv-b"]].concat()));
    assert!(!resumed["resumed_from"].is_null(), "{resumed}");
    assert!(resumed["tokens_this_run"].as_u64() < whole["tokens_this_run"].as_u64());
    assert_eq!(resumed["final_loss"], whole["final_loss"]);
    assert_eq!(resumed["loss_curve"], whole["loss_curve"]);
    let weights = |name: &str| {
        std::fs::read(project.join("models").join(name).join("model.safetensors")).unwrap()
    };
    assert!(
        weights("wv-a") == weights("wv-b"),
        "resumed weights differ from uninterrupted ones"
    );
    assert!(
        !project.join("models/wv-b.training").exists(),
        "the checkpoint is removed once done"
    );
    for file in [
        "config.json",
        "vocabulary.json",
        "training.json",
        "loss.svg",
        "loss.png",
    ] {
        assert!(project.join("models/wv-a").join(file).is_file(), "{file}");
    }

    // An ordinary representation now: encode, then search with it.
    let encoded = json(&run(&project, &["encode", "--model", "wv-a", "--json"]));
    assert_eq!(encoded[0]["encoded"], 6000, "{encoded}");
    let hits = json(&run(
        &project,
        &[
            "search",
            "--model",
            "wv-a",
            "-k",
            "3",
            "--json",
            "insulin dose missed",
        ],
    ));
    assert_eq!(hits.as_array().map(Vec::len), Some(3), "{hits}");
    // Training under a name that exists is refused.
    let again = bin()
        .arg("--project")
        .arg(&project)
        .args([TRAIN, &["--name", "wv-a"]].concat())
        .output()
        .unwrap();
    assert!(!again.status.success());
    // With --json the error is a JSON object on stdout.
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("already exists"),
        "{again:?}"
    );
}

const SIMCSE: &[&str] = &[
    "train",
    "--method",
    "simcse",
    "--batch-size",
    "8",
    "--max-tokens",
    "32",
    "--checkpoint-every",
    "1",
    "--json",
];

#[test]
fn simcse_killed_after_a_checkpoint_resumes_to_the_same_weights_and_the_result_is_an_encoder() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path(), 64);
    let whole = json(&run(&project, &[SIMCSE, &["--name", "sc-a"]].concat()));
    assert_eq!(whole["steps"], 8, "{whole}");
    assert!(whole["examples_per_second"].as_f64().unwrap() > 0.0);

    let mut child = bin()
        .arg("--project")
        .arg(&project)
        .args([SIMCSE, &["--name", "sc-b"]].concat())
        .spawn()
        .unwrap();
    let state = project.join("models/sc-b.training/state.json");
    let started = Instant::now();
    while !state.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no checkpoint appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "training ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success());
    assert!(!project.join("models/sc-b").exists());
    let resumed = json(&run(&project, &[SIMCSE, &["--name", "sc-b"]].concat()));
    assert!(
        resumed["resumed_from_step"].as_u64().unwrap() >= 1,
        "{resumed}"
    );
    assert_eq!(resumed["loss_curve"], whole["loss_curve"]);
    let weights = |name: &str| {
        std::fs::read(project.join("models").join(name).join("model.safetensors")).unwrap()
    };
    assert!(
        weights("sc-a") == weights("sc-b"),
        "resumed weights differ from uninterrupted ones"
    );
    // The adapted model keeps the base folder's layout (tokenizer, pooling, modules) and
    // encodes like any transformer.
    for file in [
        "config.json",
        "tokenizer.json",
        "modules.json",
        "1_Pooling/config.json",
        "training.json",
        "loss.svg",
    ] {
        assert!(project.join("models/sc-a").join(file).is_file(), "{file}");
    }
    let encoded = json(&run(&project, &["encode", "--model", "sc-a", "--json"]));
    assert_eq!(encoded[0]["encoded"], 64, "{encoded}");
}
