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
    // capability file can grant exactly the ones the UI uses. The list is read from the
    // handler list in main.rs, the one place commands are registered (the architecture
    // test checks the capability file and the UI's client against it).
    println!("cargo:rerun-if-changed=src/main.rs");
    let main = std::fs::read_to_string("src/main.rs").expect("read src/main.rs");
    let commands = registered_commands(&main);
    assert!(!commands.is_empty(), "no commands found in generate_handler! in src/main.rs");
    // The manifest keeps the names for the whole build script: leak them (it is one
    // short-lived process).
    let names: &'static [&'static str] =
        Vec::leak(commands.into_iter().map(|c| &*String::leak(c)).collect());
    let manifest = tauri_build::AppManifest::new().commands(names);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build step");
}

/// The last path segment of every entry of `generate_handler![...]`.
fn registered_commands(main: &str) -> Vec<String> {
    let Some(start) = main.find("generate_handler![") else {
        return Vec::new();
    };
    let body = &main[start + "generate_handler![".len()..];
    let body = &body[..body.find(']').unwrap_or(body.len())];
    body.split(',')
        .filter_map(|entry| entry.trim().rsplit("::").next())
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}
