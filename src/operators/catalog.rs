//! The catalog's format (see `operators.yaml` for every field) and its
//! checks: ids lower case and unique, resources written `plural.group`,
//! every entry steering something and recognised by some ServiceAccount.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::error::CatalogError;
use super::{DEFAULT_CATALOG, DEFAULT_CATALOG_NAME};

/// The operator catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Where it was read from (a path, or the built-in name).
    pub source: String,
    /// Its entries, in the file's order.
    pub operators: Vec<Operator>,
}

/// One controller that acts for the writers of its custom resources.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Operator {
    /// A stable id: lower case letters, digits and `-`.
    pub id: String,
    /// Its name for people.
    pub title: String,
    /// How its controller is recognised.
    pub controller: Controller,
    /// The custom resources that steer it.
    pub steers: Vec<Steer>,
    /// More CRDs (`plural.group`) that must exist for it to act.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Where it takes its resources from.
    #[serde(default)]
    pub watches: Watches,
    /// Flags that make it take resources from every namespace.
    #[serde(default)]
    pub watches_everywhere_with: Vec<String>,
    /// Flags that make it take resources from its own namespace only.
    #[serde(default)]
    pub watches_own_namespace_with: Vec<String>,
    /// The lockdown that takes away its as-controller steps.
    #[serde(default)]
    pub lockdown: Option<Lockdown>,
    /// The reasoning, for people.
    #[serde(default)]
    pub why: String,
}

/// How an operator's controller is recognised: a pod, or a controller's
/// template, that runs as one of these ServiceAccounts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Controller {
    /// The ServiceAccount names it runs as.
    pub service_accounts: Vec<String>,
    /// The namespaces it runs in (empty: any).
    #[serde(default)]
    pub namespaces: Vec<String>,
}

/// A custom resource that steers an operator.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Steer {
    /// `plural.group`, as its CRD is named.
    pub resource: String,
    /// The verbs that steer it (any one is enough).
    pub verbs: Vec<String>,
    /// Whether the resource is cluster-scoped.
    #[serde(default)]
    pub cluster_scoped: bool,
    /// What the controller then does.
    pub power: Power,
    /// Whether the resource may name a ServiceAccount of its own namespace
    /// for the controller to act as.
    #[serde(default)]
    pub tenant_account: bool,
}

impl Steer {
    /// The resource as (group, plural).
    pub fn group_resource(&self) -> (&str, &str) {
        match self.resource.split_once('.') {
            Some((plural, group)) => (group, plural),
            None => ("", self.resource.as_str()),
        }
    }
}

/// What an operator does for the writer of a resource that steers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Power {
    /// Applies what the resource says as its own ServiceAccount.
    AsController,
    /// Runs pods of the writer's choosing, as any ServiceAccount of the
    /// resource's namespace.
    PodsInNamespace,
    /// Copies into the writer's namespace the secrets a cluster-wide
    /// store's credentials read.
    SecretsOfStore,
}

impl Power {
    /// Its name in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Power::AsController => "as-controller",
            Power::PodsInNamespace => "pods-in-namespace",
            Power::SecretsOfStore => "secrets-of-store",
        }
    }
}

/// Where an operator takes its resources from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Watches {
    /// Every namespace.
    #[default]
    Any,
    /// Its controller's own namespace.
    ControllerNamespace,
}

/// The lockdown that takes an operator's as-controller steps away.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lockdown {
    /// Flags of its containers, any one of which turns it on.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Objects of the cluster that bound what it does for a writer.
    #[serde(default)]
    pub objects: Option<LockdownObjects>,
    /// What they do, for people.
    #[serde(default)]
    pub says: String,
}

/// Objects of the cluster that bound what an operator does for a writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockdownObjects {
    /// Argo CD's AppProjects: an Application deploys only where a project
    /// it may use allows, and only the kinds it allows.
    ArgocdAppProjects,
    /// External Secrets' ClusterSecretStores: an ExternalSecret reads only
    /// through a store whose conditions admit its namespace, and only what
    /// that store reads.
    ClusterSecretStores,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    #[expect(dead_code, reason = "read so that a file says what it is")]
    api_version: Option<String>,
    kind: String,
    operators: Vec<Spanned<Operator>>,
}

impl Catalog {
    /// The built-in catalog.
    pub fn builtin() -> Catalog {
        Catalog::parse(DEFAULT_CATALOG_NAME, DEFAULT_CATALOG)
            .expect("the built-in operator catalog is valid (tested)")
    }

