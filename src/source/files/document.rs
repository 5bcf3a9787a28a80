//! What a top-level document is: a List, an object, or a saved error (a
//! failed `v1 Status` from the API server, or kubectl's own error text).

use serde::Deserialize;

use super::Loader;
use super::decode::Head;
use crate::snapshot::Kind;
use crate::source::diagnostic;
use crate::source::{Location, SourceError};

impl Loader {
    /// Classifies a top-level document (or an element of a top-level
    /// array) by its type: a list, an object, or a saved API error.
    pub(super) fn document(
        &mut self,
        head: &Head,
        status: impl FnOnce() -> StatusHead,
        location: &Location,
    ) -> Result<Document, SourceError> {
        self.provenance.documents += 1;
        if head.kind.is_empty() {
            return Err(SourceError::NotAnObject {
                location: location.clone(),
                message: "document has no `kind`: expected a Kubernetes object or List".into(),
            });
        }
        if head.kind == "Status" && head.api_version == "v1" {
            let status = status();
            if status.status.as_deref() == Some("Failure") {
                return Err(SourceError::ApiError {
                    location: location.clone(),
                    message: status.describe(),
                });
            }
        }
        match head.kind.strip_suffix("List") {
            Some(item_kind) => {
                let typed = (!item_kind.is_empty()).then(|| item_kind.to_string());
                if let Some(k) = typed
                    .as_deref()
                    .and_then(|k| Kind::from_type(&head.api_version, k))
                {
                    // A typed list says which kind was listed, even when it is empty.
                    self.listed.insert(k);
                }
                Ok(Document::List(typed))
            }
            None => Ok(Document::Object),
        }
    }
}

/// What a top-level document is.
pub(super) enum Document {
    /// A list; `Some(kind)` for a typed list (`RoleList`), whose items may
    /// omit their `kind` and `apiVersion`.
    List(Option<String>),
    /// A single object.
    Object,
}

/// The fields of a `v1 Status`, as the API server returns it for a failed
/// request (and kubectl saves it with `-o yaml|json`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct StatusHead {
    #[serde(default)]
    pub(super) status: Option<String>,
    #[serde(default)]
    pub(super) code: Option<u64>,
    #[serde(default)]
    pub(super) reason: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
}

impl StatusHead {
    pub(super) fn describe(&self) -> String {
        let mut what = Vec::new();
        if let Some(c) = self.code {
            what.push(c.to_string());
        }
        if let Some(r) = self.reason.as_deref().filter(|r| !r.is_empty()) {
            what.push(r.to_string());
        }
        let mut text = "this is an error from the API server, not objects".to_string();
        if !what.is_empty() {
            text.push_str(&format!(" ({})", what.join(" ")));
        }
        if let Some(m) = self.message.as_deref().filter(|m| !m.is_empty()) {
            text.push_str(": ");
            text.push_str(&diagnostic::one_line(m));
        }
        text
    }
}

/// The first line of kubectl's own error output (`Error from server
/// (Forbidden): ...`), when that is what the input holds: what a shell
/// redirect saves when the command failed.
pub(super) fn kubectl_error(text: &str) -> Option<&str> {
    const STARTS: [&str; 3] = [
        "Error from server",
        "error: ",
        "Unable to connect to the server",
    ];
    // The first line is cut out only when it may be one: a big dump is
    // often one line.
    let rest = text.trim_start();
    if !STARTS.iter().any(|p| rest.starts_with(p.trim_end())) {
        return None;
    }
    let first = rest.lines().next()?.trim();
    STARTS.iter().any(|p| first.starts_with(p)).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{load, load_as};
    use super::*;

    #[test]
    fn a_document_without_kind_is_rejected() {
        let err = load("foo: bar\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("t.yaml:1:1: document has no `kind`"),
            "{err}"
        );
    }

    #[test]
    fn a_saved_api_error_is_an_error_not_an_empty_cluster() {
        let status = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is forbidden: User \"bob\" cannot list resource \"pods\"","reason":"Forbidden","code":403}"#;
        let err = load_as("pods.json", status).unwrap_err().to_string();
        assert!(
            err.starts_with("pods.json:1:1: this is an error from the API server, not objects (403 Forbidden): pods is forbidden"),
            "{err}"
        );
        let yaml = "apiVersion: v1\nkind: Status\nstatus: Failure\nreason: NotFound\ncode: 404\n";
        assert!(matches!(
            load(yaml).unwrap_err(),
            SourceError::ApiError { .. }
        ));
        // A successful Status is just another kind.
        let ok = "apiVersion: v1\nkind: Status\nstatus: Success\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n";
        assert!(load(ok).is_ok());
        // kubectl's own error text, saved by `2>&1 >`.
        let err =
            load("Error from server (Forbidden): roles.rbac.authorization.k8s.io is forbidden\n")
                .unwrap_err()
                .to_string();
        assert!(
            err.starts_with("t.yaml:1:1: this is kubectl's error output"),
            "{err}"
        );
    }

    #[test]
    fn kubectls_error_text_is_its_first_line_that_is_not_blank() {
        let cases = [
            (
                "\n  \n  error: the server doesn't have a resource type\nmore\n",
                Some("error: the server doesn't have a resource type"),
            ),
            (
                "Unable to connect to the server: dial tcp\r\n",
                Some("Unable to connect to the server: dial tcp"),
            ),
            (
                "Error from server (Forbidden): x  \n",
                Some("Error from server (Forbidden): x"),
            ),
            // The prefix with nothing after it, or not on the first line.
            ("error:   \n", None),
            ("apiVersion: v1\nerror: x\n", None),
            ("errors: x\n", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(kubectl_error(text), want, "{text:?}");
        }
    }
}
