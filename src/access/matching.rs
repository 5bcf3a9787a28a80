//! Matching template rules against roles and sets of grants.
//!
//! Each role is profiled once: for every template requirement, which of the
//! role's effective rules grant it, fully or for named objects only, and
//! whether a RoleBinding could grant it at all. Evaluating a subject, binding
//! or role is then a union over the profiles of the roles that reach it.
//! How much a match is worth is the rating's business (`crate::rating`):
//! this says only what is granted, for which names, and through which rules.

use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeSet;

use k8s_openapi::api::rbac::v1::PolicyRule;

use crate::rbac::rules::{Grant, rule_grants};
use crate::rbac::{BindingId, Rbac, RoleId};
use crate::template::Template;

/// One effective rule of a role granting one probe of a requirement.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'s> {
    /// Index of the rule in the role's effective rules.
    pub rule: usize,
    /// Index of the probe in the requirement's `any_of`.
    pub probe: usize,
    /// `None` if granted for every name, else the names it is limited to.
    pub names: Option<&'s [String]>,
    /// Whether a RoleBinding can grant this probe.
    pub namespaced: bool,
}

/// For one role: its hits of each requirement of each risk rule. Most
/// roles hit few of the template's rules (many none): only those are kept,
/// in one list.
#[derive(Debug, Clone, Default)]
pub struct RoleProfile<'s> {
    /// Every hit, by risk rule, then requirement, then probe and rule.
    hits: Vec<Hit<'s>>,
    /// `(risk rule, requirement, end)`: the hits of that requirement run
    /// up to `end` in `hits` (from the end of the entry before), in order.
    spans: Vec<(usize, usize, usize)>,
}

impl<'s> RoleProfile<'s> {
    /// Whether the role matches anything at all of risk rule `risk` (cheap pre-check).
    pub fn touches(&self, risk: usize) -> bool {
        let at = self.spans.partition_point(|&(r, _, _)| r < risk);
        self.spans.get(at).is_some_and(|&(r, _, _)| r == risk)
    }

    /// The role's hits of requirement `requirement` of risk rule `risk`,
    /// by probe, then rule.
    pub fn hits(&self, risk: usize, requirement: usize) -> &[Hit<'s>] {
        let key = (risk, requirement);
        let at = self.spans.partition_point(|&(r, q, _)| (r, q) < key);
        match self.spans.get(at) {
            Some(&(r, q, end)) if (r, q) == key => {
                let start = at.checked_sub(1).map_or(0, |i| self.spans[i].2);
                &self.hits[start..end]
            }
            _ => &[],
        }
    }
}

/// One probe of the template that a rule grants.
#[derive(Debug, Clone, Copy)]
struct RuleHit<'s> {
    risk: usize,
    requirement: usize,
    probe: usize,
    names: Option<&'s [String]>,
    namespaced: bool,
}

/// What a rule grants depends on these fields alone: rules equal in them
/// grant the same (the same probes, the same named objects).
#[derive(PartialEq, Eq, Hash)]
struct RuleContent<'s> {
    api_groups: Option<&'s [String]>,
    resources: Option<&'s [String]>,
    verbs: &'s [String],
    resource_names: Option<&'s [String]>,
    non_resource_urls: Option<&'s [String]>,
}

impl<'s> RuleContent<'s> {
    fn of(rule: &'s PolicyRule) -> Self {
        RuleContent {
            api_groups: rule.api_groups.as_deref(),
            resources: rule.resources.as_deref(),
            verbs: &rule.verbs,
            resource_names: rule.resource_names.as_deref(),
            non_resource_urls: rule.non_resource_urls.as_deref(),
        }
    }
}

/// Profiles roles against a template. What a rule grants of the template
/// is worked out once per distinct rule: clusters repeat the same rules in
/// thousands of roles, and aggregated ClusterRoles repeat their selected
/// roles' rules.
pub struct Profiler<'t, 's> {
    template: &'t Template,
    /// By the rule's content ([`RuleContent`]). A hit's named objects are
    /// those of the first rule met with that content, which are equal.
    by_rule: HashMap<RuleContent<'s>, Vec<RuleHit<'s>>>,
}

impl<'t, 's> Profiler<'t, 's> {
    /// A profiler for `template`.
    pub fn new(template: &'t Template) -> Self {
        Profiler {
            template,
            by_rule: HashMap::new(),
        }
    }

