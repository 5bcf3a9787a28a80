//! Pod Security admission of a pod spec: which of the Pod Security
//! Standards' checks a pod, or a controller's template, fails at a level
//! (`privileged`, `baseline`, `restricted`), and so whether the built-in
//! `PodSecurity` admission would let its pods into a namespace enforcing
//! that level.
//!
//! The rules are those of the latest policy version of
//! `staging/src/k8s.io/pod-security-admission/policy/` (one check per
//! `check_*.go` file; each file's `ForbiddenDetail` is the model of our
//! `detail`), and levels parse as `pod-security-admission/api`'s
//! `ParseLevel` and `PolicyToEvaluate` do. As in PSA, init, regular and
//! ephemeral containers all count; at `restricted`, the restricted checks
//! replace the baseline ones they tighten (`OverrideCheckIDs`): capabilities,
//! seccomp, procMount, and hostPath volumes (reported as
//! `restricted-volumes`).
//!
//! What we cannot check, because the snapshot does not decode the field:
//! AppArmor profiles, SELinux options, sysctls, Windows `hostProcess`, the
//! `host` of probes and lifecycle handlers, and volume types other than
//! `hostPath`, `secret` and `projected` (`restricted` forbids most of them).
//! Each of those checks can only reject a pod, so leaving it out can only
//! make us count a template as admitted that PSA would reject, never the
//! other way round.
//!
//! PSA's two relaxations are read, and applied as it applies them: a pod
//! with `spec.hostUsers: false` (its own user namespace,
//! `relaxPolicyForUserNamespacePod`) is spared `run-as-non-root` and
//! `run-as-user`, and at `baseline` `proc-mount` (restricted's procMount
//! check is not relaxed); a pod with `spec.os.name: windows` is spared
//! `allow-privilege-escalation`, and at `restricted` `capabilities` and
//! `seccomp` (the restricted checks, which replace the baseline ones there;
//! at `baseline` both still apply).
//!
//! Pure: no I/O.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::snapshot::pod::{Container, PodSpec, SecurityContext};

/// The names of the checks, as PSA's check IDs in kebab case.
pub mod check {
    /// `hostNetwork`, `hostPID` or `hostIPC` (baseline).
    pub const HOST_NAMESPACES: &str = "host-namespaces";
    /// `securityContext.privileged: true` (baseline).
    pub const PRIVILEGED: &str = "privileged";
    /// Capabilities added beyond the default set (baseline), or not
    /// dropping `ALL` and adding more than `NET_BIND_SERVICE` (restricted;
    /// not for a Windows pod).
    pub const CAPABILITIES: &str = "capabilities";
    /// A `hostPath` volume (baseline; at restricted it is
    /// [`RESTRICTED_VOLUMES`]).
    pub const HOST_PATH_VOLUMES: &str = "host-path-volumes";
    /// A container port with a `hostPort` (baseline).
    pub const HOST_PORTS: &str = "host-ports";
    /// `securityContext.procMount` other than `Default` (baseline, but
    /// not for a pod with `hostUsers: false`; restricted, for every pod).
    pub const PROC_MOUNT: &str = "proc-mount";
    /// A seccomp profile other than `RuntimeDefault` or `Localhost`
    /// (baseline), or none (restricted; not for a Windows pod).
    pub const SECCOMP: &str = "seccomp";
    /// `allowPrivilegeEscalation` not `false` (restricted; not for a
    /// Windows pod).
    pub const ALLOW_PRIVILEGE_ESCALATION: &str = "allow-privilege-escalation";
    /// `runAsNonRoot` not `true` for the pod or every container (restricted;
    /// not for a pod with `hostUsers: false`).
    pub const RUN_AS_NON_ROOT: &str = "run-as-non-root";
    /// `runAsUser: 0` (restricted; not for a pod with `hostUsers: false`).
    pub const RUN_AS_USER: &str = "run-as-user";
    /// A volume of a type restricted forbids (of those we decode: `hostPath`).
    pub const RESTRICTED_VOLUMES: &str = "restricted-volumes";
}

/// A Pod Security Standards level, from the least strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// No restriction.
    Privileged,
    /// Prevents the known privilege escalations.
    Baseline,
    /// Current pod-hardening practice.
    Restricted,
}

impl Level {
    /// The level PSA enforces when a namespace's
    /// `pod-security.kubernetes.io/enforce` label holds an invalid value:
    /// `ParseLevel` falls back to `restricted` and `PolicyToEvaluate` keeps
    /// it (fail closed). An invalid `audit` or `warn` label falls back to
    /// `privileged` instead (fail open). PSA refuses to create a namespace
    /// with an invalid label, or to change one to an invalid value, so such
    /// a label predates the admission.
    pub const INVALID_ENFORCE: Level = Level::Restricted;

