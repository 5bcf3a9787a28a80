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

/// A run of the log. A scanned cluster's results are written straight from
/// the report (a tree of values for each of thousands of results cost ten
/// times the memory of the log); the others are small trees.
#[derive(Serialize)]
#[serde(untagged)]
enum AnyRun<'r> {
    /// From a report.
    Scanned(Run<'r>),
    /// Anything else (a collected cluster, a failed one).
    Other(Value),
}

impl AnyRun<'_> {
    /// Sets `automationDetails`.
    fn set_automation(&mut self, details: Value) {
        match self {
            AnyRun::Scanned(run) => run.automation_details = Some(details),
            AnyRun::Other(run) => run["automationDetails"] = details,
        }
    }
}

// The typed parts of a log write their fields in the order of their names,
// as the value trees do.

/// The run of one report.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'r> {
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<Value>,
    column_kind: &'static str,
    results: Vec<SarifResult<'r>>,
    tool: Value,
}

/// The result of one finding.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'r> {
    level: &'static str,
    locations: [ResultLocation; 1],
    message: Text,
    partial_fingerprints: Fingerprints<'r>,
    properties: ResultProperties<'r>,
    rule_id: &'r str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Fingerprints<'r> {
    #[serde(rename = "rbacscan/v1")]
    v1: &'r str,
}

#[derive(Serialize)]
struct ResultProperties<'r> {
    code: &'r str,
    severity: &'r str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation {
    logical_locations: [LogicalLocation; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_column: u64,
    start_line: u64,
}

/// The log.
#[derive(Serialize)]
struct Log<'r> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: Vec<AnyRun<'r>>,
    version: &'static str,
}

/// Writes the report as one SARIF log with one run.
pub fn write(report: &Report, template: &Template, out: impl Write) -> Result<(), ReportError> {
    write_log(vec![AnyRun::Scanned(run(report, template))], out)
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
                Some(report) => AnyRun::Scanned(run(report, template)),
                None if m.status != MemberStatus::Failed => {
                    AnyRun::Other(collected_run(fleet, &m.name))
                }
                None => AnyRun::Other(json!({
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
                })),
            };
            run.set_automation(json!({"id": format!("rbacscan/{}/", m.name)}));
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

fn write_log(runs: Vec<AnyRun<'_>>, out: impl Write) -> Result<(), ReportError> {
    // Buffered here, so the serializer's small writes are not dynamic calls.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs,
        version: "2.1.0",
    };
    serde_json::to_writer(&mut out, &log)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// One run: the template's rules and every code, and a result per finding.
fn run<'r>(report: &'r Report, template: &Template) -> Run<'r> {
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
            name: r.title.to_string(),
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
    let physical = |uri: String, region: Option<Region>| PhysicalLocation {
        artifact_location: ArtifactLocation { uri },
        region,
    };
    let results: Vec<SarifResult<'r>> = report
        .findings
        .iter()
        .map(|f| {
            let id = f.rule_id();
            let position = offending(f).and_then(|key| report.inputs.positions.get(&key));
            let physical_location = match (position, files.first()) {
                (Some(at), _) => Some(physical(
                    uri(&at.file),
                    (at.line_column).map(|(start_line, start_column)| Region {
                        start_column,
                        start_line,
                    }),
                )),
                (None, Some(file)) => Some(physical(uri(file), None)),
                (None, None) => None,
            };
            SarifResult {
                level: level(f.severity),
                locations: [ResultLocation {
                    logical_locations: [LogicalLocation {
                        fully_qualified_name: super::about(f),
                        kind: "object",
                    }],
                    physical_location,
                }],
                message: Text {
                    text: format!("{}: {}", f.title, f.message),
                },
                partial_fingerprints: Fingerprints { v1: &f.fingerprint },
                properties: ResultProperties {
                    code: f.code.as_str(),
                    severity: f.severity.as_str(),
                },
                rule_id: id,
                rule_index: index.get(id).copied(),
            }
        })
        .collect();
    Run {
        automation_details: None,
        column_kind: "unicodeCodePoints",
        results,
        tool: json!({"driver": {
            "name": "rbacscan",
            "version": report.tool.version,
            "semanticVersion": report.tool.version,
            "rules": rules,
        }}),
    }
}

/// The object a finding asks to change, whose manifest line SARIF points
/// at: its binding; else its pod; else the binding of its first evidence
/// (the grant); else its role; else the binding of its route's first
/// grant; else its ServiceAccount.
fn offending(f: &Finding) -> Option<ObjectKey> {
    if let Some(key) = f.binding.as_ref().or(f.pod.as_ref()) {
        return Some(key.clone());
    }
    if let Some(b) = f.evidence.iter().find_map(|e| e.binding.as_ref()) {
        return Some(ObjectKey::clone(b));
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
