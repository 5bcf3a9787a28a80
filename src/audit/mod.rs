//! What an API server's audit log shows was used: the requests each user
//! made and the authorizer allowed, counted once each, for least privilege
//! (`rbacscan unused`). Pure: the files are read by `source::audit`.
//!
//! - [`event`]: the slim model of an audit Event; request and response
//!   bodies, `user.extra` and other annotations are never decoded.
//! - [`request`]: what a request is for the authorizer (after
//!   impersonation; a non-resource URL without its query string).
//! - [`verdict`]: whether an event says its request was allowed, denied,
//!   or not decided yet.
//! - [`tally`]: the counts while reading, mergeable; [`usage`]: the result.
//!
//! # Which requests count
//!
//! Only allowed requests are uses: the decision annotation
//! (`authorization.k8s.io/decision: allow`), or, without it, a response
//! code below 400 ([`verdict`] has the whole rule, and what is skipped).
//!
//! Each request counts once, whatever its stages: `RequestReceived`,
//! `ResponseStarted` (a watch), `ResponseComplete` and `Panic` share one
//! `auditID`, and the tally keeps each ID it has seen (16 bytes: see
//! [`audit_id`]). A request's decision is taken from the first of its
//! events that carries one (a decision annotation or a response code):
//! `RequestReceived` is written before the authorizer runs and carries
//! neither, so a request seen only there is pending, and a later stage
//! that is denied (403) makes it a denial, not a use. A request that no
//! event decides, in the whole input (a watch still open when the log
//! ends, a policy that keeps only `RequestReceived`), counts as allowed
//! when the tally is finished. Files may come in any order (rotated logs):
//! the decision does not depend on which stage is read first, and the
//! request is keyed by what its deciding event says, received at its
//! `requestReceivedTimestamp` (the same at every stage).

pub mod audit_id;
pub mod error;
pub mod event;
mod intern;
pub mod request;
pub mod tally;
pub mod usage;
pub mod verdict;

pub use error::AuditError;
pub use event::Event;
pub use request::{Request, RequestRef};
pub use tally::{Mark, Tally};
pub use usage::{Problem, Unparseable, Usage, Used, Window};
pub use verdict::{Skip, Verdict};
