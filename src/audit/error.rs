//! Why audit logs could not be read. Every message is one line that names
//! the file (and the line, where it makes sense), and never quotes what the
//! file holds: an audit log may hold Secret values.

use std::fmt;

/// Errors reading audit logs.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A path given could not be read: missing, not allowed, or a directory
    /// that cannot be listed.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The path, as given or as reached under a directory given.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A gzip file is truncated or corrupt.
    #[error("{path}: {problem}: {source}")]
    Gzip {
        /// The file.
        path: String,
        /// `the gzip data is truncated` or `the gzip data is corrupt`.
        problem: &'static str,
        /// The decompressor's error.
        #[source]
        source: std::io::Error,
    },
    /// A directory given holds no regular file.
    #[error("{path}: no audit log in this directory")]
    EmptyDirectory {
        /// The directory, as given.
        path: String,
    },
    /// A file is not an audit log: it does not start with JSON, or its
    /// first records are not audit Events.
    #[error("{at}: not an audit log: {why}")]
    NotAuditLog {
        /// The file and the line of its first record.
        at: At,
        /// Why, in words (never what the file holds).
        why: String,
    },
    /// A line or record is longer than the reader takes.
    #[error("{at}: a record longer than {limit_mib} MiB: not read (is this an audit log?)")]
    RecordTooLong {
        /// The file and the line where the record starts.
        at: At,
        /// The limit.
        limit_mib: u64,
    },
    /// The inputs hold no audit event at all (empty files, empty lists).
    #[error("{inputs}: no audit events (the files are empty, or hold empty lists)")]
    NoEvents {
        /// The inputs, as given.
        inputs: String,
    },
}

/// A file and, when known, a 1-based line of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    /// The file, as named.
    pub file: String,
    /// The line.
    pub line: Option<u64>,
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file),
            None => f.write_str(&self.file),
        }
    }
}
