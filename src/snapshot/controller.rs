//! A workload controller as the snapshot keeps it: a Deployment,
//! ReplicaSet, StatefulSet, DaemonSet, Job, CronJob or ReplicationController,
//! reduced to its identity, owners, replica count, `suspend` and its pod
//! template's spec, which is decoded by the same slim reader as a Pod's
//! ([`PodSpec`]).
//!
//! A controller without a template cannot create a pod, and the API server
//! never serves one: decoding fails with the field that is missing
//! (`spec.template`, `spec.template.spec`, `spec.jobTemplate`), so a broken
//! manifest is refused with its file and line rather than read as nothing.
//! A controller serializes as its kind at its current `apiVersion`, with
//! the fields kept, so snapshot files stay readable by kubectl.

use serde::{Deserialize, Serialize};

use super::kind::Kind;
use super::pod::{PodMeta, PodSpec};

/// A workload controller: what it is, who owns it, and what it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Controller {
    /// Its kind: one of [`Kind::CONTROLLERS`].
    pub kind: Kind,
    /// `metadata`: name, namespace, uid and owner references.
    pub metadata: PodMeta,
    /// `spec.replicas` (Deployment, ReplicaSet, StatefulSet,
    /// ReplicationController; the API server's default is 1), or a Job's
    /// `spec.parallelism`. None for DaemonSets and CronJobs.
    pub replicas: Option<i32>,
    /// `spec.suspend` of a Job or CronJob.
    pub suspend: Option<bool>,
    /// The pod template's `spec` (a CronJob's is that of its `jobTemplate`).
    pub template: PodSpec,
}

impl Controller {
    /// The controller of `kind` decoded as [`Templated`] (every kind but
    /// CronJob).
    pub fn from_templated(kind: Kind, t: Templated) -> Controller {
        let replicas = match kind {
            Kind::Job => t.spec.parallelism,
            Kind::DaemonSet | Kind::CronJob => None,
            _ => t.spec.replicas,
        };
        Controller {
            kind,
            metadata: t.metadata,
            replicas,
            suspend: t.spec.suspend,
            template: t.spec.template.spec,
        }
    }

    /// The CronJob decoded as [`Scheduled`].
    pub fn from_scheduled(s: Scheduled) -> Controller {
        Controller {
            kind: Kind::CronJob,
            metadata: s.metadata,
            replicas: None,
            suspend: s.spec.suspend,
            template: s.spec.job_template.spec.template.spec,
        }
    }

    /// How many pods it asks for, as the API server defaults it: `replicas`
    /// (1 when unset) for the kinds that have it; None for DaemonSets (one
    /// per node) and CronJobs (one Job per schedule).
    pub fn desired(&self) -> Option<i32> {
        match self.kind {
            Kind::DaemonSet | Kind::CronJob => None,
            _ => Some(self.replicas.unwrap_or(1)),
        }
    }

    /// Whether it is suspended (a Job or CronJob with `suspend: true`).
    pub fn suspended(&self) -> bool {
        self.suspend == Some(true)
    }
}

/// A controller with a pod template at `spec.template` (every kind but
/// CronJob), as written.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Templated {
    /// `metadata`.
    #[serde(default)]
    pub metadata: PodMeta,
    /// `spec`: required.
    pub spec: TemplatedSpec,
}

/// A controller's `spec`: the template is required.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplatedSpec {
    /// `replicas`.
    #[serde(default)]
    pub replicas: Option<i32>,
    /// `parallelism` (a Job's).
    #[serde(default)]
    pub parallelism: Option<i32>,
    /// `suspend` (a Job's).
    #[serde(default)]
    pub suspend: Option<bool>,
    /// `template`: required.
    pub template: Template,
}

/// A pod template: its `spec` is required (its `metadata` is skipped).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Template {
    /// `spec`.
    pub spec: PodSpec,
}

/// A CronJob as written: its Job template is required.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Scheduled {
    /// `metadata`.
    #[serde(default)]
    pub metadata: PodMeta,
    /// `spec`: required.
    pub spec: ScheduledSpec,
}

/// A CronJob's `spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledSpec {
    /// `suspend`.
    #[serde(default)]
    pub suspend: Option<bool>,
    /// `jobTemplate`: required.
    pub job_template: JobTemplate,
}

/// A CronJob's `jobTemplate`: its `spec` (a Job's, with the pod template)
/// is required.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct JobTemplate {
    /// `spec`.
    pub spec: TemplatedSpec,
}

