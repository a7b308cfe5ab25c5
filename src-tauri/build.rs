use std::path::Path;

fn main() {
    // `generate_context!` refuses to compile when the frontend folder is missing. A plain
    // `cargo build` or `cargo test` from a fresh clone has not run the UI build yet, so put
    // a page there that says how to build the real UI instead of failing the whole workspace.
    let dist = Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(dist).expect("create ui/dist");
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Incident Atlas</title></head>\
             <body><p>The web UI has not been built. Run <code>npm run build</code> in the project root.</p></body></html>",
        )
        .expect("write placeholder ui/dist/index.html");
    }
    // The whole folder: generate_context! embeds every built asset, and Vite names them by hash.
    println!("cargo:rerun-if-changed=../ui/dist");
    // Declaring the app's commands makes Tauri generate a permission per command, so the
    // capability file can grant exactly the ones the UI uses.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "project_overview",
        "choose_folder",
        "open_project",
        "map_data",
        "list_runs",
        "cluster_triage",
        "set_cluster_status",
        "cluster_history",
        "merge_clusters",
        "split_cluster",
        "incident_detail",
        "incident_previews",
        "search_incidents",
        "list_jobs",
        "cancel_job",
        "start_import",
        "start_encode",
        "start_analyse",
        "review_overview",
        "choose_reviewer",
        "save_schema",
        "create_session",
        "session_items",
        "record_label",
        "undo_label",
        "label_suggestion",
        "session_agreement",
        "adjudicate",
        "freeze_benchmark",
        "export_benchmark",
        "audit_verify",
        "label_cluster",
        "evaluation_overview",
        "derive_benchmark",
        "start_evaluate",
        "evaluation_detail",
        "export_report",
        "models_overview",
        "start_train",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build step");
}
