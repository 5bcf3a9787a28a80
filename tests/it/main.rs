//! One integration-test binary (links once): end-to-end runs of the real
//! binary, and library-level checks against real API-server fixtures.
#![expect(
    clippy::unwrap_used,
    clippy::print_stderr,
    reason = "a test that fails panics with the value; the browser test says why it skips"
)]

mod aws_auth;
mod baseline;
mod cli;
mod cloud;
#[path = "../../benches/common/cluster.rs"]
mod cluster;
mod connect;
mod cut;
mod demo;
mod exceptions;
mod fleet;
mod fuzz_bodies;
mod hostile;
mod html;
mod in_cluster;
mod layers;
mod live;
mod live_faults;
mod manifests;
mod operators;
mod paths;
mod pods;
mod rating;
mod real_server;
mod schema;
mod semantics;
mod support;
mod test_server;
mod unused;
mod who_can;
mod workloads;
