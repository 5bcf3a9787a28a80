//! Serves a cluster dump through the test API server of the integration
//! tests (`tests/it/test_server.rs`), for benchmarks and manual runs of the
//! live path without a cluster:
//!
//! ```text
//! cargo run --release --example test-apiserver -- big.json kubeconfig.yaml
//! rbacscan scan --kubeconfig kubeconfig.yaml     # in another shell
//! ```
//!
//! A dump that is one JSON `List` is served as it is, every field of every
//! object kept, like a real server; any other input (YAML, several
//! documents) is served as rbacscan reads it. It writes a kubeconfig for
//! itself, prints the URL, serves until killed, and prints how many
//! requests it answered when its standard input closes.
#![expect(
    dead_code,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a tool for people that reuses the tests' server: it prints, and a failure ends it"
)]

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
    let list = std::fs::read(dump)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|mut v| match v["items"].take() {
            serde_json::Value::Array(items) => Some(items),
            _ => None,
        });
    let builder = match list {
        Some(items) => test_server::TestServer::serving_objects(items),
        None => {
            let mut loader = rbacscan::source::files::Loader::new();
            if let Err(e) = loader.add_path(dump) {
                eprintln!("test-apiserver: {e}");
                std::process::exit(2);
            }
            test_server::TestServer::serving(
                loader.finish().expect("the dump holds objects").snapshot,
            )
        }
    };
    let server = builder.start();
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