    /// Reads a catalog file.
    pub fn load(path: &str) -> Result<Catalog, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
            path: path.into(),
            source,
        })?;
        Catalog::parse(path, &text)
    }

    /// Parses and checks a catalog; `name` is used in errors.
    pub fn parse(name: &str, text: &str) -> Result<Catalog, CatalogError> {
        let raw: Raw = serde_saphyr::from_str(text).map_err(|e| {
            let (line, column) = (e.location())
                .filter(|l| l.line() > 0)
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            CatalogError::Syntax {
                file: name.into(),
                line,
                column,
                message: crate::source::diagnostic::yaml_message(&e),
            }
        })?;
        if raw.kind != "OperatorCatalog" {
            return Err(CatalogError::Syntax {
                file: name.into(),
                line: 1,
                column: 1,
                message: format!(
                    "`kind: {}` is not an operator catalog (expected `kind: OperatorCatalog`)",
                    raw.kind
                ),
            });
        }
        let mut operators: Vec<Operator> = Vec::with_capacity(raw.operators.len());
        for entry in raw.operators {
            let line = entry.referenced.line();
            let op = entry.value;
            let invalid = |message: String| CatalogError::Invalid {
                file: name.into(),
                line,
                id: op.id.clone(),
                message,
            };
            if op.id.is_empty()
                || !(op.id.bytes())
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(invalid(
                    "an id is lower-case letters, digits and `-`".into(),
                ));
            }
            if operators.iter().any(|o| o.id == op.id) {
                return Err(invalid("the id is used twice".into()));
            }
            if op.steers.is_empty() {
                return Err(invalid("`steers` is empty: it would steer nothing".into()));
            }
            if op.controller.service_accounts.is_empty() {
                return Err(invalid(
                    "`controller.serviceAccounts` is empty: it could never be recognised".into(),
                ));
            }
            for r in (op.steers.iter().map(|s| &s.resource)).chain(&op.requires) {
                let ok = r.split_once('.').is_some_and(|(p, g)| {
                    !p.is_empty() && !g.is_empty() && !r.contains('/') && !r.contains('*')
                });
                if !ok {
                    return Err(invalid(format!(
                        "resource `{r}` is not written `plural.group`, as its CRD is named"
                    )));
                }
            }
            if let Some(s) = op.steers.iter().find(|s| s.verbs.is_empty()) {
                return Err(invalid(format!("`{}` has no verbs", s.resource)));
            }
            if let Some(l) = &op.lockdown
                && l.flags.is_empty()
                && l.objects.is_none()
            {
                return Err(invalid(
                    "`lockdown` has neither `flags` nor `objects`".into(),
                ));
            }
            for f in (op.lockdown.iter().flat_map(|l| &l.flags))
                .chain(&op.watches_everywhere_with)
                .chain(&op.watches_own_namespace_with)
            {
                if !f.starts_with("--") || f.contains('=') || f.len() < 3 {
                    return Err(invalid(format!("flag `{f}` is not written `--name`")));
                }
            }
            operators.push(op);
        }
        Ok(Catalog {
            source: name.into(),
            operators,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalog_is_valid_and_has_the_operators_security_teams_meet() {
        let c = Catalog::builtin();
        let ids: Vec<&str> = c.operators.iter().map(|o| o.id.as_str()).collect();
        for id in [
            "flux-kustomize-controller",
            "flux-helm-controller",
            "argo-cd",
            "argo-workflows",
            "tekton-pipelines",
            "velero",
            "kyverno",
            "external-secrets",
        ] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
    }

    fn entry(body: &str) -> String {
        format!("kind: OperatorCatalog\noperators:\n  - id: x\n    title: X\n{body}")
    }

    #[test]
    fn bad_entries_are_refused_with_their_line() {
        let ok = "    controller: {serviceAccounts: [x]}\n    steers: [{resource: xs.example.com, verbs: [create], power: as-controller}]\n";
        assert!(Catalog::parse("c.yaml", &entry(ok)).is_ok());
        for (body, says) in [
            (
                ok.replace("xs.example.com", "xs"),
                "is not written `plural.group`",
            ),
            (ok.replace("[create]", "[]"), "has no verbs"),
            (ok.replace("[x]}", "[]}"), "could never be recognised"),
            (
                ok.replace("as-controller", "anything"),
                "expected one of as-controller",
            ),
            (
                format!("{ok}    lockdown: {{flags: [no-dashes]}}\n"),
                "is not written `--name`",
            ),
        ] {
            let e = Catalog::parse("c.yaml", &entry(&body))
                .expect_err(&body)
                .to_string();
            assert!(e.starts_with("c.yaml:"), "{e}");
            assert!(e.contains(says), "{e}");
        }
        let twice = format!("{}  - id: x\n    title: X\n{ok}", entry(ok));
        let e = Catalog::parse("c.yaml", &twice).unwrap_err().to_string();
        assert!(
            e.starts_with("c.yaml:7: operator `x`: the id is used twice"),
            "{e}"
        );
        let e = Catalog::parse("c.yaml", "kind: RiskTemplate\noperators: []\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an operator catalog"), "{e}");
    }
}
