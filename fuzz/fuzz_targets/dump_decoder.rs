//! Offline input decoding (YAML, JSON, lists, snapshot files) and, when the
//! input loads, the whole analysis with the built-in template.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut l = rbacscan::source::files::Loader::new();
    let name = if data.first().is_some_and(|b| b % 2 == 0) {
        "in.yaml"
    } else {
        "in.json"
    };
    // Any Err is fine; only panics, hangs and OOM are bugs.
    let _ = l.add_bytes(name, data);
    if let Ok(mut loaded) = l.finish() {
        let _ = rbacscan::findings::analyze(
            &mut loaded.snapshot,
            &rbacscan::template::Template::builtin(),
            &rbacscan::findings::AnalysisOptions::default(),
        );
    }
});
