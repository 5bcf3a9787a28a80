//! Certificates: creating a CertificateSigningRequest for the
//! `kube-apiserver-client` signer and approving it yields a client
//! certificate for any identity.

use super::found::{Found, permission, step};
use super::holder::Holder;
use super::lookup::Lookup;
use crate::access::model::{Node, Technique};
use crate::rbac::SubjectId;
use crate::rbac::subjects::MASTERS;

const CSR_GROUP: &str = "certificates.k8s.io";
/// The signer whose certificates the API server accepts as client identities.
const CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client";
/// The signer-domain wildcard the approval check also accepts.
const CLIENT_SIGNER_DOMAIN: &str = "kubernetes.io/*";

/// A client certificate through a CSR (cluster-wide rules only).
pub(super) fn steps(holder: &Holder<'_>, _lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found) {
    if ns.is_some() {
        return;
    }
    // A client certificate for any identity, system:masters included.
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
            out.push((
                Node::Subject(SubjectId::group(MASTERS)),
                step(
                    Technique::ApproveCsr,
                    None,
                    vec![
                        permission("create", CSR_GROUP, "certificatesigningrequests", ""),
                        ap,
                        format!("approve signers.{CSR_GROUP} {CLIENT_SIGNER}"),
                    ],
                    vec![create, ag, sg],
                ),
            ));
        }
    }
}