    /// The level of a `pod-security.kubernetes.io/<mode>` label value, as
    /// `api.ParseLevel`: exactly `privileged`, `baseline` or `restricted`
    /// (case-sensitive), else `None`. What PSA does with an invalid value
    /// depends on the mode: see [`Level::INVALID_ENFORCE`] and
    /// [`Level::enforced`].
    pub fn parse(label_value: &str) -> Option<Level> {
        match label_value {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }

    /// The level PSA enforces for an `enforce` label value: the value's
    /// level, or [`Level::INVALID_ENFORCE`] if it is not one.
    pub fn enforced(label_value: &str) -> Level {
        Level::parse(label_value).unwrap_or(Level::INVALID_ENFORCE)
    }

    /// The label value of the level.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A check a pod spec fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The check's name (see [`check`]).
    pub check: &'static str,
    /// What fails it, worded as PSA's `ForbiddenDetail`: the containers,
    /// volumes or pod, and the field.
    pub detail: String,
}

/// The checks `spec` fails at `level` (none at `privileged`), in a fixed
/// order: host namespaces, privileged, capabilities, hostPath or restricted
/// volumes, host ports, procMount, seccomp, then restricted's
/// allowPrivilegeEscalation, runAsNonRoot and runAsUser.
pub fn violations(level: Level, spec: &PodSpec) -> Vec<Violation> {
    if level == Level::Privileged {
        return Vec::new();
    }
    let restricted = level == Level::Restricted;
    let mut found = vec![
        (check::HOST_NAMESPACES, host_namespaces(spec)),
        (check::PRIVILEGED, privileged(spec)),
    ];
    // At restricted, the restricted checks replace the baseline ones they
    // tighten (PSA's OverrideCheckIDs).
    if restricted {
        found.push((check::CAPABILITIES, capabilities_restricted(spec)));
        found.push((check::RESTRICTED_VOLUMES, restricted_volumes(spec)));
    } else {
        found.push((check::CAPABILITIES, capabilities_baseline(spec)));
        found.push((check::HOST_PATH_VOLUMES, host_path_volumes(spec)));
    }
    found.push((check::HOST_PORTS, host_ports(spec)));
    found.push((check::PROC_MOUNT, proc_mount(spec, restricted)));
    found.push((check::SECCOMP, seccomp(spec, restricted)));
    if restricted {
        found.push((
            check::ALLOW_PRIVILEGE_ESCALATION,
            allow_privilege_escalation(spec),
        ));
        found.push((check::RUN_AS_NON_ROOT, run_as_non_root(spec)));
        found.push((check::RUN_AS_USER, run_as_user(spec)));
    }
    found
        .into_iter()
        .filter_map(|(check, detail)| detail.map(|detail| Violation { check, detail }))
        .collect()
}

/// Whether PSA enforcing `level` admits the pods of `spec`: it fails no
/// check (up to what we can check: see the module's header).
pub fn admitted(level: Level, spec: &PodSpec) -> bool {
    violations(level, spec).is_empty()
}

/// Every container, as PSA's `visitContainers` visits them: init
/// containers, containers, ephemeral containers.
fn containers(spec: &PodSpec) -> impl Iterator<Item = &Container> {
    let init = spec.init_containers.iter().flatten();
    let ephemeral = spec.ephemeral_containers.iter().flatten();
    init.chain(&spec.containers).chain(ephemeral)
}

/// Whether the pod has its own user namespace (`hostUsers: false`): PSA's
/// `relaxPolicyForUserNamespacePod`.
fn user_namespace(spec: &PodSpec) -> bool {
    spec.host_users == Some(false)
}

/// Whether the pod is a Windows pod (`os.name: windows`, exactly): the API
/// forbids the Linux-only security fields on it, so PSA admits it without
/// them.
fn windows(spec: &PodSpec) -> bool {
    spec.os.as_ref().is_some_and(|os| os.name == "windows")
}

fn context(c: &Container) -> Option<&SecurityContext> {
    c.security_context.as_deref()
}

/// The names of the containers `bad` picks, in visiting order.
fn names_where(spec: &PodSpec, bad: impl Fn(&Container) -> bool) -> Vec<&str> {
    containers(spec)
        .filter(|c| bad(c))
        .map(|c| c.name.as_str())
        .collect()
}

/// `"a", "b"`: PSA's `joinQuote`.
fn join_quote<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let quoted: Vec<String> = items
        .into_iter()
        .map(|s| format!("\"{}\"", s.as_ref()))
        .collect();
    quoted.join(", ")
}

