//! Least privilege from the API server's audit log (`rbacscan unused`):
//! which of its grants each subject used in the log's window, which it
//! never used (the risky ones first), and a proposal of Roles and bindings
//! that allows every request it made and nothing risky it did not, proven
//! by replaying those requests through the authorizer's rules.
//!
//! - [`attribution`]: the grant that allowed each request, in the
//!   authorizer's order (ClusterRoleBindings, then the RoleBindings of the
//!   request's namespace; each binding's rules in order; the first rule
//!   that allows wins), or as the log's reason annotation names it when
//!   that agrees with the snapshot.
//! - [`grants`]: what each subject's bindings grant, as permissions of one
//!   verb, group, resource and scope (and names, for rules that list them).
//! - [`risk`]: what the risk template makes of one permission.
//! - [`proposal`]: the smallest Roles and bindings for what was used, and
//!   the replay that proves them.
//! - [`report`]: the per-subject result, as the report writes it.
//!
//! Pure: no I/O. The log is read by `crate::source::audit` into the
//! requests [`Observed`] describes.

pub mod attribution;
pub mod grants;
pub mod proposal;
pub mod report;
pub mod risk;

pub use report::{Analysis, Options, analyse};

/// One distinct request the log holds, with how often and when last it
/// was made; the caller's aggregate of the log, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed<'a> {
    /// The user the request was authorized as (the impersonated one, when
    /// impersonated).
    pub user: &'a str,
    /// Its groups.
    pub groups: &'a [Box<str>],
    /// The verb.
    pub verb: &'a str,
    /// The API group (`""`: core).
    pub api_group: &'a str,
    /// The resource (`""` for a non-resource request).
    pub resource: &'a str,
    /// The subresource, or `""`.
    pub subresource: &'a str,
    /// The namespace, or `""`.
    pub namespace: &'a str,
    /// The object's name, or `""`.
    pub name: &'a str,
    /// The URL path of a non-resource request.
    pub non_resource_url: Option<&'a str>,
    /// The authorizer's reason annotation, when the log has it.
    pub reason: Option<&'a str>,
    /// How many counted requests this is.
    pub count: u64,
    /// The last time it was made.
    pub last: jiff::Timestamp,
}

impl Observed<'_> {
    /// The request as the authorizer saw it: a create in a collection or a
    /// deletecollection carries no name (the log may record the created
    /// object's).
    pub fn request(&self) -> crate::rbac::rules::Request<'_> {
        use crate::rbac::rules::{Request, request_is_nameless};
        match self.non_resource_url {
            Some(path) if self.resource.is_empty() => Request::NonResource {
                verb: self.verb,
                path,
            },
            _ => Request::Resource {
                verb: self.verb,
                api_group: self.api_group,
                resource: self.resource,
                subresource: self.subresource,
                name: if request_is_nameless(self.verb, self.subresource) {
                    ""
                } else {
                    self.name
                },
            },
        }
    }

    /// Whether the request is for a non-resource URL.
    pub fn is_non_resource(&self) -> bool {
        self.non_resource_url.is_some() && self.resource.is_empty()
    }
}
