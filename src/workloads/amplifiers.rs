//! What makes a compromised container worse than its token: the pod-spec
//! settings of KubiScan's privileged-pods, secret-volume and secret-env
//! reports, and the Pod Security Standards' baseline and restricted checks.
//! An amplifier marked `escape` gives the container the node (and every
//! token on it); those raise a hot pod's severity.
//!
//! Secrets are named, never read: a secret amplifier says which Secret and
//! which env variable, never a value.

use crate::snapshot::pod::{PodSecurityContext, Workload};

use crate::snapshot::Pod;
use foldhash::{HashMap, HashSet};
use serde::Serialize;
use std::sync::Arc;

use super::{ContainerRef, ContainerView, containers};

/// The stable code of an amplifier.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum AmplifierCode {
    /// `securityContext.privileged: true`: all devices, all capabilities.
    PrivilegedContainer,
    /// `hostPID: true`: sees and can signal or trace every process of the node.
    HostPid,
    /// A hostPath volume of a sensitive path (the root, `/etc`, `/var/run`
    /// and runtime sockets, `/var/lib/kubelet`, `/proc`, `/sys`, ...).
    SensitiveHostPath,
    /// An added capability that breaks isolation (SYS_ADMIN, SYS_PTRACE, ...).
    DangerousCapability,
    /// `hostIPC: true`.
    HostIpc,
    /// `hostNetwork: true`: the node's network, its loopback services included.
    HostNetwork,
    /// Another hostPath volume.
    HostPath,
    /// Another added capability.
    AddedCapability,
    /// `allowPrivilegeEscalation` is not `false` (it defaults to true).
    AllowPrivilegeEscalation,
    /// Runs as root: `runAsUser: 0`, or neither `runAsNonRoot` nor a non-zero `runAsUser`.
    RunsAsRoot,
    /// `readOnlyRootFilesystem` is not `true`.
    WritableRootFilesystem,
    /// A Secret mounted as a volume (named, never read).
    SecretVolume,
    /// An env variable from a Secret (named, never read).
    SecretEnv,
}

impl AmplifierCode {
    /// The code as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AmplifierCode::PrivilegedContainer => "privileged-container",
            AmplifierCode::HostPid => "host-pid",
            AmplifierCode::SensitiveHostPath => "sensitive-host-path",
            AmplifierCode::DangerousCapability => "dangerous-capability",
            AmplifierCode::HostIpc => "host-ipc",
            AmplifierCode::HostNetwork => "host-network",
            AmplifierCode::HostPath => "host-path",
            AmplifierCode::AddedCapability => "added-capability",
            AmplifierCode::AllowPrivilegeEscalation => "allow-privilege-escalation",
            AmplifierCode::RunsAsRoot => "runs-as-root",
            AmplifierCode::WritableRootFilesystem => "writable-root-filesystem",
            AmplifierCode::SecretVolume => "secret-volume",
            AmplifierCode::SecretEnv => "secret-env",
        }
    }

    /// Whether it hands the container the node: privileged, hostPID, a
    /// sensitive hostPath, a dangerous capability.
    pub fn is_escape(self) -> bool {
        matches!(
            self,
            AmplifierCode::PrivilegedContainer
                | AmplifierCode::HostPid
                | AmplifierCode::SensitiveHostPath
                | AmplifierCode::DangerousCapability
        )
    }
}

/// One amplifier of a pod.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Amplifier {
    /// What it is.
    pub code: AmplifierCode,
    /// The containers concerned; empty for pod-level settings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<ContainerRef>,
    /// The setting, path, capability or Secret (names only).
    pub detail: String,
    /// Whether it gives the node away.
    pub escape: bool,
    /// A hostPath that reaches `/var/lib/kubelet`, where every pod's token on
    /// the node lies.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub node_tokens: bool,
    /// The pod volume it is about (hostPath and secret volumes), typed, so
    /// no one reads it back out of `detail`.
    #[serde(skip)]
    pub volume: Option<String>,
}

crate::tables::remember_by_value!(Amplifier);

/// A pod's amplifiers, shared by every pod and template that has the same
/// (the replicas of a workload, the pods of one chart): one copy each.
pub type Amplifiers = Arc<[Amplifier]>;

/// Shares equal amplifier lists: each distinct list is kept once.
#[derive(Debug, Default)]
pub struct Shared {
    lists: HashSet<Amplifiers>,
}