fn pluralize(singular: &'static str, plural: &'static str, count: usize) -> &'static str {
    if count == 1 { singular } else { plural }
}

/// `container "a"` or `containers "a", "b"`.
fn containers_named(names: &[&str]) -> String {
    let noun = pluralize("container", "containers", names.len());
    format!("{noun} {}", join_quote(names))
}

/// `check_hostNamespaces.go`.
fn host_namespaces(spec: &PodSpec) -> Option<String> {
    let set = [
        ("hostNetwork", spec.host_network),
        ("hostPID", spec.host_pid),
        ("hostIPC", spec.host_ipc),
    ];
    let on: Vec<String> = (set.iter())
        .filter(|(_, v)| *v == Some(true))
        .map(|(f, _)| format!("{f}=true"))
        .collect();
    (!on.is_empty()).then(|| on.join(", "))
}

/// `check_privileged.go`.
fn privileged(spec: &PodSpec) -> Option<String> {
    let bad = names_where(spec, |c| {
        context(c).and_then(|s| s.privileged) == Some(true)
    });
    (!bad.is_empty()).then(|| {
        let who = containers_named(&bad);
        format!("{who} must not set securityContext.privileged=true")
    })
}

/// The capabilities baseline lets a container add
/// (`check_capabilities_baseline.go`): the container runtimes' default set.
pub const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The one capability restricted lets a container add.
pub const RESTRICTED_CAPABILITY: &str = "NET_BIND_SERVICE";

fn added(c: &Container) -> &[String] {
    (context(c).and_then(|s| s.capabilities.as_ref()))
        .and_then(|caps| caps.add.as_deref())
        .unwrap_or_default()
}

/// The containers adding a capability `allowed` refuses, and those
/// capabilities (sorted, as a Go `sets.String`). Names compare exactly, as
/// PSA's do: `CAP_SYS_ADMIN` or `sys_admin` is not in any list.
fn adding_beyond(spec: &PodSpec, allowed: impl Fn(&str) -> bool) -> (Vec<&str>, BTreeSet<&str>) {
    let mut names = Vec::new();
    let mut forbidden = BTreeSet::new();
    for c in containers(spec) {
        let mut bad = false;
        for cap in added(c).iter().filter(|cap| !allowed(cap)) {
            forbidden.insert(cap.as_str());
            bad = true;
        }
        if bad {
            names.push(c.name.as_str());
        }
    }
    (names, forbidden)
}

fn must_not_add(names: &[&str], forbidden: &BTreeSet<&str>) -> String {
    let who = containers_named(names);
    let caps = join_quote(forbidden);
    format!("{who} must not include {caps} in securityContext.capabilities.add")
}

/// `check_capabilities_baseline.go`.
fn capabilities_baseline(spec: &PodSpec) -> Option<String> {
    let (names, forbidden) = adding_beyond(spec, |cap| BASELINE_CAPABILITIES.contains(&cap));
    (!names.is_empty()).then(|| must_not_add(&names, &forbidden))
}

/// `check_capabilities_restricted.go`: every container drops `ALL` and
/// adds nothing but `NET_BIND_SERVICE`; a Windows pod is spared.
fn capabilities_restricted(spec: &PodSpec) -> Option<String> {
    if windows(spec) {
        return None;
    }
    let missing_drop_all = names_where(spec, |c| {
        let caps = context(c).and_then(|s| s.capabilities.as_ref());
        let drop = caps
            .and_then(|caps| caps.drop.as_deref())
            .unwrap_or_default();
        !drop.iter().any(|d| d == "ALL")
    });
    let (adding, forbidden) = adding_beyond(spec, |cap| cap == RESTRICTED_CAPABILITY);
    let mut details = Vec::new();
    if !missing_drop_all.is_empty() {
        let who = containers_named(&missing_drop_all);
        details.push(format!(
            r#"{who} must set securityContext.capabilities.drop=["ALL"]"#
        ));
    }
    if !adding.is_empty() {
        details.push(must_not_add(&adding, &forbidden));
    }
    (!details.is_empty()).then(|| details.join("; "))
}

/// `check_hostPathVolumes.go`.
fn host_path_volumes(spec: &PodSpec) -> Option<String> {
    let volumes = spec.volumes.iter().flatten();
    let names: Vec<&str> = (volumes.filter(|v| v.host_path.is_some()))
        .map(|v| v.name.as_str())
        .collect();
    (!names.is_empty()).then(|| {
        let noun = pluralize("volume", "volumes", names.len());
        format!("{noun} {}", join_quote(&names))
    })
}

