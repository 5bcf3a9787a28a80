//! Checks against true outputs of a real kube-apiserver v1.28.

use std::collections::BTreeSet;

use rbacscan::rbac::Rbac;
use rbacscan::snapshot::Kind;
use rbacscan::source::files::Loader;

use crate::support::real_fixture;

fn load(name: &str) -> rbacscan::snapshot::Snapshot {
    let mut l = Loader::new();
    l.add_path(&real_fixture(name)).expect("fixture parses");
    l.finish().unwrap().snapshot
}

#[test]
fn the_default_cluster_parses_completely() {
    let s = load("default-cluster.yaml");
    assert_eq!(s.cluster_roles.len(), 62);
    assert_eq!(s.cluster_role_bindings.len(), 43);
    assert_eq!(s.roles.len(), 7);
    assert_eq!(s.role_bindings.len(), 7);
    assert!(!s.namespaces.is_empty());
}

/// The aggregation controller stored admin/edit/view's merged rules in this
/// fixture. Ignoring the stored rules and computing aggregation ourselves from
/// the selectors must give exactly the same rule set.
#[test]
fn computed_aggregation_equals_what_the_controller_stored() {
    let s = load("default-cluster.yaml");
    let rbac = Rbac::resolve(&s);
    let mut checked = 0;
    for cr in s
        .cluster_roles
        .iter()
        .filter(|c| c.aggregation_rule.is_some())
    {
        let name = cr.metadata.name.clone().unwrap();
        let stored: BTreeSet<String> = cr
            .rules
            .iter()
            .flatten()
            .map(|r| serde_json::to_string(r).unwrap())
            .collect();
        let id = rbac
            .role_id(&rbacscan::snapshot::ObjectKey {
                kind: Kind::ClusterRole,
                namespace: String::new(),
                name: name.clone(),
            })
            .unwrap();
        let role = rbac.role(id);
        assert!(role.aggregated);
        let computed: BTreeSet<String> = role
            .rules
            .iter()
            .map(|r| serde_json::to_string(r.rule).unwrap())
            .collect();
        assert!(!stored.is_empty(), "{name}: fixture has stored rules");
        assert_eq!(computed, stored, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 3, "admin, edit and view");
}

#[test]
fn raw_api_list_pages_are_read() {
    // `GET .../clusterroles?limit=3` bodies: a ClusterRoleList with kind-less items.
    let mut l = Loader::new();
    l.add_path(&real_fixture("list-clusterroles-page1-limit3.json"))
        .unwrap();
    l.add_path(&real_fixture("list-clusterroles-page2-limit3.json"))
        .unwrap();
    let s = l.finish().unwrap().snapshot;
    assert_eq!(s.cluster_roles.len(), 6);
}

#[test]
fn pods_and_service_accounts_of_a_real_namespace_are_read() {
    let s = load("shop-pods-and-serviceaccounts.yaml");
    assert_eq!(s.pods.len(), 2);
    assert!(
        s.service_accounts
            .iter()
            .any(|sa| sa.metadata.name.as_deref() == Some("checkout"))
    );
}
