//! The attack techniques: for every holder of permissions (an identity
//! some binding names, a ServiceAccount or user together with its implicit
//! groups, a role bound by someone allowed to bind it), what its
//! permissions let it become. The graph (`super::graph`) asks for these
//! steps and adds them; no technique writes into it.
//!
//! Each family of techniques is one file of one shape ([`Family`]),
//! registered in [`FAMILIES`]: given what the holder is granted in one
//! scope and a read-only [`Lookup`] of the cluster's objects, it pushes the
//! steps it finds. Adding a technique is one file and one line.
//!
//! Every check asks the authorizer's own question
//! ([`crate::rbac::rules::rule_grants`]) with the exact scope of each rule:
//! a ClusterRoleBinding's rules apply everywhere, a RoleBinding's only to
//! namespaced requests in its namespace
//! ([`crate::rbac::scope::grantable_in_namespace`]); a rule limited by
//! `resourceNames` reaches only the objects it names, and never a create in
//! a collection. A permission that needs several (bind with create
//! bindings, CSR creation with approval) is met only when the same holder
//! has all of them in the same scope. Pure: no I/O.

mod admission;
mod certificates;
mod cloud;
mod exec;
mod found;
mod holder;
mod impersonation;
mod lookup;
mod nodes;
mod operators;
mod rbac_writes;
mod tokens;
mod workloads;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::BTreeSet;

use found::{Found, RBAC_GROUP, step};
use holder::Holder;
use lookup::Lookup;

use crate::access::graph::AccessGraph;
use crate::access::model::{Node, Step, Technique};
use crate::cores;
use crate::operators::Live;
use crate::rbac::{Rbac, RoleId, Scope, SubjectId};
use crate::snapshot::Snapshot;

