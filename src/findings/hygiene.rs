//! RBAC hygiene: bindings that are broken, dangling, empty or granted to
//! everyone, and aggregated ClusterRoles that select each other or
//! themselves. A hygiene finding that also grants risky permissions takes
//! the highest severity of what it grants (see [`crate::rating`]).

use std::collections::BTreeSet;

use super::{Code, Context, Finding, FindingScope, Model, Sink};
use crate::rbac::resolve::RoleRefProblem;
use crate::rbac::subjects::{
    ALL_SERVICE_ACCOUNTS, ANONYMOUS, AUTHENTICATED, MASTERS, UNAUTHENTICATED,
};
use crate::rbac::{RoleId, SubjectId};
use crate::snapshot::{Kind, ObjectKey};
use crate::template::Severity;

/// Appends hygiene findings, and a note when something could not be checked.
pub fn find(m: &Model<'_, '_, '_, '_>, sink: &mut Sink) {
    let (cx, out) = (m.cx, sink);
    aggregation(cx, out);
    let sas: BTreeSet<(&str, &str)> = cx
        .snapshot
        .service_accounts
        .iter()
        .map(|sa| {
            (
                sa.metadata.namespace.as_deref().unwrap_or(""),
                sa.metadata.name.as_deref().unwrap_or(""),
            )
        })
        .collect();
    let coverage = &cx.snapshot.coverage;
    let sas_listed = coverage.has(Kind::ServiceAccount);
    let can_check_sas = sas_listed && !cx.snapshot.service_accounts.is_empty();
    if sas_listed && !can_check_sas {
        out.note(
            "the input has no ServiceAccounts: bindings to missing ServiceAccounts were not checked".into(),
        );
    }
    for (bi, b) in cx.rbac.bindings.iter().enumerate() {
        let risk = cx.ratings.binding_severity(bi);
        let grants = risk
            .map(|s| format!(" and grants {s} risks"))
            .unwrap_or_default();
        let at_least = |base: Severity| risk.map_or(base, |r| r.max(base));
        let role_default = b.role.as_ref().is_ok_and(|r| cx.role_is_default(*r));
        let mut push = |code: Code,
                        severity: Severity,
                        subject: Option<SubjectId>,
                        extra: &str,
                        message: String,
                        remediation: &str| {
            out.push(
                hygiene_finding(
                    code,
                    severity,
                    FindingScope::of(&b.scope),
                    message,
                    remediation,
                    b.default && (role_default || b.role.is_err()),
                )
                .subject(subject)
                .binding(b.key.clone())
                .fingerprinted(extra)
                // The role the binding references is shown; the binding is
                // the finding's identity whatever it references.
                .role(b.role_ref.clone()),
            );
        };
        match &b.role {
            Ok(_) => {}
            // The role may well exist: its kind could not be listed.
            Err(RoleRefProblem::Missing) if !coverage.has(b.role_ref.kind) => {}
            Err(RoleRefProblem::Missing) => push(
                Code::MissingRole,
                Severity::Low,
                None,
                "",
                format!(
                    "{} references {}, which does not exist: it grants nothing now, and whoever creates that {} grants its rules to the binding's subjects",
                    b.key,
                    b.role_ref,
                    b.role_ref.kind.as_str()
                ),
                "Delete the binding or create the intended role.",
            ),
            Err(RoleRefProblem::ClusterBindingToRole) => push(
                Code::ClusterBindingToRole,
                Severity::Low,
                None,
                "",
                format!(
                    "{} references Role {}: a ClusterRoleBinding can only reference a ClusterRole, so it grants nothing",
                    b.key, b.role_ref.name
                ),
                "Reference a ClusterRole, or use a RoleBinding in the Role's namespace.",
            ),
            Err(RoleRefProblem::UnknownKind(kind)) => push(
                Code::InvalidRoleRef,
                Severity::Low,
                None,
                "",
                format!(
                    "{} has a roleRef of kind `{kind}`: it grants nothing",
                    b.key
                ),
                "Reference a Role or ClusterRole.",
            ),
        }
        if b.subjects.is_empty() && b.invalid_subjects.is_empty() {
            push(
                Code::BindingWithoutSubjects,
                Severity::Low,
                None,
                "",
                format!(
                    "{} has no subjects: it grants {} to nobody{}",
                    b.key,
                    b.role_ref,
                    risk.map(|s| format!(" (what it would grant is {s})"))
                        .unwrap_or_default()
                ),
                "Delete the binding, or add the subjects it was meant for.",
            );
        }
        for (i, problem) in &b.invalid_subjects {
            push(
                Code::InvalidSubject,
                Severity::Low,
                None,
                &i.to_string(),
                format!("{} subjects[{i}]: {problem}", b.key),
                "Fix or remove the subject.",
            );
        }
        for s in &b.subjects {
            match s {
                SubjectId::ServiceAccount { namespace, name }
                    if can_check_sas && !sas.contains(&(namespace.as_str(), name.as_str())) =>
                {
                    push(
                        Code::MissingServiceAccount,
                        at_least(Severity::Low),
                        Some(s.clone()),
                        "",
                        format!(
                            "{} names {s}, which does not exist{grants}: whoever can create ServiceAccounts in {namespace} inherits them",
                            b.key
                        ),
                        "Remove the subject from the binding, or create the ServiceAccount deliberately.",
                    )
                }
                SubjectId::User { name } if name == ANONYMOUS => push(
                    Code::BindingToAnonymous,
                    at_least(Severity::Medium),
                    Some(s.clone()),
                    "",
                    format!(
                        "{} grants {} {} to unauthenticated requests (system:anonymous){grants}",
                        b.key, b.role_ref, b.scope
                    ),
                    "Remove system:anonymous from the binding; consider --anonymous-auth=false.",
                ),
                SubjectId::Group { name } => {
                    let code = match name.as_str() {
                        UNAUTHENTICATED => Some((
                            Code::BindingToUnauthenticated,
                            Severity::Medium,
                            "everyone, including unauthenticated requests",
                        )),
                        AUTHENTICATED => Some((
                            Code::BindingToAuthenticated,
                            Severity::Low,
                            "every authenticated user and ServiceAccount",
                        )),
                        ALL_SERVICE_ACCOUNTS => Some((
                            Code::BindingToAllServiceAccounts,
                            Severity::Low,
                            "every ServiceAccount in the cluster",
                        )),
                        MASTERS => Some((
                            Code::BindingToSystemMasters,
                            Severity::Low,
                            "system:masters, whose members bypass RBAC anyway (membership comes from client certificates and cannot be revoked by RBAC)",
                        )),
                        n if n.starts_with(&format!("{ALL_SERVICE_ACCOUNTS}:")) => Some((
                            Code::BindingToAllServiceAccounts,
                            Severity::Low,
                            "every ServiceAccount of a namespace",
                        )),
                        _ => None,
                    };
                    if let Some((code, base, who)) = code {
                        let severity = if code == Code::BindingToSystemMasters {
                            Severity::Low
                        } else {
                            at_least(base)
                        };
                        push(
                            code,
                            severity,
                            Some(s.clone()),
                            "",
                            format!(
                                "{} grants {} {} to {who} (Group {name}){grants}",
                                b.key, b.role_ref, b.scope
                            ),
                            if code == Code::BindingToSystemMasters {
                                "Keep system:masters for break-glass certificates only; bind named groups instead."
                            } else {
                                "Bind the specific users, groups or ServiceAccounts that need the role instead of a system group."
                            },
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

/// Aggregated ClusterRoles that select each other (each keeps every rule the
/// others hold, for good: removing a rule from one role does not remove it)
/// or match their own selectors (which the controller ignores).
fn aggregation(cx: &Context<'_, '_>, out: &mut Sink) {
    let mut push =
        |code: Code, roles: &[RoleId], severity: Severity, message: String, remediation: &str| {
            let keys: Vec<ObjectKey> = roles.iter().map(|r| cx.rbac.role(*r).key.clone()).collect();
            let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
            out.push(
                hygiene_finding(
                    code,
                    severity,
                    FindingScope::Cluster,
                    message,
                    remediation,
                    roles.iter().all(|r| cx.role_is_default(*r)),
                )
                .role(keys.first().cloned())
                .fingerprinted(&names.join(",")),
            );
        };
    for cycle in &cx.rbac.aggregation_cycles {
        let held = cycle
            .iter()
            .filter_map(|r| cx.ratings.role_severity(*r))
            .max();
        let names: Vec<String> = cycle
            .iter()
            .map(|r| cx.rbac.role(*r).key.name.clone())
            .collect();
        push(
            Code::AggregationCycle,
            cycle,
            held.map_or(Severity::Medium, |h| h.max(Severity::Medium)),
            format!(
                "ClusterRoles {} aggregate each other: the aggregation controller copies each one's rules into the others, so every rule any of them holds stays in all of them{}",
                names.join(", "),
                held.map(|h| format!(" (they hold {h} risks)"))
                    .unwrap_or_default()
            ),
            "Break the cycle: change the aggregationRule selectors or the labels so that no aggregated ClusterRole selects another that selects it back, then review the rules each keeps.",
        );
    }
    for role in &cx.rbac.self_selecting {
        push(
            Code::SelfSelectingRole,
            std::slice::from_ref(role),
            Severity::Low,
            format!(
                "{} matches its own aggregationRule selector: the controller skips it, but its labels also make it part of every other aggregated ClusterRole that selects them",
                cx.rbac.role(*role).key
            ),
            "Give aggregated ClusterRoles labels their own selectors do not match.",
        );
    }
}

/// A hygiene finding, titled after its code; the caller sets the objects
/// it is about and its fingerprint.
fn hygiene_finding(
    code: Code,
    severity: Severity,
    scope: FindingScope,
    message: String,
    remediation: &str,
    bootstrap_default: bool,
) -> Finding {
    Finding::new(code, severity, title(code), message, scope)
        .remediation(remediation)
        .bootstrap_default(bootstrap_default)
}

fn title(code: Code) -> &'static str {
    match code {
        Code::MissingServiceAccount => "Binding to a missing ServiceAccount",
        Code::BindingToAnonymous => "Binding to system:anonymous",
        Code::BindingToUnauthenticated => "Binding to system:unauthenticated",
        Code::BindingToAuthenticated => "Binding to system:authenticated",
        Code::BindingToAllServiceAccounts => "Binding to all ServiceAccounts",
        Code::BindingToSystemMasters => "Binding to system:masters",
        Code::MissingRole => "Binding to a missing role",
        Code::ClusterBindingToRole => "ClusterRoleBinding to a Role",
        Code::InvalidRoleRef => "Invalid roleRef",
        Code::InvalidSubject => "Subject that applies to nobody",
        Code::BindingWithoutSubjects => "Binding without subjects",
        Code::AggregationCycle => "ClusterRoles that aggregate each other",
        Code::SelfSelectingRole => "Aggregated ClusterRole that selects itself",
        _ => "Risky permissions",
    }
}
