//! rbacscan: a Kubernetes RBAC risk scanner.
//!
//! Data flows one way: a [`source`] (a live cluster, offline files, the demo) yields a
//! [`snapshot::Snapshot`]; [`rbac`] resolves it with the authorizer's exact
//! semantics; [`graph`] indexes who reaches what; [`findings`] matches the
//! [`template`] against it; [`report`] renders the result. Everything between
//! source and report is pure.

pub mod access;
pub mod app;
pub mod cli;
pub mod error;
pub mod findings;
pub mod graph;
pub mod pods;
pub mod progress;
pub mod rating;
pub mod rbac;
pub mod report;
pub mod snapshot;
pub mod source;
pub mod template;
pub mod terminal;
