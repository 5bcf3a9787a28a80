//! An object read ahead (its head: type and identity) and decoded into the
//! type of its kind, whatever the parser: the kinds not read counted and
//! passed over, the names every object must have checked, and a decoding
//! error made into a message that names the field, never the value.

use serde::Deserialize;

use super::Loader;
use crate::snapshot::{Kind, Object};
use crate::source::diagnostic;
use crate::source::{Location, SourceError};

impl Loader {
    /// Adds one object whose type and identity were read ahead; `decode`
    /// produces the typed object.
    pub(super) fn add_decoded(
        &mut self,
        head: Head,
        location: impl Fn() -> Location,
        decode: impl FnOnce(Kind) -> Result<Object, Undecodable>,
    ) -> Result<(), SourceError> {
        let Head {
            kind, api_version, ..
        } = &head;
        if kind.is_empty() {
            return Err(SourceError::NotAnObject {
                location: location(),
                message: "object has no `kind`".into(),
            });
        }
        let Some(k) = Kind::from_type(api_version, kind) else {
            *self
                .provenance
                .skipped
                .entry(format!("{kind} ({api_version})"))
                .or_default() += 1;
            return Ok(());
        };
        // Of ConfigMaps, only EKS's aws-auth is read; the others are
        // skipped like any kind the analysis does not read.
        if k == Kind::ConfigMap
            && (head.namespace.as_str(), head.name.as_str()) != crate::snapshot::aws_auth::AWS_AUTH
        {
            *self
                .provenance
                .skipped
                .entry(format!("{kind} ({api_version})"))
                .or_default() += 1;
            return Ok(());
        }
        // The object's name in messages, made only for one.
        let label = || head.describe(k);
        let object = decode(k).map_err(|e| SourceError::InvalidObject {
            location: e.location.unwrap_or_else(&location),
            object: label(),
            message: e.message,
        })?;
        let names = object.names();
        if names.name.unwrap_or("").is_empty() {
            return Err(SourceError::InvalidObject {
                location: location(),
                object: label(),
                message: "metadata.name is missing".into(),
            });
        }
        if k.is_namespaced() && names.namespace.unwrap_or("").is_empty() {
            return Err(SourceError::InvalidObject {
                location: location(),
                object: label(),
                message: "metadata.namespace is missing (dump with `kubectl get -A -o yaml`)"
                    .into(),
            });
        }
        if api_version != k.api_version() {
            self.provenance.count_api_version(k, api_version);
        }
        self.listed.insert(k);
        if let Some(positions) = &mut self.positions {
            // The last copy of an object wins, here as in the snapshot.
            positions.insert(crate::snapshot::key_of(&object), location());
        }
        self.builder.add(object);
        Ok(())
    }
}

/// An object that does not decode into its kind's type: the field path and
/// what is wrong (never the value), and where, when the parser can tell.
pub(super) struct Undecodable {
    pub(super) location: Option<Location>,
    pub(super) message: String,
}

/// What is read of an object before decoding it: its type and identity.
pub(super) struct Head {
    pub(super) kind: String,
    pub(super) api_version: String,
    pub(super) namespace: String,
    pub(super) name: String,
}

impl Head {
    /// `Kind namespace/name`, for error messages.
    pub(super) fn describe(&self, kind: Kind) -> String {
        let name = if self.name.is_empty() {
            "<no name>"
        } else {
            &self.name
        };
        if self.namespace.is_empty() {
            format!("{} {name}", kind.as_str())
        } else {
            format!("{} {}/{name}", kind.as_str(), self.namespace)
        }
    }
}

#[derive(Deserialize, Default)]
pub(super) struct MetaHead {
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) namespace: Option<String>,
}

/// An object's type and identity as written, before decoding.
#[derive(Deserialize, Default)]
pub(super) struct ObjectHead {
    #[serde(default)]
    pub(super) kind: Option<String>,
    #[serde(default, rename = "apiVersion")]
    pub(super) api_version: Option<String>,
    #[serde(default)]
    pub(super) metadata: Option<MetaHead>,
}

impl ObjectHead {
    /// Items of raw API list responses (`RoleList`) carry no `kind` or
    /// `apiVersion`: they take those of the list, `list` = (item kind, apiVersion).
    pub(super) fn resolve(self, list: Option<(&str, &str)>) -> Head {
        let given = |v: Option<String>| v.filter(|s| !s.is_empty());
        let meta = self.metadata.unwrap_or_default();
        Head {
            kind: given(self.kind)
                .or_else(|| list.map(|(k, _)| k.to_string()))
                .unwrap_or_default(),
            api_version: given(self.api_version)
                .or_else(|| list.map(|(_, v)| v.to_string()))
                .unwrap_or_default(),
            namespace: meta.namespace.unwrap_or_default(),
            name: meta.name.unwrap_or_default(),
        }
    }
}

