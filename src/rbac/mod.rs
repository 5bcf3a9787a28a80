//! The Kubernetes RBAC authorizer's semantics: rule matching (`rules`), label
//! selectors and aggregated ClusterRoles (`selector`, `aggregation`), who a
//! binding applies to (`subjects`), which requests a RoleBinding can grant
//! (`scope`), and the resolved, indexed roles and bindings (`resolve`).
//! Pure: no I/O.

pub mod aggregation;
pub mod bootstrap;
pub mod platforms;
pub mod resolve;
pub mod rules;
pub mod scope;
pub mod selector;
pub mod subjects;

pub use resolve::{BindingId, Rbac, RoleId, Scope};
pub use subjects::SubjectId;
