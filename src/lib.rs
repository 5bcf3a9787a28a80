//! rbacscan: a Kubernetes RBAC risk scanner.
//!
//! The modules form layers, and each imports only the layers before it
//! (`tests/it/layers.rs` checks it, and that no import circle exists):
//!
//! ```text
//! cores, spliced, terminal, words helpers that know nothing of Kubernetes: work on
//!                                 every core, text written ahead of a document
//!   → tables                      a written document's shared tables
//!   → snapshot, audit             what was read: the model every layer reads; what an
//!                                 audit log shows was used (requests counted once each)
//!   → source                      reading it: live (kube), files, the demo, snapshot files
//!   → rbac                        the RBAC authorizer's semantics: resolution, rule matching
//!   → template                    the risky-permission template
//!   → access, usage               permissions, the access graph and its techniques, who-can/access/paths;
//!                                 least privilege from an audit log's requests
//!   → workloads                   what pod specs give away: tokens, amplifiers
//!   → rating                      what grants, subjects, pods and nodes are worth
//!   → previous                    a previous report read back (schema version, header)
//!   → findings                    the checks (findings::CHECKS) and the analysis
//!   → ask, baseline, exceptions   the questions' engine; findings against a baseline, accepted ones
//!   → selection                   what is shown
//!   → report                      rendering: table, JSON, YAML, SARIF, HTML, Markdown, metrics
//!   → merge                       many clusters' reports as one fleet
//!   → cli → config → progress, output → error → commands
//!                                 clap arguments, validated configs, the spinner, atomic
//!                                 writes, one error to one line and an exit code, the commands
//! ```
//!
//! Data flows the same way: a [`source`] yields a [`snapshot::Snapshot`];
//! [`rbac`] resolves it; [`access`] matches the [`template`] and builds the
//! graph of who reaches what ([`workloads`] states what each pod exposes, in
//! the terms [`access::pod_facts`] asks for); [`rating`] prices it;
//! [`findings`] reports on it; [`selection`] filters; [`report`] renders.
//! Everything between source and report is pure: no I/O, no async, no
//! printing (the lints in `Cargo.toml` hold the last).

pub mod access;
pub mod ask;
pub mod audit;
pub mod baseline;
pub mod cli;
pub mod commands;
pub mod config;
pub mod cores;
pub mod error;
pub mod exceptions;
pub mod findings;
pub mod merge;
pub mod operators;
pub mod output;
pub mod previous;
pub mod progress;
pub mod rating;
pub mod rbac;
pub mod report;
pub mod selection;
pub mod snapshot;
pub mod source;
pub mod spliced;
pub mod tables;
pub mod template;
pub mod terminal;
pub mod usage;
pub mod words;
pub mod workloads;
