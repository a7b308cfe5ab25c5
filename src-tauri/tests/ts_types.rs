//! The TypeScript types of everything the UI and the backend exchange over the Tauri IPC,
//! rendered from the Rust types with ts-rs and kept in `ui/src/api/generated.ts`, which
//! the UI imports (through `ui/src/api/types.ts`). A Rust type that changes without the
//! file being regenerated fails `generated_ts_matches_the_rust_types`; to regenerate:
//!
//! ```sh
//! ATLAS_WRITE_TS=1 cargo test -p incident-atlas-app --test ts_types
//! ```
//!
//! The engine's types derive `ts_rs::TS` behind its `ts` feature, which this package's
//! dependency on the engine turns on; the app's own view structs derive it under
//! `cfg(test)`. The app is a binary only, so its modules are compiled into this test from
//! their source files (`the_test_compiles_every_module_of_the_app` keeps the lists equal).

// Only the types are used here; the commands themselves are compiled but never called.
#![allow(dead_code, unused_imports)]

// The modules `src/main.rs` declares (keep the two lists the same).
#[path = "../src/background.rs"]
mod background;
#[path = "../src/commands/mod.rs"]
mod commands;
#[path = "../src/dialogs.rs"]
mod dialogs;
#[path = "../src/error.rs"]
mod error;
#[path = "../src/images.rs"]
mod images;
#[path = "../src/state.rs"]
mod state;

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use ts_rs::{Config, TypeVisitor, TS};

const HEADER: &str = "// Generated from the Rust types by `cargo test -p incident-atlas-app --test ts_types`;\n\
// do not edit; set ATLAS_WRITE_TS=1 to rewrite.\n";

const HOW_TO_REGENERATE: &str =
    "ATLAS_WRITE_TS=1 cargo test -p incident-atlas-app --test ts_types";

/// Every type a command returns, takes as a structured argument, or emits as an event.
/// Types they contain are found from these and rendered too.
fn visit_ipc_types(v: &mut impl TypeVisitor) {
    // Projects, map, clusters, incidents, search.
    v.visit::<commands::projects::ProjectOverview>();
    v.visit::<engine::ingest::ImportPreview>();
    v.visit::<commands::first_run::ColumnChoice>();
    v.visit::<engine::recent::RecentProject>();
    v.visit::<engine::about::About>();
    v.visit::<engine::cluster::RunRecord>();
    v.visit::<engine::explore::MapData>();
    v.visit::<engine::triage::TriageRow>();
    v.visit::<engine::triage::Decision>();
    v.visit::<engine::triage::HistoryEntry>();
    v.visit::<engine::triage::Status>();
    v.visit::<engine::cluster::EditOutcome>();
    v.visit::<engine::cluster::NoiseOutcome>();
    v.visit::<engine::cluster::RepresentationChoice>();
    v.visit::<engine::explore::IncidentDetail>();
    v.visit::<engine::store::Preview>();
    v.visit::<engine::explore::SearchHit>();
    v.visit::<engine::fields::Filter>();
    // Signals.
    v.visit::<engine::signals::SignalsView>();
    v.visit::<engine::signals::Dismissal>();
    // Jobs (returned by list_jobs, and the payload of every `job` event).
    v.visit::<engine::jobs::JobSnapshot>();
    // Review.
    v.visit::<commands::review::ReviewOverview>();
    v.visit::<engine::review::Reviewer>();
    v.visit::<engine::review::LabelDef>();
    v.visit::<engine::review::Schema>();
    v.visit::<engine::review::SessionSpec>();
    v.visit::<engine::review::Session>();
    v.visit::<engine::review::ItemState>();
    v.visit::<engine::review::LabelAck>();
    v.visit::<engine::review::Suggestion>();
    v.visit::<engine::review::AgreementReport>();
    v.visit::<engine::review::benchmark::BenchmarkHeader>();
    v.visit::<engine::store::audit::Verification>();
    v.visit::<engine::audit::AuditReport>();
    // Evaluation and models.
    v.visit::<commands::evaluation::EvaluationOverview>();
    v.visit::<commands::evaluation::EvaluationDetail>();
    v.visit::<commands::models::ModelsOverview>();
    v.visit::<engine::train::TrainRequest>();
    // Privacy (the fingerprint is a job's result).
    v.visit::<commands::privacy::HospitalNumberPattern>();
    v.visit::<engine::fingerprint::Fingerprint>();
    // What every failed command rejects with.
    v.visit::<error::CommandError>();
}

