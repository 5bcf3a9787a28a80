//! Offline input decoding (YAML, JSON, lists, snapshot files) and, when the
//! input loads, the whole analysis with the built-in template.
#![no_main]

#[allow(dead_code)]
#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::dump_decoder(data));
