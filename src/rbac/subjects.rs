//! Who a binding applies to, as the authorizer's `appliesToUser` decides, and
//! the groups every identity belongs to without any binding saying so.

use k8s_openapi::api::rbac::v1::Subject;
use serde::Serialize;

/// The group every authenticated request carries.
pub const AUTHENTICATED: &str = "system:authenticated";
/// The group anonymous requests carry.
pub const UNAUTHENTICATED: &str = "system:unauthenticated";
/// The user name of anonymous requests.
pub const ANONYMOUS: &str = "system:anonymous";
/// The group of every ServiceAccount.
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";
/// The superuser group: its members bypass RBAC entirely.
pub const MASTERS: &str = "system:masters";
/// Prefix of a ServiceAccount's user name, `system:serviceaccount:<ns>:<name>`.
pub const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";

/// An identity a binding can apply to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind")]
pub enum SubjectId {
    /// A ServiceAccount (authenticates as user `system:serviceaccount:<ns>:<name>`).
    ServiceAccount {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// A user name (from certificates, tokens, OIDC, ...).
    User {
        /// The user name.
        name: String,
    },
    /// A group name.
    Group {
        /// The group name.
        name: String,
    },
}

crate::tables::remember_by_value!(SubjectId);

impl std::fmt::Display for SubjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubjectId::ServiceAccount { namespace, name } => {
                write!(f, "ServiceAccount {namespace}/{name}")
            }
            SubjectId::User { name } => write!(f, "User {name}"),
            SubjectId::Group { name } => write!(f, "Group {name}"),
        }
    }
}

/// Why a binding subject applies to nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidSubject {
    /// A `kind` other than User, Group or ServiceAccount.
    UnknownKind(String),
    /// A ServiceAccount with no namespace in a ClusterRoleBinding (nothing to default it to).
    ServiceAccountWithoutNamespace(String),
    /// An empty name.
    EmptyName,
}

impl std::fmt::Display for InvalidSubject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InvalidSubject::UnknownKind(k) => {
                write!(f, "unknown subject kind `{k}` applies to nobody")
            }
            InvalidSubject::ServiceAccountWithoutNamespace(n) => write!(
                f,
                "ServiceAccount `{n}` has no namespace and the binding has none to default to: it applies to nobody"
            ),
            InvalidSubject::EmptyName => {
                f.write_str("subject with an empty name applies to nobody")
            }
        }
    }
}

impl SubjectId {
    /// The identity a binding subject names. `binding_namespace` is `""` for a
    /// ClusterRoleBinding. A ServiceAccount's namespace defaults to the
    /// binding's; a User named `system:serviceaccount:<ns>:<name>` *is* that
    /// ServiceAccount, because the authorizer compares user names.
    pub fn from_binding_subject(
        subject: &Subject,
        binding_namespace: &str,
    ) -> Result<SubjectId, InvalidSubject> {
        if subject.name.is_empty() {
            return Err(InvalidSubject::EmptyName);
        }
        match subject.kind.as_str() {
            "User" => Ok(match parse_service_account_user(&subject.name) {
                Some((namespace, name)) => SubjectId::ServiceAccount {
                    namespace: namespace.into(),
                    name: name.into(),
                },
                None => SubjectId::User {
                    name: subject.name.clone(),
                },
            }),
            "Group" => Ok(SubjectId::Group {
                name: subject.name.clone(),
            }),
            "ServiceAccount" => {
                let ns = subject
                    .namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .unwrap_or(binding_namespace);
                if ns.is_empty() {
                    return Err(InvalidSubject::ServiceAccountWithoutNamespace(
                        subject.name.clone(),
                    ));
                }
                Ok(SubjectId::ServiceAccount {
                    namespace: ns.into(),
                    name: subject.name.clone(),
                })
            }
            other => Err(InvalidSubject::UnknownKind(other.into())),
        }
    }

