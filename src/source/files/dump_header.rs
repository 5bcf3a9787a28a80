//! The header of an `rbacscan dump` file, taken into the snapshot: its
//! cluster, the kinds its collection listed, and its gaps.

use super::Loader;
use crate::snapshot::Kind;
use crate::source::dump::{DUMP_VERSION, DumpHeader};
use crate::source::{Location, SourceError};

impl Loader {
    /// Takes in the header of an `rbacscan dump` file: its cluster, the
    /// kinds its collection listed (all but those it names as not listed or
    /// missing), and its gaps (which stay missing in this snapshot).
    pub(super) fn apply_header(
        &mut self,
        header: DumpHeader,
        location: &Location,
    ) -> Result<(), SourceError> {
        if header.dump_version > DUMP_VERSION {
            return Err(SourceError::NotAnObject {
                location: location.clone(),
                message: format!(
                    "snapshot format {} is newer than this rbacscan reads ({DUMP_VERSION}); upgrade rbacscan",
                    header.dump_version
                ),
            });
        }
        for kind in Kind::ALL {
            // Format 1 predates Secrets: its collections never listed them.
            let predates = kind == Kind::Secret && header.dump_version < 2;
            if !predates && header.coverage.listed(kind) {
                self.listed.insert(kind);
            }
        }
        for gap in header.coverage.gaps {
            self.builder.add_gap(gap);
        }
        if self.provenance.cluster.is_none() {
            self.provenance.cluster = header.cluster;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{load, load_as};
    use super::*;

    const PARTIAL_DUMP_HEAD: &str = r#"{"apiVersion":"v1","kind":"List","metadata":{},"rbacscan":{"dumpVersion":1,"tool":"rbacscan 0.1.0","cluster":{"server":"https://10.0.0.1:6443","context":"prod"},"coverage":{"gaps":[{"kind":"Pod","reason":"forbidden","message":"HTTP 403 Forbidden: pods is forbidden"}]}},"items":["#;

    #[test]
    fn a_dump_header_carries_its_gaps_and_cluster_into_the_snapshot() {
        let text = format!(
            "{PARTIAL_DUMP_HEAD}\n{}\n]}}\n",
            r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}"#
        );
        let loaded = load_as("dump.json", &text).unwrap();
        let gap = loaded.snapshot.coverage.gap(Kind::Pod).unwrap();
        assert_eq!(gap.reason, crate::snapshot::GapReason::Forbidden);
        assert!(!loaded.snapshot.coverage.has(Kind::Pod));
        assert!(loaded.snapshot.coverage.has(Kind::Namespace));
        assert_eq!(loaded.snapshot.namespaces.len(), 1);
        let cluster = loaded.provenance.cluster.unwrap();
        assert_eq!(cluster.server, "https://10.0.0.1:6443");
        assert_eq!(cluster.context.as_deref(), Some("prod"));

        // The same header in YAML.
        let yaml = "apiVersion: v1\nkind: List\nrbacscan:\n  dumpVersion: 1\n  coverage:\n    gaps:\n    - {kind: ClusterRole, reason: failed, message: deadline}\nitems: []\n";
        let loaded = load(yaml).unwrap();
        assert!(!loaded.snapshot.coverage.has(Kind::ClusterRole));
    }

    #[test]
    fn secrets_are_listed_when_a_file_holds_some_or_a_format_2_dump_says_so() {
        let listed = |text: &str| load(text).unwrap().snapshot.coverage.listed(Kind::Secret);
        // A kubectl dump without Secrets: they were not listed.
        let ns = "- {apiVersion: v1, kind: Namespace, metadata: {name: a}}";
        assert!(!listed(&format!(
            "apiVersion: v1\nkind: List\nitems:\n{ns}\n"
        )));
        // A format-1 dump predates Secrets.
        assert!(!listed(
            "apiVersion: v1\nkind: List\nrbacscan: {dumpVersion: 1}\nitems: []\n"
        ));
        // A format-2 dump made with --secret-metadata, even of a cluster without any.
        assert!(listed(
            "apiVersion: v1\nkind: List\nrbacscan: {dumpVersion: 2}\nitems: []\n"
        ));
        assert!(!listed(
            "apiVersion: v1\nkind: List\nrbacscan: {dumpVersion: 2, coverage: {notListed: [Secret]}}\nitems: []\n"
        ));
        // Secrets in the input, data and all: kept reduced.
        let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: t, namespace: ns, annotations: {kubernetes.io/service-account.name: sa, note: s3cr3t}}\ntype: kubernetes.io/service-account-token\ndata: {token: czNjcjN0}\n";
        let loaded = load(text).unwrap();
        assert!(loaded.snapshot.coverage.listed(Kind::Secret));
        let kept = serde_json::to_string(&loaded.snapshot.secrets).unwrap();
        assert!(
            kept.contains("\"sa\"") && !kept.contains("s3cr3t") && !kept.contains("czNjcjN0"),
            "{kept}"
        );
    }

    #[test]
    fn a_newer_or_malformed_dump_header_is_refused_with_its_location() {
        let newer = PARTIAL_DUMP_HEAD.replace("\"dumpVersion\":1", "\"dumpVersion\":3");
        let err = load_as("d.json", &format!("{newer}]}}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "d.json:1:1: snapshot format 3 is newer than this rbacscan reads (2); upgrade rbacscan"
        );
        let err =
            load("apiVersion: v1\nkind: List\nrbacscan: {dumpVersion: 1, extra: x}\nitems: []\n")
                .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("t.yaml:1:1: invalid `rbacscan` header: unknown field `extra`"),
            "{err}"
        );
        let err = load("apiVersion: v1\nkind: List\nrbacscan:\n  dumpVersion: 1\n  coverage: {gaps: [{kind: Service, reason: failed, message: x}]}\nitems: []\n")
            .unwrap_err();
        assert!(err.to_string().contains("unknown kind `Service`"), "{err}");
    }

    #[test]
    fn a_written_dump_reads_back_to_the_same_snapshot() {
        let original = crate::source::demo::load().unwrap().snapshot;
        let mut partial = original.clone();
        partial.coverage.add(crate::snapshot::Gap {
            kind: Kind::Role,
            reason: crate::snapshot::GapReason::Failed,
            message: "HTTP 500".into(),
        });
        let mut text = Vec::new();
        crate::source::dump::write(&partial, None, &mut text).unwrap();
        let back = load_as("dump.json", std::str::from_utf8(&text).unwrap())
            .unwrap()
            .snapshot;
        assert_eq!(back.coverage, partial.coverage);
        for kind in Kind::ALL {
            assert_eq!(back.count(kind), original.count(kind), "{kind:?}");
        }
        let json = |s: &crate::snapshot::Snapshot| {
            serde_json::to_string(&(&s.cluster_roles, &s.role_bindings, &s.pods)).unwrap()
        };
        assert_eq!(json(&back), json(&original));
    }
}
