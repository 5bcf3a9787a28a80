//! The SARIF 2.1.0 report (`-o sarif`) for code scanning: one rule per
//! template rule (with its description, remediation and severity) and per
//! other finding code, and one result per finding, with its fingerprint as
//! a partial fingerprint so that code scanning follows a finding from run
//! to run. A finding's place is the object it is about (a logical
//! location) and, when the scan read files, the file it was read from.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;
use serde_json::{Value, json};

use super::fleet::{Fleet, MemberStatus};
use super::{Report, ReportError};
use crate::findings::{Code, Finding};
use crate::rbac::SubjectId;
use crate::snapshot::{Kind, ObjectKey};
use crate::template::{Severity, Template};

/// SARIF's level for a severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// The `security-severity` code scanning sorts and labels by (a CVSS-like
/// score: 9.0 and up is critical, 7.0 high, 4.0 medium, below low).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Value,
    full_description: Value,
    help: Value,
    default_configuration: Value,
    properties: Value,
}

/// Writes the report as one SARIF log with one run.
pub fn write(report: &Report, template: &Template, out: impl Write) -> Result<(), ReportError> {
    write_log(vec![run(report, template)], out)
}

/// Writes a fleet as one SARIF log with one run per cluster, each with an
/// `automationDetails.id` of `rbacscan/CLUSTER/` (code scanning's category).
/// A cluster that could not be scanned is a run with no results whose
/// invocation failed, with the error as its notification.
pub fn write_fleet(
    fleet: &Fleet,
    template: Option<&Template>,
    out: impl Write,
) -> Result<(), ReportError> {
    let builtin;
    let template = match template {
        Some(t) => t,
        None => {
            builtin = Template::builtin();
            &builtin
        }
    };
    let runs = fleet
        .clusters
        .iter()
        .map(|m| {
            let mut run = match &m.report {
                Some(report) => run(report, template),
                None if m.status != MemberStatus::Failed => collected_run(fleet, &m.name),
                None => json!({
                    "tool": {"driver": {
                        "name": "rbacscan",
                        "version": fleet.tool.version,
                        "semanticVersion": fleet.tool.version,
                    }},
                    "results": [],
                    "invocations": [{
                        "executionSuccessful": false,
                        "toolExecutionNotifications": [{
                            "level": "error",
                            "message": {"text": m.error.clone().unwrap_or_default()},
                        }],
                    }],
                }),
            };
            run["automationDetails"] = json!({"id": format!("rbacscan/{}/", m.name)});
            run
        })
        .collect();
    write_log(runs, out)
}

/// The run of a cluster known by its collected report (merge): a result
/// per finding, named by its rule or code, its fingerprint and what it is
/// about. The report does not say where in which file each object was.
fn collected_run(fleet: &Fleet, cluster: &str) -> Value {
    let results: Vec<Value> = (fleet.collected.iter())
        .filter(|f| f.cluster == cluster)
        .map(|f| {
            json!({
                "ruleId": f.rule.as_deref().unwrap_or(&f.code),
                "level": level(f.severity),
                "message": {"text": f.title},
                "partialFingerprints": {"rbacscan/v1": f.fingerprint},
                "properties": {"severity": f.severity.as_str(), "code": f.code},
                "locations": [{"logicalLocations": [{"kind": "object", "fullyQualifiedName": f.about}]}],
            })
        })
        .collect();
    json!({
        "tool": {"driver": {
            "name": "rbacscan",
            "version": fleet.tool.version,
            "semanticVersion": fleet.tool.version,
        }},
        "results": results,
        "columnKind": "unicodeCodePoints",
    })
}

fn write_log(runs: Vec<Value>, out: impl Write) -> Result<(), ReportError> {
    // Buffered here, so the serializer's small writes are not dynamic calls.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": runs,
    });
    serde_json::to_writer(&mut out, &log)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// One run: the template's rules and every code, and a result per finding.
