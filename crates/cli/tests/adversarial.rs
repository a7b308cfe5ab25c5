//! Hostile import files against the real CLI (issue 22): each is refused with the line
//! named and the project unchanged, and the process's peak memory stays flat however large
//! the hostile row (measured with wait4's rusage of that one child).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs the CLI to the end; its exit code, peak resident memory in MiB, and stderr.
fn run_measured(project: &Path, args: &[&str]) -> (i32, f64, String) {
    let err_path = project.with_extension("stderr");
    let child = Command::new(env!("CARGO_BIN_EXE_incident-atlas"))
        .arg("--project")
        .arg(project)
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for this child only (its pid), which std has not reaped.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    (code, usage.ru_maxrss as f64 / 1024.0, std::fs::read_to_string(&err_path).unwrap())
}

fn project(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("p");
    let ok = Command::new(env!("CARGO_BIN_EXE_incident-atlas")).arg("init").arg(&p).output().unwrap();
    assert!(ok.status.success());
    p
}

fn incidents(project: &Path) -> i64 {
    let conn = rusqlite::Connection::open(project.join("atlas.sqlite")).unwrap();
    conn.query_row("SELECT count(*) FROM incidents", [], |r| r.get(0)).unwrap()
}

/// `head`, then `size` bytes of `fill`, with no line break or closing quote.
fn write_endless(path: &Path, head: &str, size: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..size >> 20 {
        f.write_all(&chunk).unwrap();
    }
}

#[test]
fn an_endless_row_is_refused_by_line_with_memory_flat() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path());
    let cases = [
        ("quote.csv", "id,date,description\nA1,2024-01-01,fine\nA2,2024-01-02,\"never closed ", "line 3"),
        ("nolines.jsonl", "{\"id\":\"A1\",\"date\":\"2024-01-01\",\"description\":\"", "line 1"),
    ];
    for (name, head, line) in cases {
        // Two sizes of hostile row, both past the bound: the peak must not grow with it.
        let mut peaks = Vec::new();
        for size in [48usize << 20, 192 << 20] {
            let file = dir.path().join(name);
            write_endless(&file, head, size);
            let (code, peak_mib, stderr) = run_measured(&p, &["ingest", file.to_str().unwrap()]);
            assert_ne!(code, 0, "{name}: {stderr}");
            assert!(stderr.contains(line) && stderr.contains("longer than 16 MiB"), "{name}: {stderr}");
            assert!(!stderr.contains("xxxxxxxx"), "{name}: the row's text is not echoed");
            eprintln!("{name}: a {} MiB row refused, peak resident memory {peak_mib:.0} MiB", size >> 20);
            peaks.push(peak_mib);
            assert_eq!(incidents(&p), 0, "{name}: nothing imported");
            std::fs::remove_file(&file).unwrap();
        }
        assert!(peaks[1] < 160.0 && peaks[1] - peaks[0] < 16.0, "{name}: peak {peaks:?} MiB grows with the row");
    }
}

#[test]
fn too_many_columns_and_deep_nesting_are_refused_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path());
    // 200,000 distinct keys, one new key a line: refused at the line that passes the cap,
    // before the mapping grows quadratically.
    let keys = dir.path().join("keys.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&keys).unwrap());
    for i in 0..200_000 {
        writeln!(f, "{{\"id\":\"K{i}\",\"date\":\"2024-01-01\",\"description\":\"text\",\"key_{i}\":1}}").unwrap();
    }
    drop(f);
    let (code, peak_mib, stderr) = run_measured(&p, &["ingest", keys.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(stderr.contains("line 998") && stderr.contains("more than 1000"), "{stderr}");
    eprintln!("200,000 keys: refused, peak {peak_mib:.0} MiB");
    // A header of 200,000 columns.
    let wide = dir.path().join("wide.csv");
    let header: Vec<String> = (0..200_000).map(|i| format!("c{i}")).collect();
    std::fs::write(&wide, format!("id,date,description,{}\nA,2024-01-01,x\n", header.join(","))).unwrap();
    let (code, _, stderr) = run_measured(&p, &["ingest", wide.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(stderr.contains("line 1") && stderr.contains("more than 1000"), "{stderr}");
    // 10,000-deep nesting: a bad row with its line, not a stack overflow.
    let deep = dir.path().join("deep.jsonl");
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    std::fs::write(&deep, format!("{{\"id\":\"D1\",\"date\":\"2024-01-01\",\"description\":\"ok\"}}\n{{\"id\":\"D2\",\"date\":\"2024-01-01\",\"description\":\"x\",\"n\":{nested}}}\n")).unwrap();
    let (code, _, stderr) = run_measured(&p, &["ingest", deep.to_str().unwrap()]);
    assert_eq!(code, 3, "rejected for a bad row: {stderr}");
    assert!(stderr.contains("line 2") || stderr.contains(":2"), "{stderr}");
    assert_eq!(incidents(&p), 0, "nothing imported from any of them");
}
