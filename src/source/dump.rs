//! The snapshot file of `rbacscan dump` and `scan --save-snapshot`: a JSON
//! `v1 List` that kubectl and `scan -f` both read, with an `rbacscan` header
//! recording where and when the objects were listed and which kinds are
//! missing, so a partial collection stays partial when scanned offline.
//!
//! ```json
//! {"apiVersion":"v1","kind":"List","metadata":{},
//!  "rbacscan":{"dumpVersion":2,"tool":"rbacscan 0.1.0","cluster":{...},"coverage":{"gaps":[...]}},
//!  "items":[
//! {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole",...},
//! ...
//! ]}
//! ```
//!
//! Items are whole objects as the API server returned them, minus
//! `metadata.managedFields`, one per line, in kind, namespace and name order.
//! Secrets appear only when they were listed (`--secret-metadata`), reduced
//! to their name, `type` and `kubernetes.io/service-account.name`
//! annotation; `coverage.notListed` says when they were not.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::ClusterInfo;
use crate::snapshot::{Coverage, Snapshot};

/// The version of this format; `scan -f` refuses newer ones.
/// Format 2 added Secrets (reduced to name, type and ServiceAccount) and
/// `coverage.notListed`; a format-1 file never holds Secrets.
pub const DUMP_VERSION: u32 = 2;

/// The `rbacscan` section of a snapshot file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DumpHeader {
    /// [`DUMP_VERSION`] when written.
    pub dump_version: u32,
    /// `rbacscan <version>`.
    #[serde(default)]
    pub tool: String,
    /// Where the objects were listed; absent for snapshots of files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterInfo>,
    /// The kinds that could not be listed.
    #[serde(default)]
    pub coverage: Coverage,
}

/// A snapshot file's document, for the YAML form.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'s> {
    api_version: &'static str,
    kind: &'static str,
    metadata: std::collections::BTreeMap<String, String>,
    rbacscan: DumpHeader,
    items: Vec<crate::snapshot::ObjectRef<'s>>,
}

/// Writes `snapshot` as a snapshot file in YAML: the same `List`, header
/// and items as [`write`] writes in JSON (`scan -f` reads either).
pub fn write_yaml(
    snapshot: &Snapshot,
    cluster: Option<&ClusterInfo>,
    mut out: impl Write,
) -> Result<(), serde_saphyr::SerializeError> {
    let document = Document {
        api_version: "v1",
        kind: "List",
        metadata: Default::default(),
        rbacscan: header(snapshot, cluster),
        items: snapshot.objects().collect(),
    };
    serde_saphyr::to_io_writer(&mut out, &document)?;
    out.flush().map_err(serde_saphyr::SerializeError::from)
}

fn header(snapshot: &Snapshot, cluster: Option<&ClusterInfo>) -> DumpHeader {
    DumpHeader {
        dump_version: DUMP_VERSION,
        tool: format!("rbacscan {}", env!("CARGO_PKG_VERSION")),
        cluster: cluster.cloned(),
        coverage: snapshot.coverage.clone(),
    }
}

/// Writes `snapshot` as a snapshot file.
pub fn write(
    snapshot: &Snapshot,
    cluster: Option<&ClusterInfo>,
    out: impl Write,
) -> Result<(), serde_json::Error> {
    // Buffered here, so the serializer's small writes are not dynamic calls.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let header = header(snapshot, cluster);
    let io = serde_json::Error::io;
    out.write_all(br#"{"apiVersion":"v1","kind":"List","metadata":{},"rbacscan":"#)
        .map_err(io)?;
    serde_json::to_writer(&mut out, &header)?;
    out.write_all(b",\"items\":[").map_err(io)?;
    for (i, object) in snapshot.objects().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })
            .map_err(io)?;
        serde_json::to_writer(&mut out, &object)?;
    }
    out.write_all(b"\n]}\n").map_err(io)?;
    out.flush().map_err(io)
}