impl Shared {
    /// `list`, or the equal one already kept.
    pub fn share(&mut self, list: Vec<Amplifier>) -> Amplifiers {
        if let Some(kept) = self.lists.get(list.as_slice()) {
            return Arc::clone(kept);
        }
        let kept: Amplifiers = list.into();
        self.lists.insert(Arc::clone(&kept));
        kept
    }

    /// `each` of `items`, on every core, in runs that each share the lists
    /// they make; equal lists of different runs are then made one, so
    /// that each distinct list is kept once in all.
    pub fn in_runs<T: Sync, R: Send>(
        items: &[T],
        each: impl Fn(&T, &mut Shared) -> (R, Amplifiers) + Sync,
    ) -> Vec<(R, Amplifiers)> {
        let runs: Vec<&[T]> = items.chunks(1024).collect();
        let done = crate::cores::map(&runs, 1, |run| {
            let mut shared = Shared::default();
            let made: Vec<(R, Amplifiers)> = run.iter().map(|t| each(t, &mut shared)).collect();
            (made, shared)
        });
        let mut shared = Shared::default();
        let mut all = Vec::with_capacity(items.len());
        for (made, kept) in done {
            let kept = shared.merge(kept);
            all.extend(made.into_iter().map(|(r, list)| {
                let list = kept.get(&list.as_ptr()).map_or(list, Arc::clone);
                (r, list)
            }));
        }
        all
    }

    /// Merges lists shared elsewhere (on another core): each of `other`'s
    /// lists, by its allocation, to the equal one kept here.
    fn merge(&mut self, other: Shared) -> HashMap<*const Amplifier, Amplifiers> {
        (other.lists.into_iter())
            .map(|list| {
                let kept = match self.lists.get(&*list) {
                    Some(kept) => Arc::clone(kept),
                    None => {
                        self.lists.insert(Arc::clone(&list));
                        Arc::clone(&list)
                    }
                };
                (list.as_ptr(), kept)
            })
            .collect()
    }
}

/// Host paths that give a container the node, or its credentials.
const SENSITIVE_PATHS: &[&str] = &[
    "/etc",
    "/var/run",
    "/run",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/crio",
    "/var/log",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
    "/home",
    "/usr",
    "/lib",
    "/bin",
    "/sbin",
];

/// Where the kubelet keeps pod volumes, projected tokens included.
const KUBELET_DIR: &str = "/var/lib/kubelet";

/// Capabilities that break container isolation.
const DANGEROUS_CAPABILITIES: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "DAC_READ_SEARCH",
    "BPF",
    "NET_ADMIN",
    "SYS_BOOT",
];

fn normalize(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        trimmed.into()
    }
}

/// `path` is `root`, above it, or below it.
fn overlaps(path: &str, root: &str) -> bool {
    path == root
        || path == "/"
        || root.starts_with(&format!("{path}/"))
        || path.starts_with(&format!("{root}/"))
}

/// Whether a host path is sensitive: `/`, or on the way to or inside a
/// sensitive directory (`/var` reaches `/var/run`; `/etc/kubernetes` is in
/// `/etc`), or a container runtime socket anywhere.
pub fn is_sensitive_host_path(path: &str) -> bool {
    let p = normalize(path);
    p == "/" || SENSITIVE_PATHS.iter().any(|root| overlaps(&p, root)) || p.ends_with(".sock")
}

/// Whether a host path reaches the kubelet's pod directories.
pub fn reaches_kubelet_tokens(path: &str) -> bool {
    overlaps(&normalize(path), KUBELET_DIR)
}