    /// The probes of the template `rule` grants.
    fn rule_hits(template: &Template, rule: &'s PolicyRule) -> Vec<RuleHit<'s>> {
        let mut out = Vec::new();
        for (risk, r) in template.rules.iter().enumerate() {
            for (requirement, req) in r.requires.iter().enumerate() {
                for (pi, probe) in req.any_of.iter().enumerate() {
                    let Some(request) = probe.request(rule.api_groups.as_deref()) else {
                        continue;
                    };
                    if let Some(grant) = rule_grants(rule, &request) {
                        out.push(RuleHit {
                            risk,
                            requirement,
                            probe: pi,
                            names: match grant {
                                Grant::All => None,
                                Grant::Named(n) => Some(n),
                            },
                            namespaced: probe.grantable_in_namespace(),
                        });
                    }
                }
            }
        }
        out
    }

    /// Profiles one role: for each requirement of each risk rule, the
    /// role's rules that grant one of its probes, by probe then rule.
    pub fn profile(&mut self, rbac: &Rbac<'s>, role: RoleId) -> RoleProfile<'s> {
        let template = self.template;
        let mut keyed: Vec<(usize, usize, Hit<'s>)> = Vec::new();
        for (ri, eff) in rbac.role(role).rules.iter().enumerate() {
            let cached = self
                .by_rule
                .entry(RuleContent::of(eff.rule))
                .or_insert_with(|| Self::rule_hits(template, eff.rule));
            keyed.extend(cached.iter().map(|h| {
                let hit = Hit {
                    rule: ri,
                    probe: h.probe,
                    names: h.names,
                    namespaced: h.namespaced,
                };
                (h.risk, h.requirement, hit)
            }));
        }
        // Stable: hits of one rule and probe keep the order found.
        keyed.sort_by_key(|&(risk, requirement, h)| (risk, requirement, h.probe, h.rule));
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        for (i, &(risk, requirement, _)) in keyed.iter().enumerate() {
            match spans.last_mut() {
                Some((r, q, end)) if (*r, *q) == (risk, requirement) => *end = i + 1,
                _ => spans.push((risk, requirement, i + 1)),
            }
        }
        RoleProfile {
            hits: keyed.into_iter().map(|(_, _, h)| h).collect(),
            spans,
        }
    }
}

/// A role reaching the thing being evaluated, and how.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    /// The binding, if any (role findings have none).
    pub binding: Option<BindingId>,
    /// The role.
    pub role: RoleId,
    /// Whether the grant is cluster-wide (a ClusterRoleBinding, or a ClusterRole profiled on its own).
    pub cluster_wide: bool,
}

/// One piece of evidence: an effective rule of a role, reached through a
/// binding, granting some probes of a risk rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleEvidence {
    /// The binding.
    pub binding: Option<BindingId>,
    /// The role.
    pub role: RoleId,
    /// Index in the role's effective rules.
    pub rule: usize,
    /// What it grants of the risk rule: (requirement, probe) indices into
    /// the rule's `requires` and their `any_of`, sorted, each once. (A
    /// vector, not a set: most grant one, and a set's node is twelve times
    /// the size of one entry.)
    pub grants: Vec<(usize, usize)>,
}

/// How one requirement of a risk rule is met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Met {
    /// For every object name, through these probes (indices into the
    /// requirement's `any_of`).
    All {
        /// The probes granted in full.
        probes: Vec<usize>,
    },
    /// For named objects only (`resourceNames`): each probe granted, with
    /// the names it is granted for.
    Named {
        /// (probe index, names), one entry per probe.
        grants: Vec<(usize, BTreeSet<String>)>,
    },
}

/// A risk rule satisfied by a set of sources.
#[derive(Debug, Clone)]
pub struct Satisfied {
    /// How each requirement is met, in the rule's order.
    pub met: Vec<Met>,
    /// The rules that meet the requirements.
    pub grounds: Vec<RuleEvidence>,
}

impl Satisfied {
    /// `Some(names)` when some requirement is met only for named objects:
    /// every name granted there.
    pub fn narrowed_to(&self) -> Option<BTreeSet<String>> {
        let mut names: Option<BTreeSet<String>> = None;
        for m in &self.met {
            if let Met::Named { grants } = m {
                let set = names.get_or_insert_with(BTreeSet::new);
                for (_, n) in grants {
                    set.extend(n.iter().cloned());
                }
            }
        }
        names
    }

