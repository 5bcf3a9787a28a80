//! Errors of the operator catalog: a file that cannot be read, does not
//! parse, or holds an invalid entry, each named by file and line.

/// Errors of the operator catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The catalog file could not be read.
    #[error("{path}: cannot read the operator catalog: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not valid YAML or does not match the format.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The catalog file.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// An entry parses but is invalid (a bad id, a duplicate, a resource
    /// that is not `plural.group`, an entry that steers nothing).
    #[error("{file}:{line}: operator `{id}`: {message}")]
    Invalid {
        /// The catalog file.
        file: String,
        /// 1-based line of the entry.
        line: u64,
        /// The entry's id.
        id: String,
        /// What is wrong.
        message: String,
    },
}
