//! Cloud identities: on EKS, the `aws-auth` ConfigMap in `kube-system`
//! maps IAM identities to Kubernetes users and groups, `system:masters`
//! among them; whoever may update it grants itself any group.

use super::found::{Found, step};
use super::holder::Holder;
use super::lookup::Lookup;
use crate::access::model::{Node, Technique};
use crate::rbac::SubjectId;
use crate::rbac::subjects::MASTERS;

/// The EKS ConfigMap that maps IAM identities to Kubernetes groups.
const AWS_AUTH: (&str, &str) = ("kube-system", "aws-auth");

/// The `aws-auth` ConfigMap (found once, in the cluster-wide pass, with
/// kube-system's own rules as well).
pub(super) fn steps(holder: &Holder<'_>, _lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found) {
    if ns.is_some() {
        return;
    }
    let found = ["update", "patch"].iter().find_map(|v| {
        let g = holder
            .grants(Some(AWS_AUTH.0), v, "", "configmaps", "")
            .for_name(AWS_AUTH.1)?;
        Some((format!("{v} configmaps {}", AWS_AUTH.1), g))
    });
    if let Some((perm, g)) = found {
        let s = step(Technique::AwsAuth, Some(AWS_AUTH.0), vec![perm], vec![g]);
        out.push((Node::Subject(SubjectId::group(MASTERS)), s));
    }
}
