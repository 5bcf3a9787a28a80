//! A Node as the snapshot keeps it: its name, labels, taints and
//! `unschedulable`, which decide which pods may land on it and whether it
//! runs the control plane. Its status, addresses, capacity, images and the
//! rest are skipped unread. A Node serializes as a `v1 Node` with the
//! fields kept.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Taint;
use serde::{Deserialize, Serialize};

/// The labels that mark a control-plane node: kubeadm's current one and
/// the older `master` one.
pub const CONTROL_PLANE_LABELS: [&str; 2] = [
    "node-role.kubernetes.io/control-plane",
    "node-role.kubernetes.io/master",
];

/// The prefix of the node-role labels (`node-role.kubernetes.io/<role>`).
pub const NODE_ROLE_PREFIX: &str = "node-role.kubernetes.io/";

/// A Node: its name, labels, taints and whether it takes new pods.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Node {
    /// `metadata`: name and labels only.
    #[serde(default)]
    pub metadata: NodeMeta,
    /// `spec`: taints and `unschedulable` only.
    #[serde(default)]
    pub spec: Option<NodeSpec>,
}

/// A Node's `metadata`: its name and labels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeMeta {
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `namespace`: never set on a Node; read so that a stray one is seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `labels`: every one (a pod's `nodeSelector` may name any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}

/// A Node's `spec`: what keeps pods off it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSpec {
    /// `taints`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taints: Option<Vec<Taint>>,
    /// `unschedulable` (a cordoned node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unschedulable: Option<bool>,
}

impl Node {
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// `metadata.labels`.
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        (self.metadata.labels.iter().flatten()).map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The value of label `key`, if it has one.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.metadata.labels.as_ref()?.get(key).map(String::as_str)
    }

    /// `spec.taints`.
    pub fn taints(&self) -> &[Taint] {
        (self.spec.as_ref())
            .and_then(|s| s.taints.as_deref())
            .unwrap_or_default()
    }

    /// Whether it is cordoned (`spec.unschedulable`).
    pub fn unschedulable(&self) -> bool {
        self.spec.as_ref().and_then(|s| s.unschedulable) == Some(true)
    }

    /// Its roles, from the `node-role.kubernetes.io/<role>` labels, sorted.
    pub fn roles(&self) -> Vec<&str> {
        self.labels()
            .filter_map(|(k, _)| k.strip_prefix(NODE_ROLE_PREFIX))
            .filter(|r| !r.is_empty())
            .collect()
    }

    /// Whether it runs the control plane: a control-plane (or `master`)
    /// role label, or the taint of the same key kubeadm puts on such nodes.
    pub fn is_control_plane(&self) -> bool {
        CONTROL_PLANE_LABELS
            .iter()
            .any(|l| self.label(l).is_some() || self.taints().iter().any(|t| t.key == *l))
    }
}

impl Serialize for Node {
    /// As a `v1 Node`: `apiVersion` and `kind` first, then the fields kept.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("Node", 3 + usize::from(self.spec.is_some()))?;
        m.serialize_field("apiVersion", "v1")?;
        m.serialize_field("kind", "Node")?;
        m.serialize_field("metadata", &self.metadata)?;
        if let Some(spec) = &self.spec {
            m.serialize_field("spec", spec)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(json: &str) -> Node {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_node_keeps_its_labels_taints_and_cordon_and_drops_the_rest() {
        let n = node(
            r#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"cp-1",
              "labels":{"kubernetes.io/hostname":"cp-1","node-role.kubernetes.io/control-plane":""},
              "annotations":{"x":"y"}},
              "spec":{"podCIDR":"10.0.0.0/24","unschedulable":true,
                "taints":[{"key":"node-role.kubernetes.io/control-plane","effect":"NoSchedule"}]},
              "status":{"capacity":{"cpu":"4"}}}"#,
        );
        assert_eq!(n.name(), "cp-1");
        assert_eq!(n.label("kubernetes.io/hostname"), Some("cp-1"));
        assert_eq!(n.taints().len(), 1);
        assert!(n.unschedulable() && n.is_control_plane());
        assert_eq!(n.roles(), ["control-plane"]);
        let back = serde_json::to_value(&n).unwrap();
        assert_eq!(back["kind"], "Node");
        assert!(back.get("status").is_none());
        assert!(back["spec"].get("podCIDR").is_none());
        assert_eq!(serde_json::from_value::<Node>(back).unwrap(), n);
    }

    #[test]
    fn control_plane_nodes_are_known_by_label_or_taint() {
        // kubeadm labels and taints control-plane nodes; older clusters
        // used `master` for both.
        let labelled =
            node(r#"{"metadata":{"name":"a","labels":{"node-role.kubernetes.io/master":""}}}"#);
        assert!(labelled.is_control_plane());
        let tainted = node(
            r#"{"metadata":{"name":"b"},"spec":{"taints":[{"key":"node-role.kubernetes.io/master","effect":"NoSchedule"}]}}"#,
        );
        assert!(tainted.is_control_plane());
        let worker = node(
            r#"{"metadata":{"name":"c","labels":{"node-role.kubernetes.io/worker":""}},"spec":{"taints":[{"key":"gpu","effect":"NoSchedule"}]}}"#,
        );
        assert!(!worker.is_control_plane());
        assert_eq!(worker.roles(), ["worker"]);
        assert!(!node(r#"{"metadata":{"name":"d"}}"#).is_control_plane());
    }
}