/// `field.path: message` of a decoding error, without the value found.
pub(super) fn path_error<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> String {
    let path = e.path().to_string();
    let inner = diagnostic::without_values(diagnostic::strip_position(&e.inner().to_string()));
    if path == "." {
        inner
    } else {
        format!("{path}: {inner}")
    }
}

/// Decodes into the typed object of `$kind`, with `$typed` (a function
/// generic over the Kubernetes type, named last) applied to `$input`.
macro_rules! decode_as {
    ($kind:expr, $input:expr, $($typed:tt)+) => {
        Ok(match $kind {
            Kind::ClusterRole => Object::ClusterRole($($typed)+($input)?),
            Kind::ClusterRoleBinding => Object::ClusterRoleBinding($($typed)+($input)?),
            Kind::Role => Object::Role($($typed)+($input)?),
            Kind::RoleBinding => Object::RoleBinding($($typed)+($input)?),
            Kind::ServiceAccount => Object::ServiceAccount($($typed)+($input)?),
            Kind::Pod => Object::Pod(Box::new($($typed)+($input)?)),
            Kind::Namespace => Object::Namespace($($typed)+($input)?),
            Kind::Secret => Object::Secret(
                $($typed)+::<crate::source::secret::RedactedSecret>($input)?.into(),
            ),
            Kind::CronJob => Object::Controller(Box::new(
                crate::snapshot::Controller::from_scheduled($($typed)+($input)?),
            )),
            Kind::Deployment
            | Kind::ReplicaSet
            | Kind::StatefulSet
            | Kind::DaemonSet
            | Kind::Job
            | Kind::ReplicationController => Object::Controller(Box::new(
                crate::snapshot::Controller::from_templated($kind, $($typed)+($input)?),
            )),
            Kind::Node => Object::Node($($typed)+($input)?),
            Kind::CustomResourceDefinition => Object::Crd($($typed)+($input)?),
            Kind::ConfigMap => Object::AwsAuth($($typed)+($input)?),
            Kind::AppProject => Object::AppProject(Box::new($($typed)+($input)?)),
            Kind::ClusterSecretStore => Object::SecretStore(Box::new($($typed)+($input)?)),
        })
    };
}
pub(super) use decode_as;

#[cfg(test)]
mod tests {
    use super::super::tests::{load, load_as};
    use super::*;

