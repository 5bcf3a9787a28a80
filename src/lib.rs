//! rbacscan: a Kubernetes RBAC risk scanner.
//!
//! Data flows one way: a [`source`] (a live cluster, offline files, the demo) yields a
//! [`snapshot::Snapshot`]; [`rbac`] resolves it with the authorizer's exact
//! semantics; [`access`] holds the graph of who reaches what and answers
//! who-can, access and paths; [`findings`] matches the
//! [`template`] against it; [`report`] renders the result. Everything between
//! source and report is pure.

pub mod access;
pub mod ask;
pub mod baseline;
pub mod cli;
pub mod commands;
pub mod config;
pub mod cores;
pub mod error;
pub mod exceptions;
pub mod findings;
pub mod merge;
pub mod output;
pub mod previous;
pub mod progress;
pub mod rating;
pub mod rbac;
pub mod report;
pub mod selection;
pub mod snapshot;
pub mod source;
pub mod template;
pub mod terminal;
pub mod words;
pub mod workloads;