/// The amplifiers of a pod, most dangerous first.
pub fn assess(pod: &Pod, workload: &Workload) -> Vec<Amplifier> {
    let Some(spec) = &pod.spec else {
        return Vec::new();
    };
    let all = containers(workload);
    let mut out = Vec::new();
    let pod_level = |code: AmplifierCode, detail: &str| Amplifier {
        code,
        containers: Vec::new(),
        detail: detail.into(),
        escape: code.is_escape(),
        node_tokens: false,
        volume: None,
    };
    if spec.host_pid == Some(true) {
        out.push(pod_level(AmplifierCode::HostPid, "hostPID: true"));
    }
    if spec.host_ipc == Some(true) {
        out.push(pod_level(AmplifierCode::HostIpc, "hostIPC: true"));
    }
    if spec.host_network == Some(true) {
        out.push(pod_level(AmplifierCode::HostNetwork, "hostNetwork: true"));
    }
    let mounting = |volume: &str| -> Vec<ContainerRef> {
        all.iter()
            .filter(|c| c.volume_mounts.iter().any(|m| m.name == volume))
            .map(ContainerView::reference)
            .collect()
    };
    for v in &workload.volumes {
        if let Some(h) = &v.host_path {
            let sensitive = is_sensitive_host_path(&h.path);
            let code = if sensitive {
                AmplifierCode::SensitiveHostPath
            } else {
                AmplifierCode::HostPath
            };
            let node_tokens = reaches_kubelet_tokens(&h.path);
            out.push(Amplifier {
                code,
                containers: mounting(&v.name),
                detail: format!(
                    "volume {}: hostPath {}{}",
                    v.name,
                    h.path,
                    if node_tokens {
                        " (holds the token of every pod on the node)"
                    } else {
                        ""
                    }
                ),
                escape: code.is_escape(),
                node_tokens,
                volume: Some(v.name.clone()),
            });
        }
        let secret = v.secret.as_ref().and_then(|s| s.secret_name.clone());
        let projected: Vec<String> = v
            .projected
            .iter()
            .flat_map(|p| p.sources.iter().flatten())
            .filter_map(|s| s.secret.as_ref().map(|s| s.name.clone()))
            .collect();
        for name in secret.into_iter().chain(projected) {
            out.push(Amplifier {
                code: AmplifierCode::SecretVolume,
                containers: mounting(&v.name),
                detail: format!("volume {}: secret {name}", v.name),
                escape: false,
                node_tokens: false,
                volume: Some(v.name.clone()),
            });
        }
    }
    let pod_sc = spec.security_context.as_deref();
    for c in &all {
        container_amplifiers(c, pod_sc, &mut out);
    }
    merge(out)
}

fn container_amplifiers(
    c: &ContainerView<'_>,
    pod_sc: Option<&PodSecurityContext>,
    out: &mut Vec<Amplifier>,
) {
    let sc = c.security_context;
    let one = |code: AmplifierCode, detail: String| Amplifier {
        code,
        containers: vec![c.reference()],
        detail,
        escape: code.is_escape(),
        node_tokens: false,
        volume: None,
    };
    let privileged = sc.and_then(|s| s.privileged) == Some(true);
    if privileged {
        out.push(one(
            AmplifierCode::PrivilegedContainer,
            "privileged: true".into(),
        ));
    }
    for cap in sc
        .and_then(|s| s.capabilities.as_ref())
        .and_then(|c| c.add.as_ref())
        .into_iter()
        .flatten()
    {
        let name = cap.trim().to_ascii_uppercase();
        let name = name.strip_prefix("CAP_").unwrap_or(&name).to_string();
        let code = if DANGEROUS_CAPABILITIES.contains(&name.as_str()) {
            AmplifierCode::DangerousCapability
        } else {
            AmplifierCode::AddedCapability
        };
        out.push(one(code, format!("capabilities.add: {name}")));
    }
    if sc.and_then(|s| s.allow_privilege_escalation) != Some(false) {
        out.push(one(
            AmplifierCode::AllowPrivilegeEscalation,
            match sc.and_then(|s| s.allow_privilege_escalation) {
                Some(true) => "allowPrivilegeEscalation: true".into(),
                _ => "allowPrivilegeEscalation not set (defaults to true)".into(),
            },
        ));
    }
    let run_as_user = sc
        .and_then(|s| s.run_as_user)
        .or(pod_sc.and_then(|s| s.run_as_user));
    let non_root = sc
        .and_then(|s| s.run_as_non_root)
        .or(pod_sc.and_then(|s| s.run_as_non_root))
        == Some(true);
    match run_as_user {
        Some(0) if !non_root => out.push(one(AmplifierCode::RunsAsRoot, "runAsUser: 0".into())),
        None if !non_root => out.push(one(
            AmplifierCode::RunsAsRoot,
            "no runAsNonRoot or runAsUser: root unless the image sets a user".into(),
        )),
        _ => {}
    }
    if sc.and_then(|s| s.read_only_root_filesystem) != Some(true) {
        out.push(one(
            AmplifierCode::WritableRootFilesystem,
            "readOnlyRootFilesystem not true".into(),
        ));
    }
    for e in c.env {
        if let Some(r) = e
            .value_from
            .as_ref()
            .and_then(|f| f.secret_key_ref.as_ref())
        {
            out.push(one(
                AmplifierCode::SecretEnv,
                format!("env {}: secret {} key {}", e.name, r.name, r.key),
            ));
        }
    }
    for e in c.env_from {
        if let Some(r) = &e.secret_ref {
            out.push(one(
                AmplifierCode::SecretEnv,
                format!(
                    "envFrom: secret {}{}",
                    r.name,
                    e.prefix
                        .as_deref()
                        .map(|p| format!(" (prefix {p})"))
                        .unwrap_or_default()
                ),
            ));
        }
    }
}