impl Serialize for Controller {
    /// As the kind at its current `apiVersion`: `metadata`, then `spec` with
    /// the fields kept and the template where the kind keeps it.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        #[derive(Serialize)]
        struct TemplateOut<'a> {
            spec: &'a PodSpec,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct SpecOut<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            replicas: Option<i32>,
            #[serde(skip_serializing_if = "Option::is_none")]
            parallelism: Option<i32>,
            #[serde(skip_serializing_if = "Option::is_none")]
            suspend: Option<bool>,
            template: TemplateOut<'a>,
        }
        #[derive(Serialize)]
        struct JobTemplateOut<'a> {
            spec: SpecOut<'a>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct CronSpecOut<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            suspend: Option<bool>,
            job_template: JobTemplateOut<'a>,
        }
        let mut m = s.serialize_struct("Controller", 4)?;
        m.serialize_field("apiVersion", self.kind.api_version())?;
        m.serialize_field("kind", self.kind.as_str())?;
        m.serialize_field("metadata", &self.metadata)?;
        let template = TemplateOut {
            spec: &self.template,
        };
        match self.kind {
            Kind::CronJob => m.serialize_field(
                "spec",
                &CronSpecOut {
                    suspend: self.suspend,
                    job_template: JobTemplateOut {
                        spec: SpecOut {
                            replicas: None,
                            parallelism: None,
                            suspend: None,
                            template,
                        },
                    },
                },
            )?,
            Kind::Job => m.serialize_field(
                "spec",
                &SpecOut {
                    replicas: None,
                    parallelism: self.replicas,
                    suspend: self.suspend,
                    template,
                },
            )?,
            _ => m.serialize_field(
                "spec",
                &SpecOut {
                    replicas: self.replicas,
                    parallelism: None,
                    suspend: None,
                    template,
                },
            )?,
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templated(kind: Kind, json: &str) -> Result<Controller, serde_json::Error> {
        serde_json::from_str::<Templated>(json).map(|t| Controller::from_templated(kind, t))
    }

    #[test]
    fn a_deployment_keeps_its_replicas_and_its_templates_spec() {
        let c = templated(
            Kind::Deployment,
            r#"{"metadata":{"name":"web","namespace":"n","labels":{"a":"b"}},
              "spec":{"replicas":3,"selector":{"matchLabels":{"a":"b"}},
                "template":{"metadata":{"labels":{"a":"b"}},
                  "spec":{"serviceAccountName":"sa","containers":[{"name":"c","image":"i"}]}}}}"#,
        )
        .unwrap();
        assert_eq!(c.kind, Kind::Deployment);
        assert_eq!(c.replicas, Some(3));
        assert_eq!(c.desired(), Some(3));
        assert_eq!(c.template.service_account_name.as_deref(), Some("sa"));
        assert_eq!(c.template.containers[0].name, "c");
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["apiVersion"], "apps/v1");
        assert_eq!(back["kind"], "Deployment");
        assert_eq!(back["spec"]["replicas"], 3);
        assert_eq!(back["spec"]["template"]["spec"]["serviceAccountName"], "sa");
        // Read back, it is the same controller.
        let again = templated(Kind::Deployment, &back.to_string()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn unset_replicas_default_to_one_and_daemonsets_have_none() {
        let json = r#"{"metadata":{"name":"x","namespace":"n"},"spec":{"template":{"spec":{"containers":[]}}}}"#;
        assert_eq!(
            templated(Kind::Deployment, json).unwrap().desired(),
            Some(1)
        );
        assert_eq!(templated(Kind::DaemonSet, json).unwrap().desired(), None);
        let job = r#"{"metadata":{"name":"x","namespace":"n"},"spec":{"parallelism":4,"suspend":true,"template":{"spec":{}}}}"#;
        let job = templated(Kind::Job, job).unwrap();
        assert_eq!((job.replicas, job.suspended()), (Some(4), true));
    }

    #[test]
    fn a_cronjob_reads_its_job_templates_pod_template() {
        let json = r#"{"metadata":{"name":"nightly","namespace":"n"},
          "spec":{"schedule":"0 0 * * *","suspend":false,
            "jobTemplate":{"spec":{"template":{"spec":{"serviceAccountName":"backup",
              "automountServiceAccountToken":true,"containers":[{"name":"c"}]}}}}}}"#;
        let c = Controller::from_scheduled(serde_json::from_str(json).unwrap());
        assert_eq!(c.kind, Kind::CronJob);
        assert_eq!(c.template.service_account_name.as_deref(), Some("backup"));
        assert_eq!(c.desired(), None);
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["apiVersion"], "batch/v1");
        let spec = &back["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        assert_eq!(spec["serviceAccountName"], "backup");
        let again = Controller::from_scheduled(serde_json::from_value(back).unwrap());
        assert_eq!(again, c);
    }

    #[test]
    fn a_controller_without_a_template_does_not_decode() {
        // What the API server requires, a manifest must have: the error
        // names the missing field.
        let missing = |json: &str| {
            let mut d = serde_json::Deserializer::from_str(json);
            let e = serde_path_to_error::deserialize::<_, Templated>(&mut d).unwrap_err();
            format!("{}: {}", e.path(), e.inner())
        };
        let m = missing(r#"{"metadata":{"name":"x"}}"#);
        assert!(m.contains("missing field `spec`"), "{m}");
        let m = missing(r#"{"metadata":{"name":"x"},"spec":{"replicas":1}}"#);
        assert!(
            m.starts_with("spec") && m.contains("missing field `template`"),
            "{m}"
        );
        let m = missing(r#"{"spec":{"template":{"metadata":{}}}}"#);
        assert!(
            m.starts_with("spec.template") && m.contains("missing field `spec`"),
            "{m}"
        );
        let mut d = serde_json::Deserializer::from_str(r#"{"spec":{"schedule":"* * * * *"}}"#);
        let e = serde_path_to_error::deserialize::<_, Scheduled>(&mut d).unwrap_err();
        assert!(e.to_string().contains("missing field `jobTemplate`"), "{e}");
    }
}
