//! Our template format (`kind: RiskTemplate`, see `risky-roles.yaml`): its
//! raw YAML shape, its validation into the model, and the expansion of a
//! permission into probes (which KubiScan's format reuses).

use std::collections::BTreeSet;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_saphyr::Spanned;

use super::error::{TemplateError, no_rules, syntax};
use super::model::{
    NamesPolicy, Probe, Requirement, RiskRule, ScopedSeverity, TargetKind, Template,
};
use crate::rbac::scope;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTemplate {
    #[expect(dead_code, reason = "read so that deny_unknown_fields accepts it")]
    api_version: Option<String>,
    #[expect(dead_code, reason = "read so that deny_unknown_fields accepts it")]
    kind: String,
    #[serde(default)]
    privileged_namespaces: Option<Vec<String>>,
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRule {
    id: String,
    title: String,
    severity: RawSeverity,
    description: String,
    remediation: String,
    requires: Vec<RawRequirement>,
}

/// `severity: HIGH` or `severity: {cluster: .., privilegedNamespace: .., namespace: ..}`.
enum RawSeverity {
    Level(String),
    Scoped(RawScoped),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawScoped {
    cluster: String,
    privileged_namespace: String,
    namespace: String,
}

impl<'de> Deserialize<'de> for RawSeverity {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSeverity;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a severity level or a map of cluster, privilegedNamespace and namespace levels")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSeverity, E> {
                Ok(RawSeverity::Level(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawSeverity, A::Error> {
                RawScoped::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawSeverity::Scoped)
            }
        }
        d.deserialize_any(V)
    }
}

/// A permission (apiGroups/resources/verbs or nonResourceURLs/verbs) or `anyOf`.
/// It repeats [`RawPermission`]'s fields instead of `#[serde(flatten)]`, which
/// would silently drop `deny_unknown_fields` and the error locations.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRequirement {
    #[serde(default)]
    any_of: Option<Vec<RawPermission>>,
    #[serde(default)]
    api_groups: Option<Vec<String>>,
    #[serde(default)]
    resources: Option<Vec<String>>,
    #[serde(default)]
    verbs: Option<Vec<String>>,
    #[serde(default, rename = "nonResourceURLs")]
    non_resource_urls: Option<Vec<String>>,
    #[serde(default)]
    names: Option<RawNames>,
}

/// One permission: apiGroups, resources and verbs, or nonResourceURLs and
/// verbs, with what a names-only grant of it is worth.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawPermission {
    #[serde(default)]
    pub(super) api_groups: Option<Vec<String>>,
    #[serde(default)]
    pub(super) resources: Option<Vec<String>>,
    #[serde(default)]
    pub(super) verbs: Option<Vec<String>>,
    #[serde(default, rename = "nonResourceURLs")]
    pub(super) non_resource_urls: Option<Vec<String>>,
    #[serde(default)]
    pub(super) names: Option<RawNames>,
}

impl RawPermission {
    fn is_empty(&self) -> bool {
        self.api_groups.is_none()
            && self.resources.is_none()
            && self.verbs.is_none()
            && self.non_resource_urls.is_none()
            && self.names.is_none()
    }
}

/// `names: narrow | unlimited | target` or `names: {dangerous: [...]}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) enum RawNames {
    Narrow,
    Unlimited,
    Target,
    Dangerous(Vec<String>),
}

/// Reads a template of our format; `name` is used in errors.
pub(super) fn parse(name: &str, text: &str) -> Result<Template, TemplateError> {
    let raw: RawTemplate = serde_saphyr::from_str(text).map_err(|e| syntax(name, text, &e))?;
    if raw.rules.is_empty() {
        return Err(no_rules(name, "`rules`"));
    }
    let mut rules = Vec::with_capacity(raw.rules.len());
    let mut seen = BTreeSet::new();
    for spanned in raw.rules {
        let line = spanned.referenced.line();
        let r = spanned.value;
        let invalid = |message: String| TemplateError::Invalid {
            file: name.into(),
            line,
            rule: Some(r.id.clone()).filter(|i| !i.is_empty()),
            message,
        };
        if !is_kebab_case(&r.id) {
            return Err(invalid(format!(
                "id `{}` must be kebab-case (lower-case letters, digits and single dashes)",
                r.id
            )));
        }
        if !seen.insert(r.id.clone()) {
            return Err(invalid("duplicate rule id".into()));
        }
        let severity = match &r.severity {
            RawSeverity::Level(l) => {
                let s = l.parse().map_err(&invalid)?;
                ScopedSeverity {
                    cluster: s,
                    privileged_namespace: s,
                    namespace: s,
                }
            }
            RawSeverity::Scoped(s) => ScopedSeverity {
                cluster: s.cluster.parse().map_err(&invalid)?,
                privileged_namespace: s.privileged_namespace.parse().map_err(&invalid)?,
                namespace: s.namespace.parse().map_err(&invalid)?,
            },
        };
        if r.requires.is_empty() {
            return Err(invalid(
                "`requires` is empty: the rule would match everything".into(),
            ));
        }
        let mut requires = Vec::new();
        for (i, req) in r.requires.into_iter().enumerate() {
            let at = |m: String| invalid(format!("requires[{i}]: {m}"));
            let permission = RawPermission {
                api_groups: req.api_groups,
                resources: req.resources,
                verbs: req.verbs,
                non_resource_urls: req.non_resource_urls,
                names: req.names,
            };
            let perms = match (req.any_of, permission.is_empty()) {
                (Some(list), true) if !list.is_empty() => list,
                (Some(_), true) => return Err(at("`anyOf` is empty".into())),
                (Some(_), false) => {
                    return Err(at("write either `anyOf` or one permission, not both".into()));
                }
                (None, false) => vec![permission],
                (None, true) => return Err(at("empty requirement".into())),
            };
            let mut any_of = Vec::new();
            for p in perms {
                expand(p, false, &mut any_of).map_err(&at)?;
            }
            requires.push(Requirement { any_of });
        }
        rules.push(RiskRule {
            id: r.id,
            title: r.title.into(),
            severity,
            description: r.description.trim().to_string(),
            remediation: r.remediation.trim().into(),
            requires,
            line,
        });
    }
    Ok(Template {
        source: name.into(),
        format: "rbacscan",
        privileged_namespaces: raw
            .privileged_namespaces
            .unwrap_or_else(|| vec!["kube-system".into()])
            .into_iter()
            .collect(),
        rules,
    })
}

