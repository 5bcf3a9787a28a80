//! Serves a cluster dump through the test API server of the integration
//! tests (`tests/it/test_server.rs`), for benchmarks and manual runs of the
//! live path without a cluster:
//!
//! ```text
//! cargo run --release --example test-apiserver -- big.json kubeconfig.yaml
//! rbacscan scan --kubeconfig kubeconfig.yaml     # in another shell
//! ```
//!
//! It writes a kubeconfig for itself, prints the URL, serves until killed,
//! and prints how many requests it answered when its standard input closes.
#![allow(dead_code)]

#[path = "../tests/it/support.rs"]
mod support;
#[path = "../tests/it/test_server.rs"]
mod test_server;

use std::io::Read;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dump, kubeconfig] = args.as_slice() else {
        eprintln!("usage: test-apiserver DUMP KUBECONFIG_OUT");
        std::process::exit(2);
    };
    let mut loader = rbacscan::source::files::Loader::new();
    if let Err(e) = loader.add_path(dump) {
        eprintln!("test-apiserver: {e}");
        std::process::exit(2);
    }
    let server =
        test_server::TestServer::serving(loader.finish().expect("the dump holds objects").snapshot)
            .start();
    let text = server.kubeconfig(&server.ca_pem, &[("test", test_server::TOKEN)]);
    std::fs::write(kubeconfig, text).expect("kubeconfig written");
    println!(
        "serving {dump} at {} (kubeconfig: {kubeconfig})",
        server.url
    );
    // Serve until standard input closes, then report the requests.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    let requests = server.requests();
    println!("{} requests answered", requests.len());
}