    /// Whether every requirement is met for every name.
    pub fn is_full(&self) -> bool {
        self.met.iter().all(|m| matches!(m, Met::All { .. }))
    }
}

/// Whether `sources` together satisfy risk rule `risk`. A source that is not
/// cluster-wide contributes only probes a RoleBinding can grant.
pub fn satisfy<'s>(
    template: &Template,
    risk: usize,
    sources: &[Source],
    profiles: &[RoleProfile<'s>],
) -> Option<Satisfied> {
    let rule = &template.rules[risk];
    let mut met = Vec::with_capacity(rule.requires.len());
    let mut grounds: Vec<RuleEvidence> = Vec::new();
    for qi in 0..rule.requires.len() {
        let mut full = Vec::new();
        let mut named = Vec::new();
        for src in sources {
            for hit in profiles[src.role.0].hits(risk, qi) {
                if !src.cluster_wide && !hit.namespaced {
                    continue;
                }
                if hit.names.is_none() {
                    full.push((src, hit));
                } else {
                    named.push((src, hit));
                }
            }
        }
        let chosen = if !full.is_empty() {
            let mut probes: Vec<usize> = full.iter().map(|(_, h)| h.probe).collect();
            probes.sort_unstable();
            probes.dedup();
            probes.shrink_to_fit();
            met.push(Met::All { probes });
            full
        } else if !named.is_empty() {
            let mut by_probe: Vec<(usize, BTreeSet<String>)> = Vec::new();
            for (_, h) in &named {
                let names = h.names.unwrap_or(&[]).iter().cloned();
                match by_probe.iter_mut().find(|(p, _)| *p == h.probe) {
                    Some((_, set)) => set.extend(names),
                    None => by_probe.push((h.probe, names.collect())),
                }
            }
            by_probe.sort_by_key(|(p, _)| *p);
            met.push(Met::Named { grants: by_probe });
            named
        } else {
            return None;
        };
        for (src, hit) in chosen {
            let desc = (qi, hit.probe);
            match grounds
                .iter_mut()
                .find(|g| g.binding == src.binding && g.role == src.role && g.rule == hit.rule)
            {
                Some(g) => {
                    if let Err(at) = g.grants.binary_search(&desc) {
                        g.grants.insert(at, desc);
                    }
                }
                None => grounds.push(RuleEvidence {
                    binding: src.binding,
                    role: src.role,
                    rule: hit.rule,
                    grants: vec![desc],
                }),
            }
        }
    }
    grounds.sort();
    // Kept for the whole analysis, one per holder and risk: without the
    // room pushing left (four entries for the usual one).
    grounds.shrink_to_fit();
    Some(Satisfied { met, grounds })
}

#[cfg(test)]
mod tests {
    //! Template matching uses the authorizer's rules (see `rbac::rules`); these
    //! tests pin what a template requirement means on top of them.
    use super::*;
    use crate::snapshot::Snapshot;
    use crate::source::files::Loader;

