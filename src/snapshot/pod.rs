//! A Pod as the snapshot keeps it: the parts the analysis reads (who the
//! pod runs as, where, its volumes, and each container's name, security
//! context, mounts and env references), decoded straight from the input.
//!
//! k8s-openapi's `Pod` holds every field of the API (a container alone is
//! 2 KB before any of its strings, a volume 3 KB); a big cluster's pods were
//! most of the snapshot. Fields the analysis does not read are skipped by
//! the decoder, unread and unchecked; the fields kept are the API's own
//! types, checked as before. It serializes as a `v1 Pod` (with the fields
//! kept), so snapshot files stay readable by kubectl.

use k8s_openapi::api::core::v1::{
    EnvFromSource, EnvVar, HostPathVolumeSource, PodSecurityContext, ProjectedVolumeSource,
    SecretVolumeSource, SecurityContext, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// A Pod: metadata, the spec fields the analysis reads, and its phase.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Pod {
    /// `metadata`.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// `spec`.
    #[serde(default)]
    pub spec: Option<PodSpec>,
    /// `status`.
    #[serde(default)]
    pub status: Option<PodStatus>,
}

impl Serialize for Pod {
    /// As a `v1 Pod`: `apiVersion` and `kind` first, then the fields kept.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let fields = 3 + usize::from(self.spec.is_some()) + usize::from(self.status.is_some());
        let mut m = s.serialize_struct("Pod", fields)?;
        m.serialize_field("apiVersion", "v1")?;
        m.serialize_field("kind", "Pod")?;
        m.serialize_field("metadata", &self.metadata)?;
        if let Some(spec) = &self.spec {
            m.serialize_field("spec", spec)?;
        }
        if let Some(status) = &self.status {
            m.serialize_field("status", status)?;
        }
        m.end()
    }
}

/// `spec`: who the pod runs as, where, with what, and its containers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// `containers`.
    #[serde(default)]
    pub containers: Vec<Container>,
    /// `initContainers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_containers: Option<Vec<Container>>,
    /// `ephemeralContainers` (added by `kubectl debug`), read like the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_containers: Option<Vec<Container>>,
    /// `volumes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<Volume>>,
    /// `serviceAccountName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// `serviceAccount`, the deprecated alias of `serviceAccountName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// `automountServiceAccountToken`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Option<bool>,
    /// `nodeName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    /// `hostPID`.
    #[serde(default, rename = "hostPID", skip_serializing_if = "Option::is_none")]
    pub host_pid: Option<bool>,
    /// `hostNetwork`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,
    /// `hostIPC`.
    #[serde(default, rename = "hostIPC", skip_serializing_if = "Option::is_none")]
    pub host_ipc: Option<bool>,
    /// `securityContext`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<Box<PodSecurityContext>>,
}

/// A container (of any of the three lists): its name, security context,
/// mounts and env references.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// `name`.
    pub name: String,
    /// `securityContext`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<Box<SecurityContext>>,
    /// `volumeMounts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_mounts: Option<Vec<VolumeMount>>,
    /// `env` (literal values are dropped when the snapshot is built).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<EnvVar>>,
    /// `envFrom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_from: Option<Vec<EnvFromSource>>,
}

/// A volume: its name and the sources that can hold a token or reach the
/// node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// `name`.
    pub name: String,
    /// `hostPath`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<HostPathVolumeSource>,
    /// `secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretVolumeSource>,
    /// `projected` (ServiceAccount tokens, Secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projected: Option<ProjectedVolumeSource>,
}

/// `status`: the phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    /// `phase`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_keeps_what_the_analysis_reads_and_drops_the_rest() {
        let json = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},
          "spec":{"serviceAccountName":"sa","hostPID":true,"hostIPC":false,"nodeName":"n1",
            "containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"1"}},
              "securityContext":{"privileged":true},"env":[{"name":"A","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}],
              "volumeMounts":[{"name":"v","mountPath":"/m"}]}],
            "volumes":[{"name":"v","hostPath":{"path":"/"}},{"name":"e","emptyDir":{}}]},
          "status":{"phase":"Running","podIP":"10.0.0.1"}}"#;
        let pod: Pod = serde_json::from_str(json).unwrap();
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.host_pid, Some(true));
        assert_eq!(spec.host_ipc, Some(false));
        assert_eq!(
            spec.containers[0]
                .security_context
                .as_ref()
                .unwrap()
                .privileged,
            Some(true)
        );
        assert_eq!(
            spec.volumes.as_ref().unwrap()[0]
                .host_path
                .as_ref()
                .unwrap()
                .path,
            "/"
        );
        let back = serde_json::to_value(&pod).unwrap();
        assert_eq!(back["apiVersion"], "v1");
        assert_eq!(back["kind"], "Pod");
        assert_eq!(back["spec"]["hostPID"], true);
        assert_eq!(back["status"], serde_json::json!({"phase": "Running"}));
        assert!(back["spec"]["containers"][0].get("image").is_none());
        // Read back, it is the same pod.
        assert_eq!(serde_json::from_value::<Pod>(back).unwrap(), pod);
    }
}
