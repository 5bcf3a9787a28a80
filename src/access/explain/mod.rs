//! The answers of `who-can`, `access` and `paths` as plain, serialisable
//! data with every object named, and each step of a route as one sentence
//! that names the objects granting it. Reports render these; they do not
//! look anything up. Pure: no I/O.

mod holdings;
mod naming;
mod paths;
mod who_can;

pub use holdings::{DiffView, DifferenceView, HeldView, HoldingsView};
pub use naming::{GroundView, Namer, NodeRef, Origin};
pub use paths::{
    Continuation, CutView, FirstBindingCut, OtherRoute, PathView, PathsView, RemovalKind,
    RemovalView, StepView,
};
pub use who_can::{AllowedView, RequestView, WhoCanView};