/// `check_restrictedVolumes.go`, over the volumes we decode: `secret` and
/// `projected` are allowed, `hostPath` is not.
fn restricted_volumes(spec: &PodSpec) -> Option<String> {
    let volumes = spec.volumes.iter().flatten();
    let names: Vec<&str> = volumes
        .filter(|v| v.secret.is_none() && v.projected.is_none() && v.host_path.is_some())
        .map(|v| v.name.as_str())
        .collect();
    (!names.is_empty()).then(|| {
        let (noun, verb) = if names.len() == 1 {
            ("volume", "uses")
        } else {
            ("volumes", "use")
        };
        let quoted = join_quote(&names);
        format!(r#"{noun} {quoted} {verb} restricted volume type "hostPath""#)
    })
}

/// `check_hostPorts.go`.
fn host_ports(spec: &PodSpec) -> Option<String> {
    let mut names = Vec::new();
    let mut ports = BTreeSet::new();
    for c in containers(spec) {
        let host: Vec<i32> = (c.ports.iter().flatten())
            .filter_map(|p| p.host_port.filter(|&h| h != 0))
            .collect();
        if !host.is_empty() {
            names.push(c.name.as_str());
            // Sorted as strings, as a Go sets.String lists them.
            ports.extend(host.iter().map(i32::to_string));
        }
    }
    (!names.is_empty()).then(|| {
        let who = containers_named(&names);
        let verb = pluralize("uses", "use", names.len());
        let noun = pluralize("hostPort", "hostPorts", ports.len());
        let list: Vec<String> = ports.into_iter().collect();
        format!("{who} {verb} {noun} {}", list.join(", "))
    })
}

/// `check_procMount_restricted.go` when `restricted`, else
/// `check_procMount_baseline.go`, the same rule but sparing a pod with its
/// own user namespace.
fn proc_mount(spec: &PodSpec, restricted: bool) -> Option<String> {
    if !restricted && user_namespace(spec) {
        return None;
    }
    let mut names = Vec::new();
    let mut kinds = BTreeSet::new();
    for c in containers(spec) {
        let mount = context(c).and_then(|s| s.proc_mount.as_deref());
        if let Some(mount) = mount.filter(|&m| m != "Default") {
            names.push(c.name.as_str());
            kinds.insert(mount);
        }
    }
    (!names.is_empty()).then(|| {
        let who = containers_named(&names);
        format!(
            "{who} must not set securityContext.procMount to {}",
            join_quote(&kinds)
        )
    })
}

fn valid_seccomp(kind: &str) -> bool {
    matches!(kind, "RuntimeDefault" | "Localhost")
}

/// `check_seccompProfile_baseline.go` (a profile set must be
/// `RuntimeDefault` or `Localhost`) and, when `restricted`,
/// `check_seccompProfile_restricted.go` (and one must be set, on the pod
/// or on every container), which replaces the baseline check and spares a
/// Windows pod.
fn seccomp(spec: &PodSpec, restricted: bool) -> Option<String> {
    if restricted && windows(spec) {
        return None;
    }
    let mut setters = Vec::new();
    let mut bad_values = BTreeSet::new();
    let pod = (spec.security_context.as_ref()).and_then(|s| s.seccomp_profile.as_ref());
    let pod_set = pod.is_some_and(|p| valid_seccomp(&p.type_));
    if let Some(p) = pod.filter(|p| !valid_seccomp(&p.type_)) {
        setters.push("pod".to_string());
        bad_values.insert(p.type_.as_str());
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    for c in containers(spec) {
        match context(c).and_then(|s| s.seccomp_profile.as_ref()) {
            Some(p) if !valid_seccomp(&p.type_) => {
                explicit.push(c.name.as_str());
                bad_values.insert(p.type_.as_str());
            }
            Some(_) => {}
            None if !pod_set => implicit.push(c.name.as_str()),
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_named(&explicit));
    }
    if !setters.is_empty() {
        return Some(format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters.join(" and "),
            join_quote(&bad_values)
        ));
    }
    (restricted && !implicit.is_empty()).then(|| {
        let who = containers_named(&implicit);
        format!(
            r#"pod or {who} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#
        )
    })
}

/// `check_allowPrivilegeEscalation.go`: it defaults to true, so it must be
/// set to false; a Windows pod is spared.
fn allow_privilege_escalation(spec: &PodSpec) -> Option<String> {
    if windows(spec) {
        return None;
    }
    let bad = names_where(spec, |c| {
        context(c).and_then(|s| s.allow_privilege_escalation) != Some(false)
    });
    (!bad.is_empty()).then(|| {
        let who = containers_named(&bad);
        format!("{who} must set securityContext.allowPrivilegeEscalation=false")
    })
}

/// `check_runAsNonRoot.go`: `true` on the pod (and not `false` on a
/// container), or on every container; a pod with its own user namespace
/// is spared.
fn run_as_non_root(spec: &PodSpec) -> Option<String> {
    if user_namespace(spec) {
        return None;
    }
    let pod = spec
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_non_root);
    let mut setters = Vec::new();
    if pod == Some(false) {
        setters.push("pod".to_string());
    }
    let own = |c: &Container| context(c).and_then(|s| s.run_as_non_root);
    let explicit = names_where(spec, |c| own(c) == Some(false));
    let implicit = names_where(spec, |c| own(c).is_none() && pod != Some(true));
    if !explicit.is_empty() {
        setters.push(containers_named(&explicit));
    }
    if !setters.is_empty() {
        let who = setters.join(" and ");
        return Some(format!(
            "{who} must not set securityContext.runAsNonRoot=false"
        ));
    }
    (!implicit.is_empty()).then(|| {
        let who = containers_named(&implicit);
        format!("pod or {who} must set securityContext.runAsNonRoot=true")
    })
}