    /// Groups this identity is in without any binding: every ServiceAccount is
    /// in `system:serviceaccounts`, `system:serviceaccounts:<ns>` and
    /// `system:authenticated`; every user but `system:anonymous` is in
    /// `system:authenticated`, and `system:anonymous` is in
    /// `system:unauthenticated`. Groups do not nest.
    pub fn implicit_groups(&self) -> Vec<String> {
        match self {
            SubjectId::ServiceAccount { namespace, .. } => vec![
                ALL_SERVICE_ACCOUNTS.to_string(),
                format!("{ALL_SERVICE_ACCOUNTS}:{namespace}"),
                AUTHENTICATED.to_string(),
            ],
            SubjectId::User { name } if name == ANONYMOUS => vec![UNAUTHENTICATED.to_string()],
            SubjectId::User { .. } => vec![AUTHENTICATED.to_string()],
            SubjectId::Group { .. } => Vec::new(),
        }
    }

    /// The identity's kind as Kubernetes spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            SubjectId::ServiceAccount { .. } => "ServiceAccount",
            SubjectId::User { .. } => "User",
            SubjectId::Group { .. } => "Group",
        }
    }

    /// A group subject.
    pub fn group(name: &str) -> SubjectId {
        SubjectId::Group { name: name.into() }
    }
}

/// `system:serviceaccount:<ns>:<name>` → (`ns`, `name`).
pub fn parse_service_account_user(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)?;
    let (ns, name) = rest.split_once(':')?;
    (!ns.is_empty() && !name.is_empty() && !name.contains(':')).then_some((ns, name))
}

#[cfg(test)]
mod tests {
    //! From the Kubernetes documentation, "Referring to subjects" and "Default roles and role bindings".
    use super::*;

    fn subject(kind: &str, name: &str, ns: Option<&str>) -> Subject {
        Subject {
            kind: kind.into(),
            name: name.into(),
            namespace: ns.map(Into::into),
            api_group: None,
        }
    }

    #[test]
    fn service_account_namespace_defaults_to_the_role_binding_namespace() {
        let s = SubjectId::from_binding_subject(&subject("ServiceAccount", "builder", None), "dev");
        assert_eq!(
            s,
            Ok(SubjectId::ServiceAccount {
                namespace: "dev".into(),
                name: "builder".into()
            })
        );
        let explicit =
            SubjectId::from_binding_subject(&subject("ServiceAccount", "b", Some("other")), "dev");
        assert_eq!(
            explicit,
            Ok(SubjectId::ServiceAccount {
                namespace: "other".into(),
                name: "b".into()
            })
        );
    }

    #[test]
    fn service_account_without_namespace_in_a_cluster_role_binding_applies_to_nobody() {
        assert!(matches!(
            SubjectId::from_binding_subject(&subject("ServiceAccount", "x", None), ""),
            Err(InvalidSubject::ServiceAccountWithoutNamespace(_))
        ));
    }

    #[test]
    fn a_user_named_like_a_service_account_is_that_service_account() {
        let s = SubjectId::from_binding_subject(
            &subject("User", "system:serviceaccount:ci:deployer", None),
            "",
        );
        assert_eq!(
            s,
            Ok(SubjectId::ServiceAccount {
                namespace: "ci".into(),
                name: "deployer".into()
            })
        );
    }

    #[test]
    fn unknown_kinds_and_empty_names_apply_to_nobody() {
        assert!(SubjectId::from_binding_subject(&subject("Robot", "r", None), "ns").is_err());
        assert!(SubjectId::from_binding_subject(&subject("User", "", None), "ns").is_err());
    }

    #[test]
    fn service_accounts_are_in_their_implicit_groups() {
        let sa = SubjectId::ServiceAccount {
            namespace: "shop".into(),
            name: "checkout".into(),
        };
        assert_eq!(
            sa.implicit_groups(),
            [
                "system:serviceaccounts",
                "system:serviceaccounts:shop",
                "system:authenticated"
            ]
        );
    }

    #[test]
    fn users_are_authenticated_except_anonymous() {
        let alice = SubjectId::User {
            name: "alice".into(),
        };
        assert_eq!(alice.implicit_groups(), ["system:authenticated"]);
        let anon = SubjectId::User {
            name: "system:anonymous".into(),
        };
        assert_eq!(anon.implicit_groups(), ["system:unauthenticated"]);
        assert!(SubjectId::group("devs").implicit_groups().is_empty());
    }
}
