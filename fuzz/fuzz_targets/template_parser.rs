//! Risk templates: rbacscan's own format and KubiScan's `risky-roles.yaml`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // Any Err is fine; only panics, hangs and OOM are bugs.
        let _ = rbacscan::template::Template::parse("t.yaml", text);
    }
});
