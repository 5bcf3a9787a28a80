//! The files behind the paths given: a file as it is (a pipe too:
//! `<(zcat ...)`), a directory as every regular file under it, in name
//! order, depth first, each directory visited once however symbolic links
//! point (a link to a parent cannot loop).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::audit::AuditError;

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Input {
    /// Its path.
    pub(super) path: PathBuf,
    /// Found under a directory given, rather than given itself.
    pub(super) found: bool,
}

/// The files to read for `paths`, in order. A directory without any
/// regular file under it is an error, and so is a path that cannot be
/// examined or listed.
pub(super) fn files(paths: &[PathBuf]) -> Result<Vec<Input>, AuditError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| read_error(path, source))?;
        if !meta.is_dir() {
            out.push(Input {
                path: path.clone(),
                found: false,
            });
            continue;
        }
        let mut found = Vec::new();
        walk(path, &mut found)?;
        if found.is_empty() {
            return Err(AuditError::EmptyDirectory {
                path: path.display().to_string(),
            });
        }
        out.extend(found.into_iter().map(|path| Input { path, found: true }));
    }
    Ok(out)
}

fn read_error(path: &Path, source: std::io::Error) -> AuditError {
    AuditError::Read {
        path: path.display().to_string(),
        source,
    }
}

/// Adds the regular files under `root` to `out`, with a stack of its own
/// (deep trees cannot overflow the thread's).
fn walk(root: &Path, out: &mut Vec<PathBuf>) -> Result<(), AuditError> {
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    seen.insert(canonical(root));
    let mut stack: Vec<std::vec::IntoIter<PathBuf>> = vec![entries(root)?.into_iter()];
    while let Some(dir) = stack.last_mut() {
        let Some(path) = dir.next() else {
            stack.pop();
            continue;
        };
        // A link that leads nowhere holds no log.
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if seen.insert(canonical(&path)) {
                stack.push(entries(&path)?.into_iter());
            }
        } else if meta.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// A directory's entries, sorted by name.
fn entries(dir: &Path) -> Result<Vec<PathBuf>, AuditError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| read_error(dir, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| read_error(dir, e))?;
    entries.sort();
    Ok(entries)
}