/// Collects the declarations of the visited types and of every type they contain.
struct Declarations {
    cfg: Config,
    seen: HashSet<TypeId>,
    /// TypeScript name -> declaration.
    decls: BTreeMap<String, String>,
}

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Types without a declaration of their own (numbers, strings, arrays, options) have
        // no output path.
        if T::output_path().is_none() || !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        let name = T::ident(&self.cfg);
        let decl = format!(
            "{}export {}",
            T::docs().unwrap_or_default(),
            layout(&T::decl(&self.cfg))
        );
        // A type and its stand-in (serde_json::Value renders as ts-rs's JsonValue) declare
        // the same thing; two different declarations of one name would be a clash.
        if let Some(other) = self.decls.insert(name.clone(), decl.clone()) {
            assert_eq!(
                other, decl,
                "two Rust types render as the TypeScript type {name}; rename one with #[ts(rename = \"..\")]"
            );
        }
        T::visit_dependencies(self);
    }
}

/// The whole of `generated.ts`: the header, then every declaration sorted by name.
pub fn render() -> String {
    render_types(visit_ipc_types)
}

/// The header, then the declarations of the types `visit` visits and of the types they
/// contain, sorted by name.
fn render_types(visit: impl FnOnce(&mut Declarations)) -> String {
    let mut d = Declarations {
        // i64 and u64 arrive in JavaScript as numbers (serde_json writes them as JSON
        // numbers), not as the bigint ts-rs assumes by default.
        cfg: Config::new().with_large_int("number"),
        seen: HashSet::new(),
        decls: BTreeMap::new(),
    };
    visit(&mut d);
    let mut out = String::from(HEADER);
    for decl in d.decls.values() {
        out.push('\n');
        out.push_str(decl);
        out.push('\n');
    }
    out
}