/// A permission's cross product as probes. `any_group` maps an apiGroups `*`
/// to "any group" (KubiScan ignores groups) instead of a literal probe.
pub(super) fn expand(
    p: RawPermission,
    any_group: bool,
    out: &mut Vec<Probe>,
) -> Result<(), String> {
    let verbs = p
        .verbs
        .filter(|v| !v.is_empty())
        .ok_or("`verbs` is missing or empty")?;
    if let Some(urls) = p.non_resource_urls {
        if p.names.is_some() {
            return Err("`names` applies to resources, not to `nonResourceURLs`".into());
        }
        if p.api_groups.is_some() || p.resources.is_some() {
            return Err(
                "`nonResourceURLs` cannot be combined with `apiGroups` or `resources`".into(),
            );
        }
        if urls.is_empty() {
            return Err("`nonResourceURLs` is empty".into());
        }
        for path in &urls {
            for verb in &verbs {
                out.push(Probe::NonResource {
                    verb: verb.clone(),
                    path: path.clone(),
                });
            }
        }
        return Ok(());
    }
    let groups = p
        .api_groups
        .filter(|g| !g.is_empty())
        .ok_or("`apiGroups` is missing or empty (use \"\" for the core group)")?;
    let resources = p
        .resources
        .filter(|r| !r.is_empty())
        .ok_or("`resources` is missing or empty")?;
    let groups: Vec<Option<String>> = if any_group && groups.iter().any(|g| g == "*") {
        vec![None]
    } else {
        groups.into_iter().map(Some).collect()
    };
    for g in &groups {
        for r in &resources {
            let (resource, subresource) = r.split_once('/').unwrap_or((r, ""));
            if resource.is_empty() {
                return Err(format!("resource `{r}` has no resource name"));
            }
            let names = match &p.names {
                None | Some(RawNames::Narrow) => NamesPolicy::Narrow,
                Some(RawNames::Unlimited) => NamesPolicy::Unlimited,
                Some(RawNames::Dangerous(list)) => {
                    NamesPolicy::Dangerous(list.iter().cloned().collect())
                }
                Some(RawNames::Target) => match TargetKind::of(g.as_deref(), resource) {
                    Some(kind) => NamesPolicy::Target(kind),
                    None => {
                        return Err(format!(
                            "`names: target` needs a resource whose objects rbacscan can rate (pods, serviceaccounts, users, groups, secrets, nodes, roles, clusterroles), not `{r}`"
                        ));
                    }
                },
            };
            for verb in &verbs {
                out.push(Probe::Resource {
                    verb: verb.clone(),
                    api_group: g.clone(),
                    resource: resource.into(),
                    subresource: subresource.into(),
                    namespaced: scope::grantable_in_namespace(g.as_deref(), resource, verb),
                    names: names.clone(),
                });
            }
        }
    }
    Ok(())
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "kind: RiskTemplate\nrules:\n- id: a\n  title: A\n  severity: HIGH\n  description: d\n  remediation: r\n  requires:\n  - apiGroups: ['']\n    resources: [pods/exec]\n    verbs: [create, get]\n";

    #[test]
    fn permissions_expand_to_probes() {
        let t = Template::parse("t.yaml", ONE).unwrap();
        let probes = &t.rules[0].requires[0].any_of;
        assert_eq!(probes.len(), 2);
        assert_eq!(probes[0].describe(), "create pods/exec");
        assert_eq!(t.rules[0].line, 3);
    }

    #[test]
    fn unknown_severity_is_an_error_naming_rule_and_line() {
        let err = Template::parse("t.yaml", &ONE.replace("HIGH", "SEVERE")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("t.yaml:3: rule `a`: unknown severity `SEVERE`"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_field_is_an_error_naming_rule_and_line() {
        let err = Template::parse(
            "t.yaml",
            &ONE.replace("  title: A\n", "  title: A\n  colour: red\n"),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("t.yaml:5:"), "{msg}");
        assert!(msg.contains("rule `a`"), "{msg}");
        assert!(msg.contains("colour"), "{msg}");
        let err = Template::parse("t.yaml", &ONE.replace("    verbs:", "    verb:")).unwrap_err();
        assert!(err.to_string().contains("rule `a`"), "{err}");
    }

    #[test]
    fn duplicate_ids_and_bad_ids_are_errors() {
        let two = format!("{ONE}{}", &ONE["kind: RiskTemplate\nrules:\n".len()..]);
        assert!(
            Template::parse("t.yaml", &two)
                .unwrap_err()
                .to_string()
                .contains("duplicate")
        );
        let bad = ONE.replace("id: a", "id: Not_Kebab");
        assert!(
            Template::parse("t.yaml", &bad)
                .unwrap_err()
                .to_string()
                .contains("kebab-case")
        );
    }
}