/// A family of techniques: given what `holder` is granted in one scope
/// (`ns`; `None`: cluster-wide) and a read-only lookup of the cluster's
/// objects, the steps it can take there, pushed onto the sink in order.
type Family = fn(holder: &Holder<'_>, lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found);

/// Every family of techniques, by name, in the order their steps are found
/// (and so added to the graph).
const FAMILIES: &[(&str, Family)] = &[
    ("workloads", workloads::steps),
    ("exec", exec::steps),
    ("tokens", tokens::steps),
    ("impersonation", impersonation::steps),
    ("rbac-writes", rbac_writes::steps),
    ("certificates", certificates::steps),
    ("nodes", nodes::steps),
    ("admission", admission::steps),
    ("cloud", cloud::steps),
    ("operators", operators::steps),
];

/// Works out every holder's steps, as (holder, target, step), in the order
/// they are to be added to the graph: the groups', the other subjects', and
/// those of the roles that some holder may bind.
pub fn steps(
    g: &AccessGraph,
    snapshot: &Snapshot,
    rbac: &Rbac<'_>,
    operators: &[Live],
) -> Vec<(Node, Node, Step)> {
    let subjects: Vec<&SubjectId> = g.subjects();
    let lookup = Lookup::new(g, &subjects, snapshot, rbac, operators);
    let mut bound_queue: Vec<(RoleId, Scope)> = Vec::new();
    let mut bound_seen: HashSet<(RoleId, Scope)> = HashSet::new();
    let mut pending: Vec<(Node, Node, Step)> = Vec::new();
    // Groups first: what a group gains, its members gain through it. Each
    // group is worked out on its own (on every core), and its steps and
    // roles to bind are taken in group order, as one after the other.
    let groups: Vec<(&SubjectId, &String)> = (subjects.iter())
        .filter_map(|&s| match s {
            SubjectId::Group { name } => Some((s, name)),
            _ => None,
        })
        .collect();
    let gr = g;
    let worked = cores::map(&groups, 16, |&(s, _)| {
        let holder = holder_of(gr, rbac, s, false);
        let mut bound = Vec::new();
        let found = (!holder.is_empty()).then(|| steps_of(&holder, &lookup, &mut bound));
        (found, bound)
    });
    let mut by_group: HashMap<String, HashSet<(Technique, Node)>> = HashMap::new();
    for (&(s, name), (found, bound)) in groups.iter().zip(worked) {
        let Some(found) = found else { continue };
        bound_queue.extend(bound);
        by_group.insert(
            name.clone(),
            found.iter().map(|(t, st)| (st.how, t.clone())).collect(),
        );
        pending.extend(
            found
                .into_iter()
                .map(|(t, st)| (Node::Subject(s.clone()), t, st)),
        );
    }
    // Users and ServiceAccounts: everything they hold, through groups too,
    // less what one of their groups gains alone (membership leads there).
    // Each is worked out on its own (on every core, in runs of subjects
    // taken in order, each run with its own memo of shared group sets), and
    // the steps and the roles to bind are collected in subject order: the
    // graph is the same as one subject after the other would make it.
    let others: Vec<&SubjectId> = subjects
        .iter()
        .copied()
        .filter(|s| !matches!(s, SubjectId::Group { .. }))
        .collect();
    let chunk = others.len().div_ceil(64).max(1);
    let runs: Vec<&[&SubjectId]> = others.chunks(chunk).collect();
    let results = cores::map(&runs, 2, |run| {
        let mut shared: HashMap<Vec<String>, Found> = HashMap::new();
        run.iter()
            .map(|&s| {
                let mut bound = Vec::new();
                let (found, fresh) =
                    subject_steps(gr, rbac, &lookup, &by_group, s, &mut shared, &mut bound);
                let steps: Vec<(Node, Node, Step)> = found
                    .into_iter()
                    .map(|(t, st)| (Node::Subject(s.clone()), t, st))
                    .collect();
                (steps, bound, fresh)
            })
            .collect::<Vec<_>>()
    });
    // A set of groups worked out again by a later run gives the same steps;
    // its roles to bind count only the first time, as on one thread.
    let mut worked_out: HashSet<Vec<String>> = HashSet::new();
    for (steps, bound, fresh) in results.into_iter().flatten() {
        pending.extend(steps);
        if fresh.is_none_or(|key| worked_out.insert(key)) {
            bound_queue.extend(bound);
        }
    }
    // Roles bound by those allowed to bind them.
    while let Some((role, scope)) = bound_queue.pop() {
        if !bound_seen.insert((role, scope.clone())) {
            continue;
        }
        let mut holder = Holder::default();
        holder.add(rbac, role, &scope, None, None);
        let found = steps_of(&holder, &lookup, &mut bound_queue);
        pending.extend(
            found
                .into_iter()
                .map(|(t, st)| (Node::Bound(role, scope.clone()), t, st)),
        );
    }
    pending
}

/// The steps of a user or ServiceAccount: everything it holds, through
/// groups too, less what one of its groups gains alone (`by_group`). Those
/// that hold only through groups share the work by set of groups
/// (`shared`); the set is returned when it was worked out here rather than
/// taken from `shared`. Roles it may bind are pushed to `bound` (only when
/// the steps were worked out here).
fn subject_steps(
    g: &AccessGraph,
    rbac: &Rbac<'_>,
    lookup: &Lookup<'_>,
    by_group: &HashMap<String, HashSet<(Technique, Node)>>,
    s: &SubjectId,
    shared: &mut HashMap<Vec<String>, Found>,
    bound: &mut Vec<(RoleId, Scope)>,
) -> (Found, Option<Vec<String>>) {
    let reach = g.bindings_reaching(s);
    if reach.is_empty() {
        return (Found::new(), None);
    }
    let direct = reach.iter().any(|r| r.via_group.is_none());
    let groups: BTreeSet<&String> = reach.iter().filter_map(|r| r.via_group.as_ref()).collect();
    if !direct && groups.len() < 2 {
        return (Found::new(), None);
    }
    let implicit = s.implicit_groups();
    let new_only = |found: Found| -> Found {
        found
            .into_iter()
            .filter(|(t, st)| {
                !implicit.iter().any(|gr| {
                    by_group
                        .get(gr)
                        .is_some_and(|set| set.contains(&(st.how, t.clone())))
                })
            })
            .collect()
    };
    if direct {
        let holder = holder_of(g, rbac, s, true);
        return (new_only(steps_of(&holder, lookup, bound)), None);
    }
    let key: Vec<String> = groups.into_iter().cloned().collect();
    if let Some(f) = shared.get(&key) {
        return (f.clone(), None);
    }
    let holder = holder_of(g, rbac, s, true);
    let f = new_only(steps_of(&holder, lookup, bound));
    shared.insert(key.clone(), f.clone());
    (f, Some(key))
}

/// The rules `subject` holds: through the bindings that name it, and with
/// `with_groups` through those that name its implicit groups.
fn holder_of<'r>(
    g: &AccessGraph,
    rbac: &'r Rbac<'_>,
    subject: &SubjectId,
    with_groups: bool,
) -> Holder<'r> {
    let mut holder = Holder::default();
    for r in g.bindings_reaching(subject) {
        if r.via_group.is_some() && !with_groups {
            continue;
        }
        let b = rbac.binding(r.binding);
        if let Ok(role) = b.role {
            holder.add(
                rbac,
                role,
                &b.scope,
                Some(r.binding),
                r.via_group.as_deref(),
            );
        }
    }
    holder
}

