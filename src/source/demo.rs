//! The demo cluster bundled into the binary, so `rbacscan scan --demo` works
//! anywhere without a cluster or a checkout.

use super::{Loaded, SourceError, files};

/// The name the demo snapshot is reported under.
pub const DEMO_NAME: &str = "examples/demo-cluster.yaml (built in)";

/// The demo cluster's YAML, as in `examples/demo-cluster.yaml`.
pub const DEMO_YAML: &str = include_str!("../../examples/demo-cluster.yaml");

/// Loads the bundled demo cluster.
pub fn load() -> Result<Loaded, SourceError> {
    load_with(files::Loader::new())
}

/// Loads the bundled demo cluster with `loader` (one that records
/// positions, say).
pub fn load_with(mut loader: files::Loader) -> Result<Loaded, SourceError> {
    loader.add_text(DEMO_NAME, DEMO_YAML)?;
    loader.finish()
}
