//! The grant that allowed a request, as the RBAC authorizer finds it
//! (`VisitRulesFor` and `authorizingVisitor` upstream): ClusterRoleBindings
//! first, then the RoleBindings of the request's namespace, each binding
//! that applies to the user (by its first subject that does) visited rule
//! by rule, and the first rule that allows the request wins. The bindings
//! are visited in the snapshot's order (by name; the API server's cache
//! gives no other guarantee).
//!
//! When the log carries the authorizer's reason (`RBAC: allowed by
//! ClusterRoleBinding "NAME" of ClusterRole "ROLE" to Group "G"`, or
//! `RoleBinding "NAME/NS" of Role "ROLE" to ServiceAccount "SA/NS"`), that
//! binding is used if the snapshot agrees: it exists, references that
//! role, applies to the user, and one of its rules allows the request.
//! Members of `system:masters` are allowed before RBAC is asked.

use foldhash::{HashMap, HashMapExt};

use super::{authorized, is_non_resource};
use crate::audit::RequestRef;
use crate::rbac::rules::rule_allows;
use crate::rbac::subjects::{MASTERS, parse_service_account_user};
use crate::rbac::{BindingId, Rbac, RoleId, Scope, SubjectId};
use crate::snapshot::Kind;

/// The grant that allowed a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grant {
    /// The binding.
    pub binding: BindingId,
    /// The role it references.
    pub role: RoleId,
    /// The rule's index in the role's effective rules.
    pub rule: usize,
    /// The binding's subject that applies to the user (its first).
    pub subject: SubjectId,
}

/// What allowed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    /// An RBAC grant; `agreed` is `Some(false)` when the log's reason named
    /// another grant the snapshot does not bear out, `None` without reason.
    Rbac {
        /// The grant.
        grant: Grant,
        /// Whether the log's reason named this grant.
        agreed: Option<bool>,
    },
    /// Membership of `system:masters`, before RBAC.
    Masters,
    /// No grant of the snapshot allows it: another authorizer (Node, a
    /// webhook) did, or the RBAC objects changed since.
    Unexplained,
}

/// Finds the grants that allow requests.
pub struct Attributor<'r, 's> {
    rbac: &'r Rbac<'s>,
    /// The bindings naming each subject, in binding order.
    by_subject: HashMap<&'r SubjectId, Vec<BindingId>>,
    /// Bindings by (kind, namespace, name).
    by_key: HashMap<(Kind, &'r str, &'r str), BindingId>,
}

impl<'r, 's> Attributor<'r, 's> {
    /// Indexes `rbac`'s bindings by subject and by name.
    pub fn new(rbac: &'r Rbac<'s>) -> Self {
        let mut by_subject: HashMap<&SubjectId, Vec<BindingId>> = HashMap::new();
        let mut by_key = HashMap::new();
        for (i, b) in rbac.bindings.iter().enumerate() {
            let id = BindingId(i);
            by_key.insert(
                (b.key.kind, b.key.namespace.as_str(), b.key.name.as_str()),
                id,
            );
            if b.role.is_err() {
                continue;
            }
            for s in &b.subjects {
                let list = by_subject.entry(s).or_default();
                if list.last() != Some(&id) {
                    list.push(id);
                }
            }
        }
        Attributor {
            rbac,
            by_subject,
            by_key,
        }
    }

    /// What allowed `request`.
    pub fn allowed(&self, request: &RequestRef<'_>) -> Allowed {
        if request.groups.iter().any(|g| &**g == MASTERS) {
            return Allowed::Masters;
        }
        let named = request.reason.and_then(parse_reason);
        if let Some(r) = &named
            && let Some(grant) = self.check_named(r, request)
        {
            return Allowed::Rbac {
                grant,
                agreed: Some(true),
            };
        }
        match self.visit(request) {
            Some(grant) => Allowed::Rbac {
                grant,
                agreed: named.map(|_| false),
            },
            None => Allowed::Unexplained,
        }
    }

    /// The subjects a user with `groups` is, as bindings name them.
    pub fn identities(request: &RequestRef<'_>) -> Vec<SubjectId> {
        let mut out = vec![match parse_service_account_user(request.user) {
            Some((namespace, name)) => SubjectId::ServiceAccount {
                namespace: namespace.into(),
                name: name.into(),
            },
            None => SubjectId::User {
                name: request.user.into(),
            },
        }];
        out.extend(request.groups.iter().map(|g| SubjectId::group(g)));
        out
    }

    /// Whether binding `b` applies in the request's namespace.
    fn in_scope(&self, b: BindingId, request: &RequestRef<'_>) -> bool {
        match &self.rbac.binding(b).scope {
            Scope::Cluster => true,
            Scope::Namespace(ns) => !is_non_resource(request) && request.namespace == ns,
        }
    }

