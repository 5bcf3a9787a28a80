//! Kubeconfig text resolved as a live scan would, without connecting: the
//! current context and a named one.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // Any Err is fine; only panics, hangs and OOM are bugs.
        let _ = rbacscan::source::live::resolve_kubeconfig(text, None);
        let _ = rbacscan::source::live::resolve_kubeconfig(text, Some("ctx"));
    }
});
