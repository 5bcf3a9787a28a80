//! Certificates: creating a CertificateSigningRequest for the
//! `kube-apiserver-client` signer and approving it yields a client
//! certificate, whose subject's common name (CN) is the user name the API
//! server sees and whose organizations (O) are the groups.
//!
//! The default admission plugin `CertificateSubjectRestriction` refuses a
//! request for this signer with `O=system:masters`, so the certificate is
//! worth cluster-admin only through an identity that a ClusterRoleBinding
//! grants everything: a user (its name as the CN), a ServiceAccount (its
//! user name, `system:serviceaccount:NS:NAME`, as the CN), or a group other
//! than `system:masters` (as the O; kubeadm binds `kubeadm:cluster-admins`).
//! With no such identity there is no step.

use super::found::{Found, permission, step};
use super::holder::Holder;
use super::lookup::Lookup;
use crate::access::model::{Node, Technique};
use crate::rbac::SubjectId;
use crate::rbac::subjects::SERVICE_ACCOUNT_USER_PREFIX;

const CSR_GROUP: &str = "certificates.k8s.io";
/// The signer whose certificates the API server accepts as client identities.
const CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client";
/// The signer-domain wildcard the approval check also accepts.
const CLIENT_SIGNER_DOMAIN: &str = "kubernetes.io/*";

/// A client certificate through a CSR (cluster-wide rules only).
pub(super) fn steps(holder: &Holder<'_>, lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found) {
    if ns.is_some() {
        return;
    }
    // A client certificate naming an identity bound to everything.
    if let Some(create) = holder
        .grants(None, "create", CSR_GROUP, "certificatesigningrequests", "")
        .all
    {
        let approval = ["update", "patch"].iter().find_map(|v| {
            let g = holder.grants(None, v, CSR_GROUP, "certificatesigningrequests", "approval");
            g.all
                .or_else(|| g.named.into_iter().next().map(|(_, g)| g))
                .map(|g| {
                    (
                        permission(v, CSR_GROUP, "certificatesigningrequests", "approval"),
                        g,
                    )
                })
        });
        let signer = holder.grants(None, "approve", CSR_GROUP, "signers", "");
        let approve = signer
            .for_name(CLIENT_SIGNER)
            .or_else(|| signer.for_name(CLIENT_SIGNER_DOMAIN));
        if let (Some((ap, ag)), Some(sg)) = (approval, approve) {
            let permissions = vec![
                permission("create", CSR_GROUP, "certificatesigningrequests", ""),
                ap,
                format!("approve signers.{CSR_GROUP} {CLIENT_SIGNER}"),
            ];
            for &admin in &lookup.admins {
                let mut s = step(
                    Technique::ApproveCsr,
                    None,
                    permissions.clone(),
                    vec![create.clone(), ag.clone(), sg.clone()],
                );
                s.because = Some(match admin {
                    SubjectId::Group { name } => format!("O={name}"),
                    SubjectId::User { name } => format!("CN={name}"),
                    SubjectId::ServiceAccount { namespace, name } => {
                        format!("CN={SERVICE_ACCOUNT_USER_PREFIX}{namespace}:{name}")
                    }
                });
                out.push((Node::Subject(admin.clone()), s));
            }
        }
    }
}
