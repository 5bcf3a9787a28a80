//! EKS's `aws-auth` ConfigMap (`kube-system/aws-auth`), as the snapshot
//! keeps it: its `mapRoles` and `mapUsers` texts, which map IAM roles and
//! users to Kubernetes users and groups. Every other ConfigMap, and every
//! other key of this one, is skipped unread. The mappings are parsed when
//! asked for ([`AwsAuth::mappings`]), so a broken one is reported, not
//! refused: EKS itself would ignore it.

use serde::{Deserialize, Serialize};

/// The namespace and name of the ConfigMap EKS reads.
pub const AWS_AUTH: (&str, &str) = ("kube-system", "aws-auth");

/// The `aws-auth` ConfigMap: its name and its mappings' texts.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AwsAuth {
    /// `metadata`: its name and namespace.
    #[serde(default)]
    pub metadata: super::crd::CrdMeta,
    /// `data`: `mapRoles` and `mapUsers` only.
    #[serde(default)]
    pub data: Option<AwsAuthData>,
}

/// The keys of `aws-auth` that map IAM identities.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsAuthData {
    /// `mapRoles`: a YAML list of `{rolearn, username, groups}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_roles: Option<String>,
    /// `mapUsers`: a YAML list of `{userarn, username, groups}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_users: Option<String>,
}

/// Whether an IAM identity is a role or a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IamKind {
    /// An IAM role (`mapRoles`).
    Role,
    /// An IAM user (`mapUsers`).
    User,
}

impl IamKind {
    /// `IAM role` or `IAM user`.
    pub fn as_str(self) -> &'static str {
        match self {
            IamKind::Role => "IAM role",
            IamKind::User => "IAM user",
        }
    }
}

/// One IAM identity mapped to a Kubernetes user and groups.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IamMapping {
    /// A role or a user.
    pub kind: IamKind,
    /// Its ARN.
    pub arn: String,
    /// The Kubernetes user name it is given (may hold `{{SessionName}}` or
    /// another placeholder EKS fills in), if any.
    pub username: Option<String>,
    /// The Kubernetes groups it is given.
    pub groups: Vec<String>,
}

impl IamMapping {
    /// Whether its user name is fixed (no `{{placeholder}}` EKS fills in).
    pub fn fixed_username(&self) -> Option<&str> {
        self.username.as_deref().filter(|u| !u.contains("{{"))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMapping {
    #[serde(default)]
    rolearn: Option<String>,
    #[serde(default)]
    userarn: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
}

impl AwsAuth {
    /// Whether it is the ConfigMap EKS reads (`kube-system/aws-auth`).
    pub fn is_the_one(&self) -> bool {
        self.metadata.namespace.as_deref() == Some(AWS_AUTH.0)
            && self.metadata.name.as_deref() == Some(AWS_AUTH.1)
    }

    /// Its mappings, roles then users, each in the order written; and what
    /// could not be read (a key that is not a YAML list of mappings, an
    /// entry without its ARN), one line each.
    pub fn mappings(&self) -> (Vec<IamMapping>, Vec<String>) {
        let (mut out, mut problems) = (Vec::new(), Vec::new());
        let Some(data) = &self.data else {
            return (out, problems);
        };
        for (key, text, kind) in [
            ("mapRoles", &data.map_roles, IamKind::Role),
            ("mapUsers", &data.map_users, IamKind::User),
        ] {
            let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) else {
                continue;
            };
            let raw: Vec<RawMapping> = match serde_saphyr::from_str(text) {
                Ok(r) => r,
                Err(e) => {
                    // The parser's first line: what and where (the
                    // mappings hold ARNs and names, nothing secret).
                    let message = e.to_string();
                    let first = message.lines().next().unwrap_or("not YAML");
                    problems.push(format!("{key}: not a list of mappings: {first}"));
                    continue;
                }
            };
            for (i, m) in raw.into_iter().enumerate() {
                let arn = match kind {
                    IamKind::Role => m.rolearn,
                    IamKind::User => m.userarn,
                };
                match arn.filter(|a| !a.is_empty()) {
                    Some(arn) => out.push(IamMapping {
                        kind,
                        arn,
                        username: m.username.filter(|u| !u.is_empty()),
                        groups: m.groups,
                    }),
                    None => problems.push(format!(
                        "{key}[{i}]: no {}",
                        match kind {
                            IamKind::Role => "rolearn",
                            IamKind::User => "userarn",
                        }
                    )),
                }
            }
        }
        (out, problems)
    }
}

impl Serialize for AwsAuth {
    /// As a `v1 ConfigMap` with its name and the two keys kept.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("ConfigMap", 4)?;
        m.serialize_field("apiVersion", "v1")?;
        m.serialize_field("kind", "ConfigMap")?;
        m.serialize_field("metadata", &self.metadata)?;
        if let Some(data) = &self.data {
            m.serialize_field("data", data)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws_auth(roles: &str, users: &str) -> AwsAuth {
        AwsAuth {
            metadata: super::super::crd::CrdMeta {
                name: Some("aws-auth".into()),
                namespace: Some("kube-system".into()),
            },
            data: Some(AwsAuthData {
                map_roles: Some(roles.into()),
                map_users: Some(users.into()),
            }),
        }
    }

    #[test]
    fn roles_and_users_are_mapped_as_eks_writes_them() {
        // As the EKS documentation writes aws-auth: a node role with the
        // EC2PrivateDNSName placeholder, an admin role, and a user.
        let a = aws_auth(
            "- rolearn: arn:aws:iam::111122223333:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: arn:aws:iam::111122223333:role/admin\n  username: admin\n  groups: [system:masters]\n",
            "- userarn: arn:aws:iam::111122223333:user/ops\n  username: ops\n  groups: [ops-team]\n",
        );
        let (m, problems) = a.mappings();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].fixed_username(), None);
        assert_eq!(m[0].groups, ["system:bootstrappers", "system:nodes"]);
        assert_eq!(
            (m[1].kind, m[1].fixed_username()),
            (IamKind::Role, Some("admin"))
        );
        assert_eq!(
            (m[2].kind, m[2].arn.as_str()),
            (IamKind::User, "arn:aws:iam::111122223333:user/ops")
        );
    }

    #[test]
    fn a_broken_key_or_entry_is_a_problem_not_an_error() {
        let a = aws_auth("not: [a, list", "- username: nobody\n");
        let (m, problems) = a.mappings();
        assert!(m.is_empty());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("mapRoles: "), "{problems:?}");
        assert_eq!(problems[1], "mapUsers[0]: no userarn");
    }
}