    /// The first of binding `b`'s subjects that is one of `identities`.
    fn applying(&self, b: BindingId, identities: &[SubjectId]) -> Option<SubjectId> {
        (self.rbac.binding(b).subjects.iter())
            .find(|s| identities.contains(s))
            .cloned()
    }

    /// The first rule of `b`'s role that allows the request.
    fn rule(&self, b: BindingId, request: &RequestRef<'_>) -> Option<(RoleId, usize)> {
        let role = self.rbac.binding(b).role.clone().ok()?;
        let req = authorized(request);
        (self.rbac.role(role).rules.iter())
            .position(|r| rule_allows(r.rule, &req))
            .map(|i| (role, i))
    }

    /// The authorizer's visit: the first allowing rule of the first
    /// applying binding, ClusterRoleBindings before RoleBindings.
    fn visit(&self, request: &RequestRef<'_>) -> Option<Grant> {
        let identities = Self::identities(request);
        let mut candidates: Vec<BindingId> = (identities.iter())
            .filter_map(|s| self.by_subject.get(s))
            .flatten()
            .copied()
            .collect();
        candidates.sort();
        candidates.dedup();
        candidates.into_iter().find_map(|b| {
            if !self.in_scope(b, request) {
                return None;
            }
            let subject = self.applying(b, &identities)?;
            let (role, rule) = self.rule(b, request)?;
            Some(Grant {
                binding: b,
                role,
                rule,
                subject,
            })
        })
    }

    /// The grant a reason names, if the snapshot bears it out.
    fn check_named(&self, r: &Reason, request: &RequestRef<'_>) -> Option<Grant> {
        let b = *self.by_key.get(&(
            r.binding_kind,
            r.binding_namespace.as_str(),
            r.binding.as_str(),
        ))?;
        let binding = self.rbac.binding(b);
        if binding.role_ref.name != r.role || !self.in_scope(b, request) {
            return None;
        }
        let identities = Self::identities(request);
        let subject = self.applying(b, &identities)?;
        let (role, rule) = self.rule(b, request)?;
        Some(Grant {
            binding: b,
            role,
            rule,
            subject,
        })
    }
}

/// The grant an `authorization.k8s.io/reason` annotation names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// ClusterRoleBinding or RoleBinding.
    pub binding_kind: Kind,
    /// The binding's namespace (`""` for a ClusterRoleBinding).
    pub binding_namespace: String,
    /// The binding's name.
    pub binding: String,
    /// The role's name.
    pub role: String,
}

/// Parses the RBAC authorizer's reason: `RBAC: allowed by KIND "NAME" of
/// ROLEKIND "ROLE" to SUBJECTKIND "SUBJECT"`, the names quoted as Go's `%q`
/// writes them. `None` for any other text.
pub fn parse_reason(text: &str) -> Option<Reason> {
    let rest = text.strip_prefix("RBAC: allowed by ")?;
    let (kind, rest) = rest.split_once(' ')?;
    let (name, rest) = quoted(rest)?;
    let rest = rest.strip_prefix(" of ")?;
    let (_, rest) = rest.split_once(' ')?;
    let (role, _) = quoted(rest)?;
    let (binding_kind, binding_namespace, binding) = match kind {
        "ClusterRoleBinding" => (Kind::ClusterRoleBinding, String::new(), name),
        "RoleBinding" => {
            let (n, ns) = name.rsplit_once('/')?;
            (Kind::RoleBinding, ns.to_string(), n.to_string())
        }
        _ => return None,
    };
    Some(Reason {
        binding_kind,
        binding_namespace,
        binding,
        role,
    })
}

/// A Go `%q` string at the start of `text`, unquoted, and what follows.
fn quoted(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => out.push(chars.next()?.1),
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorizers_reasons_are_read_as_its_describers_write_them() {
        // clusterRoleBindingDescriber and roleBindingDescriber upstream.
        let r = parse_reason(
            r#"RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated""#,
        )
        .unwrap();
        assert_eq!(r.binding_kind, Kind::ClusterRoleBinding);
        assert_eq!(r.binding, "system:public-info-viewer");
        assert_eq!(r.role, "system:public-info-viewer");
        let r = parse_reason(
            r#"RBAC: allowed by RoleBinding "deployer/ci" of ClusterRole "edit" to ServiceAccount "builder/ci""#,
        )
        .unwrap();
        assert_eq!(
            (
                r.binding_kind,
                r.binding_namespace.as_str(),
                r.binding.as_str(),
                r.role.as_str()
            ),
            (Kind::RoleBinding, "ci", "deployer", "edit")
        );
        assert_eq!(parse_reason(""), None);
        assert_eq!(parse_reason("allowed by webhook"), None);
        assert_eq!(
            parse_reason(r#"RBAC: allowed by RoleBinding "broken"#),
            None
        );
    }
}