    fn snapshot(rules_yaml: &str) -> Snapshot {
        let yaml = format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r}}\nrules:\n{rules_yaml}"
        );
        let mut l = Loader::new();
        l.add_text("t.yaml", &yaml).unwrap();
        l.finish().unwrap().snapshot
    }

    fn check(rules_yaml: &str, risk: &str, cluster_wide: bool) -> Option<Satisfied> {
        let snap = snapshot(rules_yaml);
        let rbac = Rbac::resolve(&snap);
        let t = Template::builtin();
        let profiles = vec![Profiler::new(&t).profile(&rbac, RoleId(0))];
        let idx = t.rules.iter().position(|r| r.id == risk).unwrap();
        satisfy(
            &t,
            idx,
            &[Source {
                binding: None,
                role: RoleId(0),
                cluster_wide,
            }],
            &profiles,
        )
    }

    /// A role's profile lists, for each requirement of each risk rule, what
    /// the role's rules grant of it: the same as asking every rule in turn.
    #[test]
    fn a_profile_holds_each_rules_hits_of_each_requirement_and_nothing_else() {
        let narrow = "- {apiGroups: [''], resources: [secrets, pods/exec], verbs: [get, create]}\n- {apiGroups: [''], resources: [secrets], resourceNames: [a], verbs: [list]}";
        let t = Template::builtin();
        let touched = |rules_yaml: &str| {
            let snap = snapshot(rules_yaml);
            let rbac = Rbac::resolve(&snap);
            let profile = Profiler::new(&t).profile(&rbac, RoleId(0));
            let rules = &rbac.role(RoleId(0)).rules;
            let mut touched = 0;
            for (risk, rule) in t.rules.iter().enumerate() {
                let mut any = false;
                for requirement in 0..rule.requires.len() {
                    // Each rule asked on its own, by probe then rule.
                    let mut want: Vec<(usize, usize, bool)> = Vec::new();
                    for (ri, eff) in rules.iter().enumerate() {
                        for h in Profiler::rule_hits(&t, eff.rule) {
                            if (h.risk, h.requirement) == (risk, requirement) {
                                want.push((h.probe, ri, h.names.is_some()));
                            }
                        }
                    }
                    want.sort();
                    let got: Vec<(usize, usize, bool)> = (profile.hits(risk, requirement).iter())
                        .map(|h| (h.probe, h.rule, h.names.is_some()))
                        .collect();
                    assert_eq!(got, want, "{} requirement {requirement}", rule.id);
                    any |= !want.is_empty();
                }
                assert_eq!(profile.touches(risk), any, "{}", rule.id);
                touched += usize::from(any);
            }
            assert!(!profile.touches(t.rules.len()));
            assert!(profile.hits(t.rules.len(), 0).is_empty());
            touched
        };
        let some = touched(narrow);
        assert!(some > 0 && some < t.rules.len(), "{some}");
        // With a full wildcard, every risk rule.
        let everything =
            format!("{narrow}\n- {{apiGroups: ['*'], resources: ['*'], verbs: ['*']}}");
        assert_eq!(touched(&everything), t.rules.len());
        assert_eq!(
            touched("- {apiGroups: [''], resources: [events], verbs: [get]}"),
            0
        );
    }

    /// What a rule grants is worked out once per distinct content: one
    /// profiler shared by every role gives each what a profiler of its own
    /// gives it, for rules equal in every field and for rules that differ
    /// in one only (the named objects, a verb, a resource, the group).
    #[test]
    fn a_profiler_shared_by_roles_gives_each_its_own_profile() {
        let roles = [
            "{apiGroups: [''], resources: [secrets], resourceNames: [x], verbs: [get]}",
            "{apiGroups: [''], resources: [secrets], resourceNames: [y], verbs: [get]}",
            "{apiGroups: [''], resources: [secrets], resourceNames: [x], verbs: [get]}",
            "{apiGroups: [''], resources: [secrets], verbs: [get]}",
            "{apiGroups: [''], resources: [secrets], verbs: [list]}",
            "{apiGroups: [''], resources: [pods/exec], verbs: [create]}",
            "{apiGroups: [apps], resources: [pods/exec], verbs: [create]}",
        ];
        let yaml: String = (roles.iter().enumerate())
            .map(|(i, rule)| {
                format!(
                    "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r{i}}}\nrules: [{rule}]\n"
                )
            })
            .collect();
        let mut l = Loader::new();
        l.add_text("t.yaml", &yaml).unwrap();
        let snap = l.finish().unwrap().snapshot;
        let rbac = Rbac::resolve(&snap);
        let t = Template::builtin();
        let seen = |p: &RoleProfile<'_>| -> Vec<(usize, usize, usize, Option<Vec<String>>)> {
            let mut v = Vec::new();
            for risk in 0..t.rules.len() {
                for requirement in 0..t.rules[risk].requires.len() {
                    for h in p.hits(risk, requirement) {
                        v.push((risk, requirement, h.probe, h.names.map(<[String]>::to_vec)));
                    }
                }
            }
            v
        };
        let mut shared = Profiler::new(&t);
        let mut profiles = Vec::new();
        for i in 0..rbac.roles.len() {
            let role = RoleId(i);
            let got = seen(&shared.profile(&rbac, role));
            assert_eq!(
                got,
                seen(&Profiler::new(&t).profile(&rbac, role)),
                "role {i}"
            );
            profiles.push(got);
        }
        let index = |name: &str| {
            (rbac.roles.iter())
                .position(|r| r.key.name == name)
                .unwrap()
        };
        let names = |name: &str| -> Vec<Option<Vec<String>>> {
            profiles[index(name)].iter().map(|h| h.3.clone()).collect()
        };
        assert!(!profiles[index("r0")].is_empty());
        assert!(
            names("r0")
                .iter()
                .all(|n| n.as_deref() == Some(&["x".to_string()][..]))
        );
        assert!(
            names("r1")
                .iter()
                .all(|n| n.as_deref() == Some(&["y".to_string()][..]))
        );
        assert_eq!(profiles[index("r0")], profiles[index("r2")]);
        assert!(names("r3").iter().all(Option::is_none));
        assert_ne!(profiles[index("r3")], profiles[index("r4")]);
        assert!(!profiles[index("r5")].is_empty());
        assert!(
            profiles[index("r6")].is_empty(),
            "pods/exec is in the core group only"
        );
    }

    #[test]
    fn full_wildcard_needs_literal_wildcards() {
        assert!(
            check(
                "- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}",
                "full-wildcard",
                true
            )
            .is_some()
        );
        assert!(
            check(
                "- {apiGroups: [''], resources: ['*'], verbs: ['*']}",
                "full-wildcard",
                true
            )
            .is_none()
        );
        assert!(
            check(
                "- {apiGroups: ['*'], resources: ['*'], verbs: [get, list]}",
                "full-wildcard",
                true
            )
            .is_none()
        );
    }

    #[test]
    fn any_read_verb_on_secrets_is_reading_secrets() {
        for verb in ["get", "list", "watch", "'*'"] {
            let rules = format!("- {{apiGroups: [''], resources: [secrets], verbs: [{verb}]}}");
            let s = check(&rules, "secrets-read", true).expect(verb);
            assert!(s.narrowed_to().is_none());
        }
        // The wrong group grants nothing.
        assert!(
            check(
                "- {apiGroups: [apps], resources: [secrets], verbs: [get]}",
                "secrets-read",
                true
            )
            .is_none()
        );
    }

    #[test]
    fn resource_names_narrow_a_read_and_never_grant_create() {
        let s = check(
            "- {apiGroups: [''], resources: [secrets], verbs: [get], resourceNames: [stripe-key]}",
            "secrets-read",
            true,
        )
        .unwrap();
        assert_eq!(s.narrowed_to(), Some(["stripe-key".to_string()].into()));
        assert!(
            check(
                "- {apiGroups: [''], resources: [pods], verbs: [create], resourceNames: [p]}",
                "workload-create",
                true
            )
            .is_none()
        );
    }

    #[test]
    fn a_role_binding_cannot_grant_cluster_scoped_risks() {
        let nodes = "- {apiGroups: [''], resources: [nodes/proxy], verbs: [get]}";
        assert!(check(nodes, "nodes-proxy", true).is_some());
        assert!(check(nodes, "nodes-proxy", false).is_none());
        // But namespaced risks it can.
        let exec = "- {apiGroups: [''], resources: [pods/exec], verbs: [create]}";
        assert!(check(exec, "pods-exec", false).is_some());
    }

    #[test]
    fn star_subresource_rules_grant_exec() {
        assert!(
            check(
                "- {apiGroups: [''], resources: ['*/exec'], verbs: [create]}",
                "pods-exec",
                true
            )
            .is_some()
        );
        assert!(
            check(
                "- {apiGroups: [''], resources: ['pods/*'], verbs: [create]}",
                "pods-exec",
                true
            )
            .is_none()
        );
        assert!(
            check(
                "- {apiGroups: [''], resources: [pods], verbs: ['*']}",
                "pods-exec",
                true
            )
            .is_none()
        );
    }

    #[test]
    fn combined_rules_need_every_requirement() {
        let csr = "- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}\n- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}\n";
        assert!(check(csr, "csr-create-and-approve", true).is_none());
        let with_signer = format!(
            "{csr}- {{apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve]}}\n"
        );
        assert!(check(&with_signer, "csr-create-and-approve", true).is_some());
    }

    #[test]
    fn non_resource_urls_do_not_grant_resources() {
        assert!(
            check(
                "- {nonResourceURLs: ['*'], verbs: ['*']}",
                "secrets-read",
                true
            )
            .is_none()
        );
    }
}
