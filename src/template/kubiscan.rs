//! KubiScan's template format (`items` of `kind: Role` with
//! `metadata.priority`), read into the same model as ours.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::error::{TemplateError, no_rules, syntax};
use super::model::{Requirement, RiskRule, ScopedSeverity, Severity, Template};
use super::native::{RawPermission, expand};

#[derive(Deserialize)]
struct KsFile {
    items: Vec<Spanned<KsItem>>,
}

#[derive(Deserialize)]
struct KsItem {
    kind: String,
    metadata: KsMeta,
    #[serde(default)]
    rules: Vec<KsRule>,
}

#[derive(Deserialize)]
struct KsMeta {
    name: String,
    priority: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KsRule {
    #[serde(default)]
    api_groups: Option<Vec<String>>,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    verbs: Vec<String>,
}

/// KubiScan calls a role risky when, for each of a risky role's rules, one
/// rule of the role holds all of its verbs on all of its resources. Here each
/// (verb, resource) pair becomes a requirement, all of which must be granted:
/// the same demand, but evaluated with the authorizer's semantics and across
/// all of a subject's bindings. KubiScan ignores API groups, so `*` (or no
/// `apiGroups`) means any group.
pub(super) fn parse(name: &str, text: &str) -> Result<Template, TemplateError> {
    let raw: KsFile = serde_saphyr::from_str(text).map_err(|e| syntax(name, text, &e))?;
    if raw.items.is_empty() {
        return Err(no_rules(name, "`items`"));
    }
    let mut rules = Vec::new();
    let mut seen = BTreeSet::new();
    for spanned in raw.items {
        let line = spanned.referenced.line();
        let item = spanned.value;
        let id = slug(&item.metadata.name);
        let invalid = |message: String| TemplateError::Invalid {
            file: name.into(),
            line,
            rule: Some(item.metadata.name.clone()),
            message,
        };
        if item.kind != "Role" && item.kind != "ClusterRole" {
            return Err(invalid(format!(
                "kind `{}`: expected Role or ClusterRole",
                item.kind
            )));
        }
        let level: Severity = item
            .metadata
            .priority
            .as_deref()
            .ok_or_else(|| invalid("metadata.priority is missing".into()))?
            .parse()
            .map_err(&invalid)?;
        if id.is_empty() || !seen.insert(id.clone()) {
            return Err(invalid("duplicate or empty name".into()));
        }
        if item.rules.is_empty() {
            return Err(invalid("no rules".into()));
        }
        let mut requires = Vec::new();
        for (i, r) in item.rules.into_iter().enumerate() {
            for verb in &r.verbs {
                for resource in &r.resources {
                    let mut any_of = Vec::new();
                    let p = RawPermission {
                        api_groups: Some(r.api_groups.clone().unwrap_or_else(|| vec!["*".into()])),
                        resources: Some(vec![resource.clone()]),
                        verbs: Some(vec![verb.clone()]),
                        non_resource_urls: None,
                        names: None,
                    };
                    expand(p, true, &mut any_of)
                        .map_err(|m| invalid(format!("rules[{i}]: {m}")))?;
                    requires.push(Requirement { any_of });
                }
            }
            if r.verbs.is_empty() || r.resources.is_empty() {
                return Err(invalid(format!("rules[{i}]: needs verbs and resources")));
            }
        }
        rules.push(RiskRule {
            title: item.metadata.name.as_str().into(),
            id,
            severity: ScopedSeverity {
                cluster: level,
                privileged_namespace: level,
                namespace: level,
            },
            description: format!(
                "Imported from a KubiScan template (`{}`).",
                item.metadata.name
            ),
            remediation: "Remove or narrow the permissions this rule names.".into(),
            requires,
            line,
        });
    }
    Ok(Template {
        source: name.into(),
        format: "kubiscan",
        privileged_namespaces: ["kube-system".to_string()].into(),
        rules,
    })
}

fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Probe;

    #[test]
    fn kubiscan_templates_are_accepted() {
        let ks = "items:\n- kind: Role\n  metadata:\n    namespace: default\n    name: risky-get-secrets\n    priority: CRITICAL\n  rules:\n  - apiGroups: ['*']\n    resources: [secrets]\n    verbs: [get]\n";
        let t = Template::parse("ks.yaml", ks).unwrap();
        assert_eq!(t.format, "kubiscan");
        let r = t.rule("risky-get-secrets").unwrap();
        assert_eq!(r.severity.namespace, Severity::Critical);
        assert!(matches!(
            &r.requires[0].any_of[0],
            Probe::Resource {
                api_group: None,
                ..
            }
        ));
        let bad = ks.replace("CRITICAL", "URGENT");
        assert!(
            Template::parse("ks.yaml", &bad)
                .unwrap_err()
                .to_string()
                .contains("URGENT")
        );
    }
}