/// Lays out `type X = { a: A, b: B, };` one field a line; anything else stays as rendered.
fn layout(decl: &str) -> String {
    let Some((head, body)) = decl.split_once(" = ") else {
        return decl.to_string();
    };
    let Some(inner) = body
        .strip_suffix(';')
        .and_then(|b| b.strip_prefix("{ "))
        .and_then(|b| b.strip_suffix(" }"))
    else {
        return decl.to_string();
    };
    // A body such as `{ a } & { b }` or `{ a } | { b }` is more than one object.
    let Some(fields) = split_top_level(inner) else {
        return decl.to_string();
    };
    let mut out = format!("{head} = {{\n");
    for field in fields {
        // A field is `name: type,`, after its doc comment if it has one.
        for line in field.trim().lines().map(str::trim_end).filter(|l| !l.is_empty()) {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out.push_str("};");
    out
}

/// The fields of an object type's body, split at its top-level commas (each keeps its
/// comma); `None` when the body closes its object early (`{ a } & { b }`).
fn split_top_level(inner: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        match c {
            // Doc comments may hold any character: copy them through whole.
            '/' if chars.peek() == Some(&'*') => {
                let mut prev = c;
                for c in chars.by_ref() {
                    current.push(c);
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
            }
            '"' => {
                for c in chars.by_ref() {
                    current.push(c);
                    if c == '"' {
                        break;
                    }
                }
            }
            '{' | '[' | '(' | '<' => depth += 1,
            '}' | ']' | ')' | '>' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            ',' if depth == 0 => fields.push(std::mem::take(&mut current)),
            _ => {}
        }
    }
    if !current.trim().is_empty() {
        fields.push(current);
    }
    Some(fields)
}

/// `Ok` when the committed file is what the Rust types render; otherwise an error naming
/// the first line that differs and how to regenerate.
pub fn check(committed: &str, rendered: &str) -> Result<(), String> {
    let committed = committed.replace("\r\n", "\n");
    if committed == rendered {
        return Ok(());
    }
    let mut old = committed.lines();
    let mut new = rendered.lines();
    let mut line = 1;
    let (was, now) = loop {
        match (old.next(), new.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (a, b) => break (a.unwrap_or("(end of file)"), b.unwrap_or("(end of file)")),
        }
    };
    Err(format!(
        "ui/src/api/generated.ts is out of date with the Rust types it mirrors.\n\
         First difference, line {line}:\n  file:  {was}\n  Rust:  {now}\n\
         Regenerate it with `{HOW_TO_REGENERATE}`, then check that the UI still typechecks \
         (`npx tsc -p ui --noEmit`)."
    ))
}

fn generated_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/api/generated.ts")
}

#[test]
fn generated_ts_matches_the_rust_types() {
    let rendered = render();
    let path = generated_path();
    if std::env::var("ATLAS_WRITE_TS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &rendered)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if let Err(message) = check(&committed, &rendered) {
        panic!("{message}");
    }
}

// A type as the committed file saw it, and the same type after a change on the Rust side.
#[derive(ts_rs::TS)]
struct Probe {
    id: i64,
    /// Shown in the list.
    name: String,
}

mod changed {
    #[derive(ts_rs::TS)]
    pub struct Probe {
        pub id: i64,
        /// Shown in the list.
        pub name: Option<String>,
    }
}

#[test]
fn the_drift_check_fails_when_a_type_changes() {
    let committed = render_types(|v| v.visit::<Probe>());
    assert!(committed.contains("export type Probe = {\n  id: number,\n"), "{committed}");
    assert_eq!(check(&committed, &committed), Ok(()));
    let changed = render_types(|v| v.visit::<changed::Probe>());
    let err = check(&committed, &changed).expect_err("a changed field type must fail");
    assert!(err.contains("name: string,") && err.contains("name: string | null,"), "{err}");
    assert!(err.contains(HOW_TO_REGENERATE), "{err}");

    // On the real file too: a field changed, a field missing, a file cut short.
    let rendered = render();
    let field = rendered
        .lines()
        .find(|l| l.starts_with("  ") && l.ends_with(": number,"))
        .expect("a number field in the rendering");
    let retyped = rendered.replacen(field, &field.replace(": number,", ": string,"), 1);
    assert!(check(&retyped, &rendered).is_err());
    let dropped = rendered.replacen(&format!("{field}\n"), "", 1);
    assert!(check(&dropped, &rendered).is_err());
    let half: String = rendered.chars().take(rendered.chars().count() / 2).collect();
    assert!(check(&half, &rendered).is_err());
    assert!(check("", &rendered).is_err());
    // Line endings alone are no difference (a checkout with CRLF).
    assert_eq!(check(&rendered.replace('\n', "\r\n"), &rendered), Ok(()));
}

#[test]
fn large_integers_render_as_numbers() {
    let rendered = render();
    assert!(!rendered.contains("bigint"), "{rendered}");
}

/// The `#[path]` modules above are the app's: a module added to `src/main.rs` and not here
/// would leave its types out of the check.
#[test]
fn the_test_compiles_every_module_of_the_app() {
    let main = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/main.rs")).unwrap();
    let declared: Vec<&str> = main
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    let this = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ts_types.rs")).unwrap();
    let compiled: Vec<&str> = this
        .lines()
        .filter(|l| !l.starts_with("    "))
        .filter_map(|l| l.strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    assert_eq!(compiled, declared, "tests/ts_types.rs compiles other modules than src/main.rs declares");
}