/// Merges amplifiers that differ only by container, and sorts them: escapes
/// first, then by code and detail.
fn merge(items: Vec<Amplifier>) -> Vec<Amplifier> {
    let mut out: Vec<Amplifier> = Vec::new();
    for a in items {
        match out
            .iter_mut()
            .find(|o| o.code == a.code && o.detail == a.detail)
        {
            Some(o) => o.containers.extend(a.containers),
            None => out.push(a),
        }
    }
    for a in &mut out {
        a.containers.sort();
        a.containers.dedup();
    }
    out.sort_by(|a, b| {
        b.escape
            .cmp(&a.escape)
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.detail.cmp(&b.detail))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_amplifier_lists_are_kept_once() {
        let one = |detail: &str| Amplifier {
            code: AmplifierCode::RunsAsRoot,
            containers: Vec::new(),
            detail: detail.into(),
            escape: false,
            node_tokens: false,
            volume: None,
        };
        let mut shared = Shared::default();
        let a = shared.share(vec![one("x")]);
        let b = shared.share(vec![one("x")]);
        let c = shared.share(vec![one("y")]);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(&*c, &[one("y")][..]);
    }

    /// Shared on every core in runs, equal lists are one copy in all, and
    /// each item keeps its own list, in order.
    #[test]
    fn lists_shared_in_runs_are_kept_once_in_all() {
        let one = |detail: String| Amplifier {
            code: AmplifierCode::RunsAsRoot,
            containers: Vec::new(),
            detail,
            escape: false,
            node_tokens: false,
            volume: None,
        };
        // Three kinds of list, spread over several runs of 1,024.
        let items: Vec<usize> = (0..5000).collect();
        let made = Shared::in_runs(&items, |&i, shared| {
            (i, shared.share(vec![one(format!("kind {}", i % 3))]))
        });
        assert_eq!(made.len(), items.len());
        for (at, (i, list)) in made.iter().enumerate() {
            assert_eq!(*i, at);
            assert_eq!(list[0].detail, format!("kind {}", i % 3));
            assert!(Arc::ptr_eq(list, &made[i % 3].1), "item {i}");
        }
    }

    #[test]
    fn sensitive_host_paths_are_the_root_the_way_to_and_the_inside_of_sensitive_directories() {
        for p in [
            "/",
            "/etc",
            "/etc/kubernetes/",
            "/var",
            "/var/run",
            "/var/run/docker.sock",
            "/run/containerd/containerd.sock",
            "/var/lib/kubelet/pods",
            "/proc",
            "/sys/fs/cgroup",
            "/srv/app.sock",
        ] {
            assert!(is_sensitive_host_path(p), "{p}");
        }
        for p in [
            "/data",
            "/tmp",
            "/mnt/disks/ssd0",
            "/opt/app",
            "/etcd-backup",
        ] {
            assert!(!is_sensitive_host_path(p), "{p}");
        }
    }

    #[test]
    fn only_paths_above_or_inside_the_kubelet_directory_reach_its_tokens() {
        for p in [
            "/",
            "/var",
            "/var/lib",
            "/var/lib/kubelet",
            "/var/lib/kubelet/pods/",
        ] {
            assert!(reaches_kubelet_tokens(p), "{p}");
        }
        for p in [
            "/var/run",
            "/var/lib/docker",
            "/var/lib/kubelet-plugins",
            "/etc",
        ] {
            assert!(!reaches_kubelet_tokens(p), "{p}");
        }
    }
}