/// Every step `holder` can take: cluster-wide, then in each namespace where
/// it holds more than cluster-wide.
fn steps_of(holder: &Holder<'_>, lookup: &Lookup<'_>, bound: &mut Vec<(RoleId, Scope)>) -> Found {
    let mut found = Found::new();
    let mut cluster_wide: HashSet<Technique> = HashSet::new();
    steps_in(holder, lookup, None, bound, &mut found);
    cluster_wide.extend(
        found
            .iter()
            .filter(|(t, _)| {
                matches!(
                    t,
                    Node::NewPods(None)
                        | Node::Pods(None)
                        | Node::Secrets(None)
                        | Node::ServiceAccounts(None)
                        | Node::ClusterAdmin
                        | Node::AnyHost
                )
            })
            .map(|(_, s)| s.how),
    );
    let namespaces: Vec<&String> = holder.namespaces.keys().collect();
    for ns in namespaces {
        let mut here = Found::new();
        steps_in(holder, lookup, Some(ns), bound, &mut here);
        found.extend(
            here.into_iter()
                .filter(|(_, s)| !cluster_wide.contains(&s.how)),
        );
    }
    // A holder of cluster-wide rolebinding creation can bind in every namespace.
    if holder
        .grants(None, "create", RBAC_GROUP, "rolebindings", "")
        .all
        .is_some()
        && !found.iter().any(|(t, _)| *t == Node::ClusterAdmin)
    {
        for &ns in &lookup.namespaces {
            if holder.namespaces.contains_key(ns) {
                continue;
            }
            let mut here = Found::new();
            rbac_writes::bind_steps(holder, lookup, Some(ns), &mut here);
            bound.extend(roles_bound(&here));
            found.extend(here);
        }
    }
    let mut seen = HashSet::new();
    found.retain(|(t, s)| seen.insert((t.clone(), s.how, s.namespace.clone())));
    found
}

/// The steps `holder` can take in `ns` (`None`: cluster-wide): everything,
/// when it holds every verb on every resource cluster-wide; else what each
/// family finds. The roles it may bind are pushed to `bound`.
fn steps_in(
    holder: &Holder<'_>,
    lookup: &Lookup<'_>,
    ns: Option<&str>,
    bound: &mut Vec<(RoleId, Scope)>,
    out: &mut Found,
) {
    if ns.is_none()
        && let Some(g) = holder.grants(None, "*", "*", "*", "").all
    {
        out.push((
            Node::ClusterAdmin,
            step(
                Technique::HoldsEverything,
                None,
                vec!["* *.*".into()],
                vec![g],
            ),
        ));
        return;
    }
    let start = out.len();
    for (_, family) in FAMILIES {
        family(holder, lookup, ns, out);
    }
    bound.extend(roles_bound(&out[start..]));
}

