//! The fuzz targets' bodies, as plain functions of the input bytes. Each
//! target in `fuzz_targets/` is one `fuzz_target!` line that calls its body;
//! the main crate's tests compile this file too (`tests/it/fuzz_bodies.rs`)
//! and run every body on its committed seeds, so that a change of
//! rbacscan's API cannot leave the fuzz crate broken unnoticed. Any `Err`
//! is a correct answer: only panics, hangs and running out of memory are
//! bugs.

/// Offline input decoding (YAML, JSON, lists, snapshot files) and, when
/// the input loads, the whole analysis with the built-in template.
pub fn dump_decoder(data: &[u8]) {
    let mut l = rbacscan::source::files::Loader::new();
    let name = if data.first().is_some_and(|b| b % 2 == 0) {
        "in.yaml"
    } else {
        "in.json"
    };
    let _ = l.add_bytes(name, data);
    if let Ok(mut loaded) = l.finish() {
        let _ = rbacscan::findings::analyze(
            &mut loaded.snapshot,
            &rbacscan::template::Template::builtin(),
            &rbacscan::findings::AnalysisOptions::default(),
        );
    }
}

/// Risk templates: rbacscan's own format and KubiScan's `risky-roles.yaml`.
pub fn template_parser(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = rbacscan::template::Template::parse("t.yaml", text);
    }
}

/// Kubeconfig text resolved as a live scan would, without connecting: the
/// current context and a named one.
pub fn kubeconfig(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = rbacscan::source::live::resolve_kubeconfig(text, None);
        let _ = rbacscan::source::live::resolve_kubeconfig(text, Some("ctx"));
    }
}
