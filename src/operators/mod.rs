//! The operator catalog: controllers that act for whoever writes their
//! custom resources (GitOps, pipelines, backups, policies, secret stores),
//! as data (`operators.yaml` at the repository root, built in; another
//! file with `--operators`). Each entry names the custom resources that
//! steer the controller, how the controller is recognised, what it then
//! does, and the lockdown that defeats it.
//!
//! The catalog is read and checked here (`catalog`); which entries are
//! live in a snapshot (their CRDs present, their controller running, their
//! lockdown off) is worked out in `recognise`. The access graph turns the
//! live ones into steps. Pure but for [`Catalog::load`].

mod catalog;
mod error;
mod gates;
mod recognise;

pub use catalog::{
    Catalog, Controller, Lockdown, LockdownObjects, Operator, Power, Steer, Watches,
};
pub use error::CatalogError;
pub use gates::{Gate, ProjectReach, StoreReach};
pub use recognise::{Live, LiveSteer, Operators, Unlive, Why};

/// The built-in catalog, `operators.yaml` at the repository root.
pub const DEFAULT_CATALOG: &str = include_str!("../../operators.yaml");
/// The name the built-in catalog is reported under.
pub const DEFAULT_CATALOG_NAME: &str = "operators.yaml (built in)";
