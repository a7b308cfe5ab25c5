// The desktop shell: opens a project and exposes engine calls to the web UI. Each command
// is a thin adapter (ARCHITECTURE.md, "src-tauri"); the work happens in the engine.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod background;
mod commands;
mod dialogs;
mod error;
mod images;
mod state;

use std::path::PathBuf;

#[global_allocator]
// Reuses freed memory across threads instead of returning it to the kernel (see
// `engine::allocator`).
static ALLOCATOR: engine::allocator::MiMalloc = engine::allocator::MiMalloc;


fn project_from_args() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--project" {
            return args.next().map(PathBuf::from);
        }
    }
    std::env::var_os("INCIDENT_ATLAS_PROJECT").map(PathBuf::from)
}

/// Whether `url` is one of the app's own pages: the bundled UI, served from the `tauri`
/// scheme (Linux, macOS) or `http://tauri.localhost` (Windows).
fn app_page(url: &tauri::Url) -> bool {
    let host = url.host_str();
    match url.scheme() {
        "tauri" => host == Some("localhost"),
        "http" | "https" => host == Some("tauri.localhost"),
        _ => false,
    }
}

fn main() {
    // GLib's default network monitor (in WebKit's processes too, which inherit this) opens
    // a netlink socket to watch the routing table. The app never uses the network, so the
    // base monitor, which opens nothing, is all it needs (tests/e2e/offline.test.mjs).
    if std::env::var_os("GIO_USE_NETWORK_MONITOR").is_none() {
        std::env::set_var("GIO_USE_NETWORK_MONITOR", "base");
    }
    engine::allocator::keep_freed_memory();
    engine::panics::install_quiet_hook();
    let state = state::AppState::new(project_from_args());
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .setup(|app| {
            // The window of tauri.conf.json, built here to refuse every navigation away
            // from the app's own pages: an injected script cannot load another site into
            // the window that holds the project's IPC.
            let config = app.config().app.windows.first().cloned().ok_or("tauri.conf.json declares no window")?;
            tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?.on_navigation(app_page).build()?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::projects::project_overview,
            commands::projects::open_project,
            commands::projects::unlock_project,
            commands::projects::create_encrypted_project,
            commands::first_run::choose_import_file,
            commands::first_run::preview_import,
            commands::first_run::start_first_run,
            commands::first_run::recent_projects,
            commands::first_run::open_recent,
            commands::first_run::about,
            commands::map::map_data,
            commands::map::map_details,
            commands::map::list_runs,
            commands::clusters::cluster_triage,
            commands::clusters::set_cluster_status,
            commands::clusters::cluster_history,
            commands::clusters::merge_clusters,
            commands::clusters::split_cluster,
            commands::clusters::assign_noise,
            commands::clusters::unassign_noise,
            commands::signals::signals_view,
            commands::signals::start_signals,
            commands::signals::dismiss_signal,
            commands::incidents::incident_detail,
            commands::incidents::incident_previews,
            commands::incidents::search_incidents,
            commands::jobs::list_jobs,
            commands::jobs::cancel_job,
            commands::jobs::start_import,
            commands::jobs::start_encode,
            commands::jobs::start_vectors_import,
            commands::jobs::start_index_import,
            commands::jobs::start_analyse,
            commands::jobs::start_assign,
            commands::review::review_overview,
            commands::review::choose_reviewer,
            commands::review::save_schema,
            commands::review::create_session,
            commands::review::session_items,
            commands::review::record_label,
            commands::review::undo_label,
            commands::review::label_suggestion,
            commands::review::session_agreement,
            commands::review::adjudicate,
            commands::review::freeze_benchmark,
            commands::review::export_benchmark,
            commands::review::audit_verify,
            commands::review::label_cluster,
            commands::evaluation::evaluation_overview,
            commands::evaluation::derive_benchmark,
            commands::evaluation::start_evaluate,
            commands::evaluation::evaluation_detail,
            commands::evaluation::export_report,
            commands::models::models_overview,
            commands::models::start_train,
            commands::models::train_defaults,
            commands::privacy::privacy_patterns,
            commands::privacy::add_privacy_pattern,
            commands::privacy::remove_privacy_pattern,
            commands::privacy::start_fingerprint,
        ])
        .run(tauri::generate_context!());
    if let Err(err) = result {
        eprintln!("error: Incident Atlas could not start: {err}");
        std::process::exit(1);
    }
}