/// The roles that `found` binds: its targets that are roles bound by their
/// holder, in order.
fn roles_bound(found: &[(Node, Step)]) -> impl Iterator<Item = (RoleId, Scope)> + '_ {
    found.iter().filter_map(|(t, _)| match t {
        Node::Bound(role, scope) => Some((*role, scope.clone())),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    //! The rules of impersonation and of client certificates, from the API
    //! server: `Impersonate-Group` is refused without `Impersonate-User`
    //! (k8s.io/apiserver, endpoints/filters/impersonation.go), and the
    //! `CertificateSubjectRestriction` admission plugin refuses a
    //! `kube-apiserver-client` CSR with `O=system:masters`.

    use super::*;
    use crate::access::build_graph;
    use crate::access::pod_facts::NO_PODS;
    use crate::source::files::Loader;

    const ADMIN: &str = r#"
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: cluster-admin}, rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: masters}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}, subjects: [{kind: Group, name: "system:masters"}]}
"#;

    /// The steps of `who` (a User), as (technique, target, permissions), in
    /// a cluster of `items` (YAML list items) granted to it by a
    /// ClusterRole `r` bound cluster-wide and a Role `r` bound in `ci`.
    fn steps_of(who: &str, items: &str) -> Vec<(Technique, String, Vec<String>)> {
        let yaml = format!("apiVersion: v1\nkind: List\nitems:\n{ADMIN}{items}");
        let mut l = Loader::new();
        l.add_text("t.yaml", &yaml).expect("the test cluster reads");
        let snap = l.finish().expect("the test cluster loads").snapshot;
        let rbac = crate::rbac::Rbac::resolve(&snap);
        let g = build_graph(&snap, &rbac, NO_PODS);
        let me = Node::Subject(SubjectId::User { name: who.into() });
        let from = g.find(&me).expect("the holder has a node");
        let mut out = Vec::new();
        for e in g.graph().edges(from) {
            use petgraph::visit::EdgeRef;
            if let Some(st) = e.weight().step() {
                let to = format!("{:?}", g.node_at(e.target()));
                out.push((st.how, to, st.permissions.clone()));
            }
        }
        out.sort();
        out
    }

    fn cluster_role(rules: &str) -> String {
        format!(
            r#"
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {{name: r}}, rules: {rules}}}
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {{name: r}}, roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}}, subjects: [{{kind: User, name: eve}}]}}
"#
        )
    }

    /// The steps of `steps` that reach the group system:masters.
    fn masters_steps(
        steps: &[(Technique, String, Vec<String>)],
    ) -> Vec<&(Technique, String, Vec<String>)> {
        (steps.iter())
            .filter(|(_, to, _)| to.contains("system:masters"))
            .collect()
    }

    fn to_masters(steps: &[(Technique, String, Vec<String>)]) -> bool {
        !masters_steps(steps).is_empty()
    }

    #[test]
    fn impersonating_groups_alone_is_no_step() {
        let s = steps_of(
            "eve",
            &cluster_role(r#"[{apiGroups: [""], resources: [groups], verbs: [impersonate]}]"#),
        );
        assert!(!to_masters(&s), "{s:?}");
        assert!(
            s.iter().all(|(how, ..)| *how != Technique::Impersonate),
            "{s:?}"
        );
    }

    #[test]
    fn impersonating_groups_with_a_named_user_reaches_the_groups() {
        let s = steps_of(
            "eve",
            &cluster_role(
                r#"[{apiGroups: [""], resources: [groups], verbs: [impersonate]}, {apiGroups: [""], resources: [users], verbs: [impersonate], resourceNames: [bob]}]"#,
            ),
        );
        let to = masters_steps(&s);
        assert_eq!(to.len(), 1, "{s:?}");
        assert_eq!(
            to[0].2,
            ["impersonate groups", "impersonate users bob"],
            "the step uses both permissions"
        );
    }

    #[test]
    fn a_service_account_is_a_user_to_impersonate_even_in_one_namespace() {
        let items = cluster_role(
            r#"[{apiGroups: [""], resources: [groups], verbs: [impersonate], resourceNames: ["system:masters"]}]"#,
        ) + r#"
- {apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: sa, namespace: ci}, rules: [{apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate], resourceNames: [builder]}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: sa, namespace: ci}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: sa}, subjects: [{kind: User, name: eve}]}
"#;
        let s = steps_of("eve", &items);
        let to = masters_steps(&s);
        assert_eq!(to.len(), 1, "{s:?}");
        assert_eq!(
            to[0].2,
            [
                "impersonate groups system:masters",
                "impersonate serviceaccounts builder in ci"
            ]
        );
    }

    #[test]
    fn a_service_accounts_user_name_is_not_a_user_to_impersonate() {
        // `impersonate users system:serviceaccount:ci:x` is never asked: the
        // filter asks `impersonate serviceaccounts x` in `ci` for that name.
        let s = steps_of(
            "eve",
            &cluster_role(
                r#"[{apiGroups: [""], resources: [groups], verbs: [impersonate]}, {apiGroups: [""], resources: [users], verbs: [impersonate], resourceNames: ["system:serviceaccount:ci:x"]}]"#,
            ),
        );
        assert!(!to_masters(&s), "{s:?}");
    }

    const CSR: &str = r#"[{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}, {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}, {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kube-apiserver-client]}]"#;

    #[test]
    fn a_certificate_cannot_name_system_masters() {
        // Only system:masters is bound to everything: no identity to name.
        let s = steps_of("eve", &cluster_role(CSR));
        assert!(
            s.iter().all(|(how, ..)| *how != Technique::ApproveCsr),
            "{s:?}"
        );
    }

    #[test]
    fn a_certificate_names_an_admin_bound_user_service_account_or_group() {
        let items = cluster_role(CSR)
            + r#"
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: admins}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}, subjects: [{kind: Group, name: "kubeadm:cluster-admins"}, {kind: User, name: alice}, {kind: ServiceAccount, name: root, namespace: ops}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: ns-admin, namespace: ci}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}, subjects: [{kind: User, name: carol}]}
"#;
        let s = steps_of("eve", &items);
        let csr: Vec<&String> = (s.iter())
            .filter(|(how, ..)| *how == Technique::ApproveCsr)
            .map(|(_, to, _)| to)
            .collect();
        assert_eq!(csr.len(), 3, "{csr:?}");
        assert!(csr.iter().any(|t| t.contains("kubeadm:cluster-admins")));
        assert!(csr.iter().any(|t| t.contains("alice")));
        assert!(csr.iter().any(|t| t.contains("root")));
        // A RoleBinding to cluster-admin is admin of one namespace only.
        assert!(!csr.iter().any(|t| t.contains("carol")), "{csr:?}");
        assert!(!to_masters(&s), "{s:?}");
    }

    fn role_in_ci(rules: &str) -> String {
        format!(
            r#"
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {{name: r, namespace: ci}}, rules: {rules}}}
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {{name: r, namespace: ci}}, roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}}, subjects: [{{kind: User, name: eve}}]}}
- {{apiVersion: v1, kind: ServiceAccount, metadata: {{name: deployer, namespace: ci}}}}
"#
        )
    }

    fn minted(
        steps: &[(Technique, String, Vec<String>)],
    ) -> Vec<&(Technique, String, Vec<String>)> {
        steps
            .iter()
            .filter(|(how, ..)| *how == Technique::MintToken)
            .collect()
    }

    #[test]
    fn creating_a_token_secret_and_reading_it_back_mints_any_token_of_the_namespace() {
        // The token controller fills in a Secret of type
        // kubernetes.io/service-account-token annotated with an existing
        // account's name; the creator picks the Secret's name, so a get
        // limited to names it may choose is enough to read it back.
        let s = steps_of(
            "eve",
            &role_in_ci(
                r#"[{apiGroups: [""], resources: [secrets], verbs: [create]}, {apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [mine]}]"#,
            ),
        );
        let m = minted(&s);
        assert_eq!(m.len(), 1, "{s:?}");
        assert_eq!(m[0].1, r#"ServiceAccounts(Some("ci"))"#);
        assert_eq!(m[0].2, ["create secrets", "get secrets mine"]);
    }

    #[test]
    fn minting_needs_both_creating_and_reading_back() {
        let create_only = steps_of(
            "eve",
            &role_in_ci(r#"[{apiGroups: [""], resources: [secrets], verbs: [create]}]"#),
        );
        assert!(minted(&create_only).is_empty(), "{create_only:?}");
        let read_only = steps_of(
            "eve",
            &role_in_ci(r#"[{apiGroups: [""], resources: [secrets], verbs: [get, list]}]"#),
        );
        assert!(minted(&read_only).is_empty(), "{read_only:?}");
        // A create limited to names allows no create at all.
        let named_create = steps_of(
            "eve",
            &role_in_ci(
                r#"[{apiGroups: [""], resources: [secrets], verbs: [create, get], resourceNames: [mine]}]"#,
            ),
        );
        assert!(minted(&named_create).is_empty(), "{named_create:?}");
    }
}
