//! The real `incident-atlas` binary: commands, exit codes, JSON output, and a SIGKILL in
//! the middle of a large import.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_incident-atlas"));
    cmd.env_remove("INCIDENT_ATLAS_PROJECT");
    cmd
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn demo_csv() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/demo/incidents.csv")
        .display()
        .to_string()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn init_ingest_stats_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("proj");
    let p = project.to_str().unwrap();
    let out = run(&["init", p]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created project"));
    assert!(run(&["init", p]).status.success(), "init is idempotent");

    let out = run(&["--project", p, "--json", "ingest", &demo_csv()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["status"], "imported");
    assert_eq!(report["counts"]["imported"], 20_000);

    let out = run(&["--project", p, "ingest", &demo_csv()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("already imported"));

    let stats = json(&run(&["--project", p, "--json", "stats"]));
    assert_eq!(stats["incidents"], 20_000);
    assert_eq!(stats["first_date"], "2024-01-01");
    assert_eq!(stats["last_date"], "2025-12-31");
    assert_eq!(stats["by_harm"].as_array().unwrap().len(), 5);
    assert_eq!(stats["by_category"].as_array().unwrap().len(), 15);
    let text = String::from_utf8_lossy(&run(&["--project", p, "stats"]).stdout).to_string();
    assert!(
        text.contains("incidents: 20000") && text.contains("Degree of harm (PD09)"),
        "{text}"
    );
}

#[test]
fn errors_are_readable_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().to_str().unwrap();
    let out = run(&["--project", p, "stats"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not an Incident Atlas project") && err.contains("incident-atlas init"),
        "{err}"
    );

    assert!(run(&["init", p]).status.success());
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id,date,description\nX1,2024-13-01,text\nX2,2024-01-01,ok\n",
    )
    .unwrap();
    let out = run(&["--project", p, "ingest", bad.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "rejected import has its own exit status"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2 (id X1)") && err.contains("not a date") && err.contains("--skip-bad"),
        "{err}"
    );
    let out = run(&[
        "--project",
        p,
        "--json",
        "ingest",
        "--skip-bad",
        bad.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(json(&out)["counts"]["imported"], 1);

    let out = run(&[
        "--project",
        p,
        "ingest",
        "--map",
        "nonsense",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "usage errors come from clap");
    let out = run(&["--project", p, "--json", "ingest", "/no/such/file.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(json(&out)["error"]
        .as_str()
        .unwrap()
        .contains("/no/such/file.csv"));
}

#[test]
fn sigkill_during_a_large_import_leaves_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("proj");
    let p = project.to_str().unwrap();
    let csv = dir.path().join("large.csv");
    let rows = 400_000;
    let file = std::fs::File::create(&csv).unwrap();
    synth::generate(
        &synth::SynthConfig {
            rows,
            seed: 99,
            ..Default::default()
        },
        std::io::BufWriter::new(file),
    )
    .unwrap();
    assert!(run(&["init", p]).status.success());

    let mut child = bin()
        .args(["--project", p, "--quiet", "ingest", csv.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Pages spill into the WAL only while the import's transaction is open and growing.
    let wal = project.join("atlas.sqlite-wal");
    let started = Instant::now();
    loop {
        let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if size > 8 << 20 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "import finished before it could be killed; make the file larger"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "import never started writing"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success());

    let store = engine::Store::open(&project).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let count = store.incident_count().unwrap();
    let datasets = store.datasets().unwrap().len();
    assert!(
        (count == 0 && datasets == 0) || (count == rows as u64 && datasets == 1),
        "all or nothing: {count} incidents, {datasets} datasets"
    );
    drop(store);
    // The interrupted file imports cleanly afterwards.
    let out = run(&["--project", p, "--json", "ingest", csv.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = engine::Store::open(&project).unwrap();
    assert_eq!(store.incident_count().unwrap(), rows as u64);
}

/// The analysis commands end to end on the baseline model (fast to fit), with JSON output.
#[test]
fn index_search_analyse_and_edit_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("proj");
    let p = project.to_str().unwrap();
    assert!(run(&["init", p]).status.success());
    assert!(run(&["--project", p, "--quiet", "ingest", &demo_csv()])
        .status
        .success());
    let out = run(&["--project", p, "analyse", "--model", "tfidf-lsa"]);
    assert!(!out.status.success(), "no vectors yet");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("encode --model tfidf-lsa"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["--project", p, "analyse"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("encode the reports first"));
    assert!(
        run(&["--project", p, "--quiet", "encode", "--model", "tfidf-lsa"])
            .status
            .success()
    );

    let out = run(&[
        "--project",
        p,
        "--json",
        "index",
        "--model",
        "tfidf-lsa",
        "--quantisation",
        "f16",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index = json(&out);
    assert_eq!(index["size"], 20_000);
    assert_eq!(index["quantisation"], "f16");
    assert!(project.join("indexes/tfidf-lsa.usearch/shard-000.usearch").is_file());

    let out = run(&[
        "--project",
        p,
        "--json",
        "similar",
        "IA-0000001",
        "--model",
        "tfidf-lsa",
        "-k",
        "5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hits = json(&out);
    assert_eq!(hits.as_array().unwrap().len(), 5);
    assert!(hits
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["external_id"] != "IA-0000001"));
    let out = run(&[
        "--project",
        p,
        "search",
        "insulin dose omitted",
        "--model",
        "tfidf-lsa",
        "-k",
        "3",
    ]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);

    let out = run(&[
        "--project",
        p,
        "--json",
        "--quiet",
        "analyse",
        "--method",
        "kmeans",
        "-k",
        "12",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = json(&out);
    // No model named, no evaluation, no MiniLM vectors: the one encoded model, said so.
    assert_eq!(summary["run"]["model"], "tfidf-lsa");
    assert_eq!(summary["run"]["params"]["representation"]["chosen_by"], "only");
    let run_id = summary["run"]["id"].as_i64().unwrap();
    let clusters = summary["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 12);
    assert!(clusters
        .iter()
        .all(|c| !c["keywords"].as_array().unwrap().is_empty()));
    assert_eq!(summary["run"]["params"]["method"]["k"], 12);
    assert_eq!(summary["run"]["dataset_sha256"].as_str().unwrap().len(), 64);
    let out = run(&[
        "--project",
        p,
        "analyse",
        "--model",
        "tfidf-lsa",
        "--method",
        "kmeans",
    ]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("-k"));

    let (a, b) = (
        clusters[0]["cluster_id"].to_string(),
        clusters[1]["cluster_id"].to_string(),
    );
    let r = run_id.to_string();
    let out = run(&[
        "--project",
        p,
        "--json",
        "cluster",
        "merge",
        "--run",
        &r,
        &a,
        &b,
        "--author",
        "tester",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = json(&out)["new_clusters"][0].as_i64().unwrap();
    let m = merged.to_string();
    let out = run(&[
        "--project",
        p,
        "--json",
        "cluster",
        "split",
        "--run",
        &r,
        &m,
        "--parts",
        "3",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["new_clusters"].as_array().unwrap().len(), 3);
    let out = run(&["--project", p, "cluster", "merge", "--run", &r, &a, &m]);
    assert!(
        !out.status.success(),
        "retired clusters cannot be merged again"
    );

    // k-means leaves no noise: nothing to give, a bad agreement and an undo of nothing refused.
    let out = run(&["--project", p, "--json", "cluster", "assign-noise", "--run", &r]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!((json(&out)["moved"].as_u64(), json(&out)["noise_after"].as_u64()), (Some(0), Some(0)));
    let out = run(&["--project", p, "cluster", "assign-noise", "--run", &r, "--agreement", "1.5"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("agreement"));
    let out = run(&["--project", p, "cluster", "unassign-noise", "--run", &r]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no noise reports assigned"));
    let out = run(&["--project", p, "--json", "clusters", "--runs"]);
    assert_eq!(json(&out).as_array().unwrap().len(), 1);
    assert_eq!(json(&out)[0]["noise_assigned"], 0);
    let out = run(&["--project", p, "--json", "clusters"]);
    assert_eq!(json(&out)["clusters"].as_array().unwrap().len(), 13);
}

/// `signals --series`: a detector on a weekly series from a file, per week, with --json;
/// and a file that is not a weekly series is refused with its line and nothing printed
/// as if it had worked.
#[test]
fn signals_on_a_series_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("series.csv");
    // Two years of 3 to 5 reports a week, then 30 in the last week.
    let mut text = String::from("week_start,count\n");
    let mut date = chrono_free_monday(2022, 1, 3);
    for week in 0..110 {
        let count = if week == 109 { 30 } else { 3 + week % 3 };
        text.push_str(&format!("{},{count}\n", date));
        date = next_week(&date);
    }
    std::fs::write(&path, &text).unwrap();
    let file = path.to_str().unwrap();
    for method in ["auto", "noufaily", "farrington", "cusum"] {
        let out = run(&["--json", "signals", "--series", file, "--method", method]);
        assert!(out.status.success(), "{method}: {}", String::from_utf8_lossy(&out.stderr));
        let v = json(&out);
        let weeks = v["weeks"].as_array().unwrap();
        let last = weeks.last().unwrap();
        assert_eq!(last["observed"], 30.0);
        assert_eq!(last["alarm"], true, "{method}: {last}");
        assert!(weeks[..weeks.len() - 1].iter().filter(|w| w["alarm"] == true).count() <= 3, "{method}: few false alarms");
        assert!(last["upper"].as_f64().unwrap() < 30.0);
    }
    let out = run(&["--json", "signals", "--series", file, "--method", "noufaily", "--years", "3"]);
    assert!(!out.status.success());
    assert!(json(&out)["error"].as_str().unwrap().contains("years back"));

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "week_start,count\n2024-01-01,3\n2024-01-09,4\n").unwrap();
    let out = run(&["signals", "--series", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    let out = run(&["signals", "--series", file, "--method", "ewma"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no detection method"));
}

/// YYYY-MM-DD arithmetic without a date crate in the test: Monday `y-m-d` as text.
fn chrono_free_monday(y: i32, m: u32, d: u32) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

fn next_week(date: &str) -> String {
    let (y, m, d): (i32, u32, u32) = (date[..4].parse().unwrap(), date[5..7].parse().unwrap(), date[8..].parse().unwrap());
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m as usize - 1];
    let (mut y, mut m, mut d) = (y, m, d + 7);
    if d > days {
        d -= days;
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    format!("{y:04}-{m:02}-{d:02}")
}

/// `signals --series` checked against another implementation from the command line: R's
/// farringtonFlexible (Noufaily's settings, α 0.05, five years back) on salmNewport, as
/// the committed fixture recorded it — the same bounds every week and the same alarms.
#[test]
fn signals_series_matches_r_from_the_command_line() {
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../ml/tests/fixtures/farrington_salmnewport.json")).unwrap(),
    )
    .unwrap();
    let dates = fixture["dates"].as_array().unwrap();
    let mut csv = String::from("week_start,count\n");
    for (d, c) in dates.iter().zip(fixture["series"].as_array().unwrap()) {
        csv.push_str(&format!("{},{}\n", d.as_str().unwrap(), c.as_f64().unwrap()));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("salmnewport.csv");
    std::fs::write(&path, csv).unwrap();
    let run = fixture["runs"].as_array().unwrap().iter().find(|r| r["name"] == "noufaily").unwrap();
    let first = run["weeks"][0].as_u64().unwrap() as usize;
    let out = self::run(&[
        "--json", "signals", "--series", path.to_str().unwrap(), "--method", "noufaily", "--years", "5", "--alpha", "0.05",
        "--from", dates[first].as_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let weeks = json(&out)["weeks"].as_array().unwrap().clone();
    assert_eq!(weeks.len(), run["weeks"].as_array().unwrap().len());
    for (i, w) in weeks.iter().enumerate() {
        assert_eq!(w["upper"].as_f64(), run["upperbound"][i].as_f64(), "week {i}: bound");
        assert_eq!(w["alarm"].as_bool(), run["alarm"][i].as_bool(), "week {i}: alarm");
    }
    assert!(weeks.iter().any(|w| w["alarm"] == true));
}

/// The package installs the default encoder under /usr/share; it is found by name with no
/// configuration, after the user's and the project's folders, and only from absolute
/// `XDG_DATA_DIRS` entries.
#[test]
fn models_are_found_in_the_system_data_dirs_after_the_users() {
    let tmp = tempfile::tempdir().unwrap();
    let fake_model = |dir: &std::path::Path| {
        std::fs::create_dir_all(dir).unwrap();
        for f in ["config.json", "model.safetensors", "tokenizer.json"] {
            std::fs::write(dir.join(f), b"{}").unwrap();
        }
    };
    let system = tmp.path().join("share");
    fake_model(&system.join("incident-atlas/models/sys-only"));
    fake_model(&system.join("incident-atlas/models/both"));
    let user = tmp.path().join("user-models");
    fake_model(&user.join("both"));
    std::fs::create_dir_all(tmp.path().join("relative/incident-atlas/models/ignored")).unwrap();
    fake_model(&tmp.path().join("relative/incident-atlas/models/ignored"));
    let project = tmp.path().join("p");
    assert!(bin().arg("init").arg(&project).output().unwrap().status.success());

    let out = bin()
        .current_dir(tmp.path())
        .env("INCIDENT_ATLAS_MODELS", &user)
        .env("XDG_DATA_DIRS", format!("relative:{}", system.display()))
        .args(["--json", "--project"])
        .arg(&project)
        .args(["models", "list"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let installed: Vec<(String, String)> = v["installed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap().to_string(), m["folder"].as_str().unwrap().to_string()))
        .collect();
    let folder = |name: &str| installed.iter().find(|(n, _)| n == name).map(|(_, f)| f.clone());
    assert_eq!(folder("both"), Some(user.join("both").display().to_string()), "{installed:?}");
    assert_eq!(
        folder("sys-only"),
        Some(system.join("incident-atlas/models/sys-only").display().to_string())
    );
    assert_eq!(folder("ignored"), None, "a relative XDG_DATA_DIRS entry is ignored");
}
