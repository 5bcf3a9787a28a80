//! EKS's IAM doors: `kube-system/aws-auth` maps IAM roles and users to
//! Kubernetes users and groups. An IAM identity mapped to `system:masters`,
//! or to a user or group with a route to cluster-admin-equivalent power,
//! is cluster-admin for whoever can assume that role or act as that user in
//! AWS: one `iam-cluster-admin` finding per such identity, naming the
//! mapping and the shortest route. Mappings that cannot be read are notes.

use crate::access::graph::AccessGraph;
use crate::access::model::Node;
use crate::access::paths::Toward;
use crate::rbac::SubjectId;
use crate::rbac::subjects::MASTERS;
use crate::snapshot::aws_auth::IamMapping;
use crate::template::Severity;

use super::{Code, Finding, FindingScope, Model, Sink};

/// Adds an `iam-cluster-admin` finding per IAM identity that aws-auth maps
/// to cluster-admin-equivalent power.
pub fn find(m: &Model<'_, '_, '_, '_>, graph: &AccessGraph, sink: &mut Sink) {
    let cx = m.cx;
    let Some(aws_auth) = cx.snapshot.aws_auth.first() else {
        return;
    };
    let (mappings, problems) = aws_auth.mappings();
    for p in problems {
        sink.note(format!(
            "kube-system/aws-auth: {p}; EKS ignores what it cannot read"
        ));
    }
    let Some(admin) = graph.find(&Node::ClusterAdmin) else {
        return;
    };
    let toward = Toward::search(graph, admin);
    for mapping in &mappings {
        // Who EKS makes of it: its fixed user name (a name with a
        // placeholder matches no binding), its groups, and the group every
        // authenticated identity is in.
        let who: Vec<SubjectId> = (mapping.fixed_username())
            .map(|u| SubjectId::User { name: u.into() })
            .into_iter()
            .chain(mapping.groups.iter().map(|g| SubjectId::group(g)))
            .chain([SubjectId::group("system:authenticated")])
            .collect();
        let best = (who.iter())
            .filter_map(|s| {
                let n = graph.find(&Node::Subject(s.clone()))?;
                Some((toward.hops(n)?, s))
            })
            .min_by_key(|(hops, _)| *hops);
        if let Some((hops, through)) = best {
            sink.push(finding(mapping, through, hops));
        }
    }
}

fn finding(mapping: &IamMapping, through: &SubjectId, hops: u32) -> Finding {
    let given = {
        let mut parts = Vec::new();
        if let Some(u) = &mapping.username {
            parts.push(format!("user {u}"));
        }
        if !mapping.groups.is_empty() {
            parts.push(format!("groups {}", mapping.groups.join(", ")));
        }
        match parts.is_empty() {
            true => "no user name or group".to_string(),
            false => parts.join(" and "),
        }
    };
    let how = match through {
        SubjectId::Group { name } if name == MASTERS => {
            "system:masters, whose members bypass RBAC".to_string()
        }
        s => format!(
            "{s}, which reaches cluster-admin-equivalent power in {hops} step{} (its path-to-cluster-admin finding, or `rbacscan paths --from {}`, has the route)",
            if hops == 1 { "" } else { "s" },
            endpoint(s)
        ),
    };
    Finding::new(
        Code::IamClusterAdmin,
        Severity::Critical,
        format!("{} {} is cluster-admin through aws-auth", mapping.kind.as_str(), mapping.arn),
        format!(
            "kube-system/aws-auth maps {} {} to {given}: through {how}. Whoever can assume it in AWS (or act as that user) is cluster-admin.",
            mapping.kind.as_str(),
            mapping.arn
        ),
        FindingScope::Cluster,
    )
    .subject(through.clone())
    .remediation(
        "Map the IAM identity to a group bound to only what it needs (or move it to an EKS access entry with a narrow access policy); keep system:masters for a break-glass role, and limit who may assume the role in IAM.",
    )
    .fingerprinted(&mapping.arn)
}

/// The subject as `paths --from` takes it.
fn endpoint(s: &SubjectId) -> String {
    match s {
        SubjectId::User { name } => format!("user:{name}"),
        SubjectId::Group { name } => format!("group:{name}"),
        SubjectId::ServiceAccount { namespace, name } => format!("sa:{namespace}/{name}"),
    }
}