    #[test]
    fn reads_a_v1_list_and_skips_other_kinds() {
        let loaded = load(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata: {name: a}\n  rules: []\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c, namespace: x}\n",
        )
        .unwrap();
        assert_eq!(loaded.snapshot.cluster_roles.len(), 1);
        assert_eq!(loaded.provenance.skipped.get("ConfigMap (v1)"), Some(&1));
    }

    #[test]
    fn objects_at_old_api_versions_are_read_and_counted_by_kind_and_version() {
        let deployment = |v: &str, name: &str| {
            format!(
                "apiVersion: {v}\nkind: Deployment\nmetadata: {{name: {name}, namespace: n}}\nspec:\n  template:\n    spec:\n      serviceAccountName: sa\n      containers: [{{name: c}}]\n---\n"
            )
        };
        let text = [
            deployment("extensions/v1beta1", "a"),
            deployment("apps/v1", "b"),
            "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c, namespace: n}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec: {containers: [{name: c}]}\n---\n".into(),
            deployment("extensions/v1beta1", "d"),
            // A raw list's items take its apiVersion.
            "apiVersion: apps/v1beta2\nkind: DeploymentList\nitems:\n- metadata: {name: e, namespace: n}\n  spec: {template: {spec: {containers: []}}}\n".into(),
        ]
        .concat();
        let loaded = load(&text).unwrap();
        assert_eq!(loaded.snapshot.controllers_of(Kind::Deployment).len(), 4);
        assert_eq!(loaded.snapshot.controllers_of(Kind::CronJob).len(), 1);
        let sa = loaded.snapshot.controllers_of(Kind::Deployment)[0]
            .template
            .service_account_name
            .as_deref();
        assert_eq!(sa, Some("sa"), "read as the current version");
        let counted: Vec<(Kind, &str, usize)> = (loaded.provenance.old_api_versions.iter())
            .map(|o| (o.kind, o.api_version, o.objects))
            .collect();
        assert_eq!(
            counted,
            [
                (Kind::Deployment, "extensions/v1beta1", 2),
                (Kind::Deployment, "apps/v1beta2", 1),
                (Kind::CronJob, "batch/v1beta1", 1),
            ]
        );
        assert_eq!(
            loaded.provenance.old_api_versions_note().as_deref(),
            Some(
                "read 4 objects at old API versions (Deployment extensions/v1beta1: 2, Deployment apps/v1beta2: 1, CronJob batch/v1beta1: 1): their fields are read as the current version's"
            )
        );
        let one = load(&deployment("apps/v1beta1", "a")).unwrap();
        assert_eq!(
            one.provenance.old_api_versions_note().as_deref(),
            Some(
                "read 1 object at an old API version (Deployment apps/v1beta1: 1): its fields are read as the current version's"
            )
        );
        // Current versions only: nothing to say.
        let current = load(&deployment("apps/v1", "a")).unwrap();
        assert!(current.provenance.old_api_versions.is_empty());
        assert_eq!(current.provenance.old_api_versions_note(), None);
        let json = serde_json::to_value(&current.provenance).unwrap();
        assert!(json.get("oldApiVersions").is_none(), "{json}");
    }

    #[test]
    fn schema_error_names_item_line_object_and_field() {
        let err = load(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata: {name: ok}\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata: {name: bad}\n  rules:\n  - verbs: get\n",
        )
        .unwrap_err();
        let msg = err.to_string();
        // The line and column of the field itself, not of the object.
        assert!(msg.starts_with("t.yaml:11:12: "), "{msg}");
        assert!(msg.contains("ClusterRole bad"), "{msg}");
        assert!(msg.contains("rules[0].verbs"), "{msg}");
    }

    #[test]
    fn json_schema_errors_name_the_item_line_and_field() {
        let mut l = Loader::new();
        let text = "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n  {\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}},\n  {\"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"kind\": \"Role\", \"metadata\": {\"name\": \"r\", \"namespace\": \"n\"}, \"rules\": [{\"verbs\": 3}]}\n]}";
        let err = l.add_text("d.json", text).unwrap_err().to_string();
        assert!(
            err.starts_with("d.json:3:131: Role n/r: rules[0].verbs: invalid type: an integer"),
            "{err}"
        );
        // Raw API lists: items without kind take the list's.
        let mut l = Loader::new();
        l.add_text(
            "p.json",
            r#"{"kind":"RoleList","apiVersion":"rbac.authorization.k8s.io/v1","items":[{"metadata":{"name":"x","namespace":"n"}}]}"#,
        )
        .unwrap();
        assert_eq!(l.finish().unwrap().snapshot.roles.len(), 1);
        // Documents that are not objects, and objects without kind, are refused.
        assert!(Loader::new().add_text("x.json", "[1, 2]").is_err());
        assert!(
            Loader::new()
                .add_text("x.json", "{\"a\": 1}")
                .unwrap_err()
                .to_string()
                .contains("no `kind`")
        );
    }

    #[test]
    fn missing_name_or_namespace_is_an_error() {
        let err = load("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n").unwrap_err();
        assert!(
            err.to_string().contains("metadata.namespace is missing"),
            "{err}"
        );
        let err =
            load("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {}\n")
                .unwrap_err();
        assert!(
            err.to_string().contains("metadata.name is missing"),
            "{err}"
        );
    }

    #[test]
    fn decode_errors_name_the_field_never_the_value() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  containers:\n  - name: c\n    env:\n    - {name: PW, valueFrom: {secretKeyRef: {name: 987654321123, key: k}}}\n";
        let err = load(yaml).unwrap_err().to_string();
        assert_eq!(
            err,
            "t.yaml:8:51: Pod n/p: spec.containers[0].env[0].valueFrom.secretKeyRef.name: invalid type: an integer, expected a string"
        );
        let json = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},
"spec":{"containers":[{"name":"c","volumeMounts":[{"name":"v","mountPath":{"s3cr3t":1}}]}]}}"#;
        let err = load_as("p.json", json).unwrap_err().to_string();
        assert!(
            !err.contains("s3cr3t") && !err.contains("987654321123"),
            "{err}"
        );
        assert!(err.starts_with("p.json:2:"), "{err}");
        assert!(
            err.contains("spec.containers[0].volumeMounts[0].mountPath: invalid type: a map"),
            "{err}"
        );
    }

    #[test]
    fn literal_env_values_are_never_decoded_so_never_kept() {
        // A value of any shape is skipped unread: it can neither fail the
        // load nor reach the snapshot.
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  containers:\n  - name: c\n    env:\n    - {name: PW, value: hunter2}\n    - {name: N, value: {nested: 987654321123}}\n    - {name: S, valueFrom: {secretKeyRef: {name: s, key: k}}}\n";
        let snapshot = load(yaml).unwrap();
        let dumped = serde_json::to_string(&snapshot.snapshot.pods).unwrap();
        assert!(
            !dumped.contains("hunter2") && !dumped.contains("987654321123"),
            "{dumped}"
        );
        assert!(
            dumped.contains(
                r#""env":[{"name":"S","valueFrom":{"secretKeyRef":{"key":"k","name":"s"}}}]"#
            ),
            "{dumped}"
        );
    }
}
