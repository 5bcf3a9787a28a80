//! Errors of the template layer, and the located errors both formats make.

use serde::Deserialize;
use serde_saphyr::Spanned;

/// Errors of the template layer.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The template file could not be read.
    #[error("{path}: cannot read template: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The template is not valid YAML or does not match the format (unknown field, wrong type).
    #[error("{file}:{line}:{column}: {}{message}", rule.as_ref().map(|r| format!("rule `{r}`: ")).unwrap_or_default())]
    Syntax {
        /// The template file.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// The rule the error is in, when known.
        rule: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The template parses but a rule is invalid (unknown severity, bad id, duplicate, empty requirement).
    #[error("{file}:{line}: {}{message}", rule.as_ref().map(|r| format!("rule `{r}`: ")).unwrap_or_default())]
    Invalid {
        /// The template file.
        file: String,
        /// 1-based line of the rule (or of the file's start).
        line: u64,
        /// The rule's id, when it has one.
        rule: Option<String>,
        /// What is wrong.
        message: String,
    },
}

/// A template without rules would turn every risk check off without a word.
pub(super) fn no_rules(name: &str, field: &str) -> TemplateError {
    TemplateError::Invalid {
        file: name.into(),
        line: 1,
        rule: None,
        message: format!(
            "{field} is empty: a template without rules would turn every risk check off"
        ),
    }
}

/// A located error for a template that does not deserialize, naming the
/// enclosing rule when the error lies inside one.
pub(super) fn syntax(name: &str, text: &str, e: &serde_saphyr::Error) -> TemplateError {
    let (line, column) = e
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    TemplateError::Syntax {
        file: name.into(),
        line,
        column,
        rule: enclosing_rule(text, line),
        message: crate::source::diagnostic::yaml_message(e),
    }
}

fn enclosing_rule(text: &str, line: u64) -> Option<String> {
    #[derive(Deserialize)]
    struct Ids {
        #[serde(default)]
        rules: Vec<Spanned<IdOnly>>,
    }
    #[derive(Deserialize)]
    struct IdOnly {
        #[serde(default)]
        id: Option<String>,
    }
    let ids: Ids = serde_saphyr::from_str(text).ok()?;
    ids.rules
        .into_iter()
        .rfind(|r| r.referenced.line() <= line)
        .and_then(|r| r.value.id)
}