/// `check_runAsUser.go`: no `runAsUser: 0`, on the pod or a container; a
/// pod with its own user namespace is spared.
fn run_as_user(spec: &PodSpec) -> Option<String> {
    if user_namespace(spec) {
        return None;
    }
    let pod = spec.security_context.as_ref().and_then(|s| s.run_as_user);
    let mut setters = Vec::new();
    if pod == Some(0) {
        setters.push("pod".to_string());
    }
    let explicit = names_where(spec, |c| context(c).and_then(|s| s.run_as_user) == Some(0));
    if !explicit.is_empty() {
        setters.push(containers_named(&explicit));
    }
    (!setters.is_empty()).then(|| format!("{} must not set runAsUser=0", setters.join(" and ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> PodSpec {
        serde_json::from_value(json).unwrap()
    }

    fn checks(level: Level, s: &PodSpec) -> Vec<&'static str> {
        violations(level, s).into_iter().map(|v| v.check).collect()
    }

    fn detail(level: Level, s: &PodSpec, check: &str) -> String {
        let found = violations(level, s).into_iter().find(|v| v.check == check);
        found.unwrap_or_else(|| panic!("no {check}")).detail
    }

    /// The restricted example of the Pod Security Standards page, with an
    /// init and an ephemeral container held to the same rules.
    fn hardened() -> serde_json::Value {
        let container = |name: &str| {
            serde_json::json!({"name": name, "securityContext": {
                "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]}}})
        };
        serde_json::json!({
            "securityContext": {"runAsNonRoot": true, "runAsUser": 1000,
                "seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [container("init")],
            "containers": [container("app")],
            "ephemeralContainers": [container("debug")],
            "volumes": [{"name": "s", "secret": {"secretName": "x"}},
                {"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}}]
        })
    }

    #[test]
    fn levels_parse_as_parse_level_does() {
        // pod-security-admission/api/helpers.go ParseLevel.
        assert_eq!(Level::parse("privileged"), Some(Level::Privileged));
        assert_eq!(Level::parse("baseline"), Some(Level::Baseline));
        assert_eq!(Level::parse("restricted"), Some(Level::Restricted));
        for bad in ["", "Restricted", " baseline", "strict", "latest"] {
            assert_eq!(Level::parse(bad), None, "{bad:?}");
        }
        // PolicyToEvaluate: an invalid enforce level enforces restricted.
        assert_eq!(Level::enforced("bogus"), Level::Restricted);
        assert_eq!(Level::enforced("baseline"), Level::Baseline);
        assert!(Level::Privileged < Level::Baseline && Level::Baseline < Level::Restricted);
        assert_eq!(Level::Baseline.to_string(), "baseline");
        assert_eq!(
            serde_json::to_value(Level::Restricted).unwrap(),
            "restricted"
        );
    }

    #[test]
    fn a_privileged_template_is_admitted_only_at_privileged() {
        // PSS, baseline, "Privileged Containers"; check_privileged.go.
        let s = spec(serde_json::json!({"containers": [
            {"name": "a", "securityContext": {"privileged": true}},
            {"name": "b", "securityContext": {"privileged": false}}]}));
        assert!(admitted(Level::Privileged, &s));
        assert!(violations(Level::Privileged, &s).is_empty());
        assert_eq!(checks(Level::Baseline, &s), [check::PRIVILEGED]);
        assert_eq!(
            detail(Level::Baseline, &s, check::PRIVILEGED),
            r#"container "a" must not set securityContext.privileged=true"#
        );
        assert!(checks(Level::Restricted, &s).contains(&check::PRIVILEGED));
    }

    #[test]
    fn every_container_list_counts() {
        // visitor.go visits init, regular and ephemeral containers.
        let s = spec(serde_json::json!({
            "initContainers": [{"name": "i", "securityContext": {"privileged": true}}],
            "containers": [{"name": "c"}],
            "ephemeralContainers": [{"name": "e", "securityContext": {"privileged": true}}]}));
        assert_eq!(
            detail(Level::Baseline, &s, check::PRIVILEGED),
            r#"containers "i", "e" must not set securityContext.privileged=true"#
        );
    }

    #[test]
    fn host_namespaces_fail_baseline() {
        // check_hostNamespaces_test.go.
        let s = spec(serde_json::json!({"hostPID": true, "containers": [{"name": "c"}]}));
        assert_eq!(checks(Level::Baseline, &s), [check::HOST_NAMESPACES]);
        assert_eq!(
            detail(Level::Baseline, &s, check::HOST_NAMESPACES),
            "hostPID=true"
        );
        let all = spec(
            serde_json::json!({"hostNetwork": true, "hostPID": true, "hostIPC": true,
            "containers": []}),
        );
        assert_eq!(
            detail(Level::Baseline, &all, check::HOST_NAMESPACES),
            "hostNetwork=true, hostPID=true, hostIPC=true"
        );
        let off = spec(serde_json::json!({"hostPID": false, "containers": []}));
        assert!(admitted(Level::Baseline, &off));
    }

    #[test]
    fn a_host_path_volume_fails_baseline_and_restricted_as_a_restricted_type() {
        // check_hostPathVolumes.go; at restricted, check_restrictedVolumes.go
        // overrides it.
        let mut json = hardened();
        json["volumes"] = serde_json::json!([{"name": "root", "hostPath": {"path": "/"}},
            {"name": "s", "secret": {"secretName": "x"}}]);
        let s = spec(json);
        assert_eq!(checks(Level::Baseline, &s), [check::HOST_PATH_VOLUMES]);
        assert_eq!(
            detail(Level::Baseline, &s, check::HOST_PATH_VOLUMES),
            r#"volume "root""#
        );
        assert_eq!(checks(Level::Restricted, &s), [check::RESTRICTED_VOLUMES]);
        assert_eq!(
            detail(Level::Restricted, &s, check::RESTRICTED_VOLUMES),
            r#"volume "root" uses restricted volume type "hostPath""#
        );
    }

    #[test]
    fn a_hardened_spec_passes_restricted() {
        let s = spec(hardened());
        assert_eq!(violations(Level::Restricted, &s), []);
        assert!(admitted(Level::Baseline, &s));
        // Localhost seccomp on every container instead of the pod's.
        let mut json = hardened();
        json["securityContext"] = serde_json::json!({"runAsNonRoot": true});
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            json[list][0]["securityContext"]["seccompProfile"] =
                serde_json::json!({"type": "Localhost", "localhostProfile": "p.json"});
        }
        assert!(admitted(Level::Restricted, &spec(json)));
    }

    #[test]
    fn missing_run_as_non_root_fails_restricted_only() {
        // PSS, restricted, "Running as Non-root"; check_runAsNonRoot.go.
        let mut json = hardened();
        json["securityContext"]["runAsNonRoot"] = serde_json::Value::Null;
        let s = spec(json.clone());
        assert!(admitted(Level::Baseline, &s));
        assert_eq!(checks(Level::Restricted, &s), [check::RUN_AS_NON_ROOT]);
        assert_eq!(
            detail(Level::Restricted, &s, check::RUN_AS_NON_ROOT),
            r#"pod or containers "init", "app", "debug" must set securityContext.runAsNonRoot=true"#
        );
        // Set on every container instead: admitted.
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            json[list][0]["securityContext"]["runAsNonRoot"] = true.into();
        }
        assert!(admitted(Level::Restricted, &spec(json.clone())));
        // An explicit false on a container is reported first, even with
        // the pod's true.
        json["securityContext"]["runAsNonRoot"] = true.into();
        json["containers"][0]["securityContext"]["runAsNonRoot"] = false.into();
        assert_eq!(
            detail(Level::Restricted, &spec(json), check::RUN_AS_NON_ROOT),
            r#"container "app" must not set securityContext.runAsNonRoot=false"#
        );
    }

    #[test]
    fn run_as_user_zero_fails_restricted() {
        // check_runAsUser.go.
        let mut json = hardened();
        json["securityContext"]["runAsUser"] = 0.into();
        json["containers"][0]["securityContext"]["runAsUser"] = 0.into();
        let s = spec(json);
        assert!(admitted(Level::Baseline, &s));
        assert_eq!(
            detail(Level::Restricted, &s, check::RUN_AS_USER),
            r#"pod and container "app" must not set runAsUser=0"#
        );
    }

    #[test]
    fn capabilities_beyond_the_default_set_fail_baseline() {
        // PSS, baseline, "Capabilities"; check_capabilities_baseline.go.
        let s = spec(serde_json::json!({"containers": [
            {"name": "a", "securityContext": {"capabilities": {"add": ["SYS_ADMIN", "CHOWN"]}}},
            {"name": "b", "securityContext": {"capabilities": {"add": ["NET_RAW", "SYS_ADMIN"]}}},
            {"name": "c", "securityContext": {"capabilities": {"add": ["KILL"]}}}]}));
        assert_eq!(checks(Level::Baseline, &s), [check::CAPABILITIES]);
        assert_eq!(
            detail(Level::Baseline, &s, check::CAPABILITIES),
            r#"containers "a", "b" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add"#
        );
        // Names compare exactly.
        let prefixed = spec(serde_json::json!({"containers": [
            {"name": "a", "securityContext": {"capabilities": {"add": ["CAP_CHOWN"]}}}]}));
        assert!(!admitted(Level::Baseline, &prefixed));
    }

    #[test]
    fn restricted_capabilities_drop_all_and_add_only_net_bind_service() {
        // PSS, restricted, "Capabilities"; check_capabilities_restricted.go.
        let mut json = hardened();
        json["containers"][0]["securityContext"]["capabilities"] =
            serde_json::json!({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]});
        assert!(admitted(Level::Restricted, &spec(json.clone())));
        // Without drop ALL: baseline admits it, restricted does not.
        json["containers"][0]["securityContext"]["capabilities"] =
            serde_json::json!({"drop": ["NET_RAW"], "add": ["NET_BIND_SERVICE", "CHOWN"]});
        let s = spec(json);
        assert!(admitted(Level::Baseline, &s));
        assert_eq!(checks(Level::Restricted, &s), [check::CAPABILITIES]);
        assert_eq!(
            detail(Level::Restricted, &s, check::CAPABILITIES),
            r#"container "app" must set securityContext.capabilities.drop=["ALL"]; container "app" must not include "CHOWN" in securityContext.capabilities.add"#
        );
        // No securityContext at all misses drop ALL.
        let bare = spec(serde_json::json!({"containers": [{"name": "x"}]}));
        assert!(
            detail(Level::Restricted, &bare, check::CAPABILITIES)
                .starts_with(r#"container "x" must set"#)
        );
    }

    #[test]
    fn seccomp_unconfined_fails_baseline_and_unset_fails_restricted() {
        // PSS, baseline and restricted, "Seccomp"; check_seccompProfile_*.go.
        let s = spec(serde_json::json!({
            "securityContext": {"seccompProfile": {"type": "Unconfined"}},
            "containers": [{"name": "a", "securityContext": {"seccompProfile": {"type": "Unconfined"}}},
                {"name": "b"}]}));
        assert_eq!(checks(Level::Baseline, &s), [check::SECCOMP]);
        assert_eq!(
            detail(Level::Baseline, &s, check::SECCOMP),
            r#"pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined""#
        );
        // Unset passes baseline; restricted needs one on the pod or every container.
        let unset = spec(serde_json::json!({"containers": [{"name": "a"},
            {"name": "b", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}]}));
        assert!(admitted(Level::Baseline, &unset));
        assert_eq!(
            detail(Level::Restricted, &unset, check::SECCOMP),
            r#"pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#
        );
    }

    #[test]
    fn host_ports_and_proc_mount_fail_baseline() {
        // check_hostPorts.go, check_procMount_baseline.go.
        let s = spec(serde_json::json!({"containers": [
            {"name": "a", "ports": [{"containerPort": 80, "hostPort": 80},
                {"containerPort": 9000, "hostPort": 9000}, {"containerPort": 1}]},
            {"name": "b", "securityContext": {"procMount": "Unmasked"}},
            {"name": "c", "securityContext": {"procMount": "Default"}}]}));
        assert_eq!(
            checks(Level::Baseline, &s),
            [check::HOST_PORTS, check::PROC_MOUNT]
        );
        assert_eq!(
            detail(Level::Baseline, &s, check::HOST_PORTS),
            r#"container "a" uses hostPorts 80, 9000"#
        );
        assert_eq!(
            detail(Level::Baseline, &s, check::PROC_MOUNT),
            r#"container "b" must not set securityContext.procMount to "Unmasked""#
        );
    }

    #[test]
    fn allow_privilege_escalation_must_be_false_under_restricted() {
        // check_allowPrivilegeEscalation.go: unset counts as true.
        let mut json = hardened();
        json["containers"][0]["securityContext"]["allowPrivilegeEscalation"] =
            serde_json::Value::Null;
        json["initContainers"][0]["securityContext"]["allowPrivilegeEscalation"] = true.into();
        let s = spec(json);
        assert!(admitted(Level::Baseline, &s));
        assert_eq!(
            detail(Level::Restricted, &s, check::ALLOW_PRIVILEGE_ESCALATION),
            r#"containers "init", "app" must set securityContext.allowPrivilegeEscalation=false"#
        );
    }

    #[test]
    fn a_pod_in_its_own_user_namespace_is_spared_the_user_checks() {
        // helpers.go relaxPolicyForUserNamespacePod; check_runAsNonRoot.go,
        // check_runAsUser.go, check_procMount_baseline.go (relaxed) and
        // check_procMount_restricted.go (not).
        let mut json = hardened();
        json["securityContext"]["runAsNonRoot"] = serde_json::Value::Null;
        json["securityContext"]["runAsUser"] = 0.into();
        json["hostUsers"] = false.into();
        let s = spec(json.clone());
        assert_eq!(violations(Level::Restricted, &s), []);
        // The same pod without the field, or with hostUsers: true, fails.
        let failing = [check::RUN_AS_NON_ROOT, check::RUN_AS_USER];
        for host_users in [serde_json::Value::Null, true.into()] {
            json["hostUsers"] = host_users;
            assert_eq!(checks(Level::Restricted, &spec(json.clone())), failing);
        }
        // procMount: spared at baseline, not at restricted.
        json["hostUsers"] = false.into();
        json["containers"][0]["securityContext"]["procMount"] = "Unmasked".into();
        let s = spec(json.clone());
        assert!(admitted(Level::Baseline, &s));
        assert_eq!(checks(Level::Restricted, &s), [check::PROC_MOUNT]);
        json["hostUsers"] = serde_json::Value::Null;
        assert_eq!(checks(Level::Baseline, &spec(json)), [check::PROC_MOUNT]);
    }

    #[test]
    fn a_windows_pod_is_spared_the_linux_only_restricted_checks() {
        // check_allowPrivilegeEscalation.go, check_capabilities_restricted.go
        // and check_seccompProfile_restricted.go from 1.25: os.name windows.
        let mut json = hardened();
        json["containers"][0]["securityContext"]["allowPrivilegeEscalation"] =
            serde_json::Value::Null;
        json["os"] = serde_json::json!({"name": "windows"});
        assert_eq!(violations(Level::Restricted, &spec(json.clone())), []);
        // The same pod without the field, or on Linux, fails.
        for os in [
            serde_json::Value::Null,
            serde_json::json!({"name": "linux"}),
        ] {
            json["os"] = os;
            assert_eq!(
                checks(Level::Restricted, &spec(json.clone())),
                [check::ALLOW_PRIVILEGE_ESCALATION]
            );
        }
        // With no securityContext at all, a Windows pod passes restricted
        // but for runAsNonRoot, which it is not spared.
        let bare = serde_json::json!({"os": {"name": "windows"}, "containers": [{"name": "c"}]});
        assert_eq!(
            checks(Level::Restricted, &spec(bare)),
            [check::RUN_AS_NON_ROOT]
        );
        // At baseline the capabilities and seccomp checks still apply.
        let baseline = spec(serde_json::json!({"os": {"name": "windows"},
            "securityContext": {"seccompProfile": {"type": "Unconfined"}},
            "containers": [{"name": "c", "securityContext":
                {"capabilities": {"add": ["SYS_ADMIN"]}}}]}));
        assert_eq!(
            checks(Level::Baseline, &baseline),
            [check::CAPABILITIES, check::SECCOMP]
        );
    }

    #[test]
    fn an_empty_spec_fails_only_restricteds_requirements() {
        let s = spec(serde_json::json!({"containers": [{"name": "c"}]}));
        assert!(admitted(Level::Baseline, &s));
        assert_eq!(
            checks(Level::Restricted, &s),
            [
                check::CAPABILITIES,
                check::SECCOMP,
                check::ALLOW_PRIVILEGE_ESCALATION,
                check::RUN_AS_NON_ROOT
            ]
        );
    }
}
