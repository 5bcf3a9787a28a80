//! Risk templates: rbacscan's own format and KubiScan's `risky-roles.yaml`.
#![no_main]

#[allow(dead_code)]
#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::template_parser(data));
