// The desktop shell: opens a project and exposes engine calls to the web UI. Each command
// is a thin adapter (see STYLE.md); the work happens in the engine.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod state;

use std::path::PathBuf;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn project_from_args() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--project" {
            return args.next().map(PathBuf::from);
        }
    }
    std::env::var_os("INCIDENT_ATLAS_PROJECT").map(PathBuf::from)
}

fn main() {
    let state = state::AppState::new(project_from_args());
    let result = tauri::Builder::default()
        .manage(state)
        .invoke_handler(tauri::generate_handler![commands::projects::project_overview])
        .run(tauri::generate_context!());
    if let Err(err) = result {
        eprintln!("error: Incident Atlas could not start: {err}");
        std::process::exit(1);
    }
}