fn run(report: &Report, template: &Template) -> Value {
    // The rules: the template's, then every other code, in a stable order.
    let mut rules: Vec<Rule> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for r in &template.rules {
        let worst = r
            .severity
            .cluster
            .max(r.severity.privileged_namespace)
            .max(r.severity.namespace);
        index.insert(r.id.clone(), rules.len());
        rules.push(Rule {
            id: r.id.clone(),
            name: r.title.clone(),
            short_description: json!({"text": r.title}),
            full_description: json!({"text": r.description}),
            help: json!({"text": format!("{}\n\nWhat to do: {}", r.description, r.remediation)}),
            default_configuration: json!({"level": level(worst)}),
            properties: json!({
                "security-severity": security_severity(worst),
                "tags": ["security", "kubernetes", "rbac"],
            }),
        });
    }
    // Every finding code too: findings without a template rule answer to it.
    for code in Code::all() {
        index.insert(code.as_str().to_string(), rules.len());
        rules.push(Rule {
            id: code.as_str().to_string(),
            name: code.as_str().to_string(),
            short_description: json!({"text": code.description()}),
            full_description: json!({"text": code.description()}),
            help: json!({"text": code.description()}),
            default_configuration: json!({"level": "warning"}),
            properties: json!({"tags": ["security", "kubernetes", "rbac"]}),
        });
    }
    let files: Vec<&String> = match report.inputs.cluster {
        Some(_) => Vec::new(),
        None => report.inputs.sources.iter().collect(),
    };
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let id = f.rule_id();
            let mut result = json!({
                "ruleId": id,
                "level": level(f.severity),
                "message": {"text": format!("{}: {}", f.title, f.message)},
                "partialFingerprints": {"rbacscan/v1": f.fingerprint},
                "properties": {"severity": f.severity.as_str(), "code": f.code.as_str()},
            });
            if let Some(&i) = index.get(id) {
                result["ruleIndex"] = json!(i);
            }
            let object = json!({"kind": "object", "fullyQualifiedName": super::about(f)});
            let mut location = json!({"logicalLocations": [object]});
            let position = offending(f).and_then(|key| report.inputs.positions.get(&key));
            if let Some(at) = position {
                let mut physical = json!({"artifactLocation": {"uri": uri(&at.file)}});
                if let Some((line, column)) = at.line_column {
                    physical["region"] = json!({"startLine": line, "startColumn": column});
                }
                location["physicalLocation"] = physical;
            } else if let Some(file) = files.first() {
                location["physicalLocation"] = json!({"artifactLocation": {"uri": uri(file)}});
            }
            result["locations"] = json!([location]);
            result
        })
        .collect();
    json!({
        "tool": {"driver": {
            "name": "rbacscan",
            "version": report.tool.version,
            "semanticVersion": report.tool.version,
            "rules": rules,
        }},
        "results": results,
        "columnKind": "unicodeCodePoints",
    })
}

/// The object a finding asks to change, whose manifest line SARIF points
/// at: its binding; else its pod; else the binding of its first evidence
/// (the grant); else its role; else the binding of its route's first
/// grant; else its ServiceAccount.
fn offending(f: &Finding) -> Option<ObjectKey> {
    if let Some(key) = f.binding.as_ref().or(f.pod.as_ref()) {
        return Some(key.clone());
    }
    if let Some(b) = f.evidence.iter().find_map(|e| e.ground.binding.as_ref()) {
        return Some(b.clone());
    }
    if let Some(r) = &f.role {
        return Some(r.clone());
    }
    let route = (f.path.iter())
        .flat_map(|p| &p.steps)
        .flat_map(|s| &s.granted_by)
        .find_map(|g| g.binding.as_ref());
    if let Some(b) = route {
        return Some(b.clone());
    }
    match &f.subject {
        Some(SubjectId::ServiceAccount { namespace, name }) => Some(ObjectKey {
            kind: Kind::ServiceAccount,
            namespace: namespace.clone(),
            name: name.clone(),
        }),
        _ => None,
    }
}

/// A file path as a relative URI reference (SARIF's `uri`): `/` separators,
/// and anything outside the unreserved characters percent-encoded.
fn uri(path: &str) -> String {
    let path = path.strip_suffix(" (built in)").unwrap_or(path);
    let mut s = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                s.push(b as char)
            }
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            uri("manifests/rbac dir/ä.yaml"),
            "manifests/rbac%20dir/%C3%A4.yaml"
        );
        assert_eq!(
            uri("examples/demo-cluster.yaml (built in)"),
            "examples/demo-cluster.yaml"
        );
    }
}
