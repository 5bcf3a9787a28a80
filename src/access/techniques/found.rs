//! What a technique gives back: the steps it found, each towards a node of
//! the graph, and the words of the permissions they use.

use crate::access::model::{Node, Step, StepGrant, Technique};

/// The steps found for one holder, as (target, step), in the order found.
pub type Found = Vec<(Node, Step)>;

/// A step of technique `how` taken in `ns` (`None`: cluster-wide), using
/// `permissions`, granted by `grounds`.
pub fn step(
    how: Technique,
    ns: Option<&str>,
    permissions: Vec<String>,
    grounds: Vec<StepGrant>,
) -> Step {
    Step {
        how,
        permissions,
        namespace: ns.map(String::from),
        grounds,
        pod: None,
        because: None,
    }
}

/// `verb resource[/sub][.group]`, as kubectl writes a permission.
pub fn permission(verb: &str, group: &str, resource: &str, sub: &str) -> String {
    let mut s = format!("{verb} {resource}");
    if !sub.is_empty() {
        s.push('/');
        s.push_str(sub);
    }
    if !group.is_empty() {
        s.push('.');
        s.push_str(group);
    }
    s
}

/// The API group of RBAC's resources.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
