fn main() {
    // Tauri embeds `ui/dist` at compile time. A plain `cargo build` from a fresh clone
    // has not run the UI build yet: give it a page that says so, instead of failing.
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/dist");
    if !dist.join("index.html").exists() {
        let _ = std::fs::create_dir_all(&dist);
        let _ = std::fs::write(
            dist.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>WhatsApp-Use</title>\
             <p style=\"font-family:sans-serif\">The window's UI is not built: run <code>npm --prefix ui ci &amp;&amp; npm --prefix ui run build</code>.</p>",
        );
    }
    println!("cargo:rerun-if-changed=ui/dist/index.html");
    #[cfg(feature = "desktop")]
    tauri_build::build();
}
