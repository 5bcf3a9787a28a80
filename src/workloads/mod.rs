//! What pod specs give away, of running pods and of the pods to come:
//! which ServiceAccount tokens each container can read (`tokens`), what
//! makes a compromised container worse (`amplifiers`), and both for every
//! pod (`exposure`); which pods and controllers form one workload
//! (`owners`), the pod each controller's template would create
//! (`templates`), the nodes it may land on (`placement`) and whether the
//! namespace's Pod Security level lets it in (`admission`). Pure: no I/O.

pub mod admission;
pub mod amplifiers;
pub mod exposure;
pub mod owners;
pub mod placement;
pub mod templates;
pub mod tokens;

use crate::snapshot::pod::{EnvFromSource, EnvVar, SecurityContext, VolumeMount};

use crate::snapshot::pod::{Container, Workload};
use serde::Serialize;

/// Which list of the pod spec a container is in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ContainerKind {
    /// `spec.initContainers`.
    Init,
    /// `spec.containers`.
    Container,
    /// `spec.ephemeralContainers` (added by `kubectl debug`).
    Ephemeral,
}

/// A container, named with its kind. Sorts as the spec lists them: init
/// containers, containers, ephemeral containers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
pub struct ContainerRef {
    /// Which list it is in.
    pub kind: ContainerKind,
    /// The container's name.
    pub name: String,
}

impl std::fmt::Display for ContainerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            ContainerKind::Container => f.write_str(&self.name),
            ContainerKind::Init => write!(f, "{} (init)", self.name),
            ContainerKind::Ephemeral => write!(f, "{} (ephemeral)", self.name),
        }
    }
}

/// The parts of a container (of any of the three kinds) the analysis reads.
#[derive(Debug, Clone, Copy)]
pub struct ContainerView<'p> {
    /// The container's name.
    pub name: &'p str,
    /// Which list it is in.
    pub kind: ContainerKind,
    /// `securityContext`.
    pub security_context: Option<&'p SecurityContext>,
    /// `volumeMounts`.
    pub volume_mounts: &'p [VolumeMount],
    /// `env`.
    pub env: &'p [EnvVar],
    /// `envFrom`.
    pub env_from: &'p [EnvFromSource],
}

impl ContainerView<'_> {
    /// The container's reference.
    pub fn reference(&self) -> ContainerRef {
        ContainerRef {
            name: self.name.to_string(),
            kind: self.kind,
        }
    }
}

/// Every container of a pod: init containers, containers, ephemeral containers.
pub fn containers(workload: &Workload) -> Vec<ContainerView<'_>> {
    let init = workload.init_containers.iter();
    let main = workload.containers.iter();
    let ephemeral = workload.ephemeral_containers.iter();
    init.map(|c| view(c, ContainerKind::Init))
        .chain(main.map(|c| view(c, ContainerKind::Container)))
        .chain(ephemeral.map(|c| view(c, ContainerKind::Ephemeral)))
        .collect()
}

fn view(c: &Container, kind: ContainerKind) -> ContainerView<'_> {
    ContainerView {
        name: c.name.as_str(),
        kind,
        security_context: c.security_context.as_deref(),
        volume_mounts: c.volume_mounts.as_deref().unwrap_or_default(),
        env: c.env.as_deref().unwrap_or_default(),
        env_from: c.env_from.as_deref().unwrap_or_default(),
    }
}

pub use crate::snapshot::pod::service_account_name;
