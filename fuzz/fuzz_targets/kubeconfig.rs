//! Kubeconfig text resolved as a live scan would, without connecting: the
//! current context and a named one.
#![no_main]

#[allow(dead_code)]
#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::kubeconfig(data));
