//! The risky-permission template: which combinations of permissions are risky
//! and how much, per scope.
//!
//! Two formats are read. Ours (`kind: RiskTemplate`, see `risky-roles.yaml`;
//! `native`) and KubiScan's (`items` of `kind: Role` with
//! `metadata.priority`; `kubiscan`), so users can bring a customised
//! KubiScan file. Both are validated into one [`Template`] (the model:
//! `model`); every error names the file, the line and the rule (`error`).

mod error;
mod kubiscan;
mod model;
mod native;

pub use error::TemplateError;
pub use model::{
    NamesPolicy, Probe, Requirement, RiskRule, ScopedSeverity, Severity, TargetKind, Template,
};

use serde::Deserialize;
use serde::de::IgnoredAny;

use error::syntax;

/// The default template, `risky-roles.yaml` at the repository root.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../risky-roles.yaml");
/// The name the default template is reported under.
pub const DEFAULT_TEMPLATE_NAME: &str = "risky-roles.yaml (built in)";

impl Template {
    /// The built-in default template.
    pub fn builtin() -> Template {
        Template::parse(DEFAULT_TEMPLATE_NAME, DEFAULT_TEMPLATE)
            .expect("the built-in template is valid (tested)")
    }

    /// Reads a template file of either format.
    pub fn load(path: &str) -> Result<Template, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.into(),
            source,
        })?;
        Template::parse(path, &text)
    }

    /// Parses a template of either format; `name` is used in errors.
    pub fn parse(name: &str, text: &str) -> Result<Template, TemplateError> {
        #[derive(Deserialize)]
        struct Probe {
            #[serde(default)]
            kind: Option<String>,
            #[serde(default)]
            items: Option<IgnoredAny>,
        }
        let probe: Probe = serde_saphyr::from_str(text).map_err(|e| syntax(name, text, &e))?;
        match (probe.kind.as_deref(), probe.items.is_some()) {
            (Some("RiskTemplate"), _) => native::parse(name, text),
            (None, true) => kubiscan::parse(name, text),
            (Some(other), _) => Err(TemplateError::Invalid {
                file: name.into(),
                line: 1,
                rule: None,
                message: format!(
                    "unknown template kind `{other}` (expected `RiskTemplate`, or a KubiScan file with `items`)"
                ),
            }),
            (None, false) => Err(TemplateError::Invalid {
                file: name.into(),
                line: 1,
                rule: None,
                message:
                    "not a template: expected `kind: RiskTemplate` or a KubiScan file with `items`"
                        .into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_template_is_valid_and_covers_the_good_practices() {
        let t = Template::builtin();
        for id in [
            "full-wildcard",
            "secrets-read",
            "secrets-write",
            "workload-create",
            "persistentvolumes-create",
            "nodes-proxy",
            "rbac-escalate",
            "rbac-bind",
            "impersonate-users-groups",
            "impersonate-serviceaccounts",
            "csr-create-and-approve",
            "serviceaccount-token-create",
            "admission-webhooks-write",
            "namespaces-modify",
            "pods-exec",
            "pods-attach",
            "pods-portforward",
            "pods-ephemeral-containers",
            "pods-update",
            "rbac-bindings-write",
        ] {
            assert!(t.rule(id).is_some(), "missing {id}");
        }
        assert_eq!(t.privileged_namespaces, ["kube-system".to_string()].into());
        for r in &t.rules {
            assert!(
                r.severity.cluster >= r.severity.privileged_namespace,
                "{}",
                r.id
            );
            assert!(
                r.severity.privileged_namespace >= r.severity.namespace,
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn templates_without_rules_are_refused() {
        for (text, field) in [
            ("kind: RiskTemplate\nrules: []\n", "`rules` is empty"),
            ("items: []\n", "`items` is empty"),
        ] {
            let e = Template::parse("t.yaml", text).unwrap_err().to_string();
            assert!(e.starts_with(&format!("t.yaml:1: {field}")), "{e}");
        }
        assert!(Template::parse("t.yaml", "kind: RiskTemplate\n").is_err());
        assert!(Template::parse("t.yaml", "").is_err());
    }
}
