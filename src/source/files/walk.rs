//! Walking a directory of manifests: every `.yaml`, `.yml` and `.json` file
//! under it, in name order, depth first.
//!
//! A directory tree may come from a pull request, so it is treated as
//! hostile. Each directory and each file is visited once, by identity
//! (device and inode), however symbolic links point: a link to `.` or to a
//! parent cannot loop, and two links to one file do not read it twice. Only
//! regular files are read (a FIFO named `x.yaml` would block forever). The
//! walk keeps its own stack, so deep nesting cannot overflow the thread's.
//! What was passed over, and why, is returned with the files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The files to read under a directory, and what was passed over.
#[derive(Debug, Default)]
pub struct Walk {
    /// Manifest files, in walk order.
    pub files: Vec<PathBuf>,
    /// Entries passed over.
    pub skipped: Vec<Skipped>,
}

/// An entry the walk passed over.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Skipped {
    /// The path as reached.
    pub path: String,
    /// Why.
    pub reason: SkipReason,
}

/// Why an entry was passed over.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// A directory already visited under another path (a symbolic link loop,
    /// or two links to one directory).
    DirectoryAlreadyVisited,
    /// A file already read under another path.
    FileAlreadyRead,
    /// Not a regular file or directory (a FIFO, socket or device).
    NotARegularFile,
    /// A symbolic link that leads nowhere, or to itself.
    BrokenLink,
}

impl SkipReason {
    /// The reason in words.
    pub fn as_str(&self) -> &'static str {
        match self {
            SkipReason::DirectoryAlreadyVisited => {
                "directory already visited (a symbolic link loop or a second link to it)"
            }
            SkipReason::FileAlreadyRead => "file already read under another path",
            SkipReason::NotARegularFile => "not a regular file",
            SkipReason::BrokenLink => "a symbolic link that leads nowhere or to itself",
        }
    }
}

/// A file's identity: device and inode where there are such, else its
/// canonical path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(
        unix,
        expect(
            dead_code,
            reason = "the fallback where files have no device and inode"
        )
    )]
    Path(PathBuf),
}

fn identity(path: &Path, meta: &std::fs::Metadata) -> Identity {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        Identity::Inode(meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Identity::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// A directory that could not be listed, and why.
#[derive(Debug)]
pub struct Unreadable {
    /// The directory, as reached (under the root given).
    pub dir: PathBuf,
    /// The operating system's error.
    pub source: std::io::Error,
}

/// Walks `root`, a directory. Fails only when a directory cannot be listed,
/// naming that directory (the root or one below it); symbolic links are
/// followed (a dangling one is kept, so that reading it names it in the
/// error).
pub fn walk(root: &Path) -> Result<Walk, Unreadable> {
    let mut out = Walk::default();
    let mut seen: HashSet<Identity> = HashSet::new();
    let meta = std::fs::metadata(root).map_err(|source| Unreadable {
        dir: root.to_path_buf(),
        source,
    })?;
    seen.insert(identity(root, &meta));
    // Each frame: a directory's sorted entries and the next one to look at.
    let mut stack: Vec<(Vec<PathBuf>, usize)> = vec![(entries(root)?, 0)];
    while let Some((list, next)) = stack.last_mut() {
        let Some(path) = list.get(*next).cloned() else {
            stack.pop();
            continue;
        };
        *next += 1;
        let skip = |reason| Skipped {
            path: path.display().to_string(),
            reason,
        };
        let Ok(meta) = std::fs::metadata(&path) else {
            // A link that leads nowhere (or to itself) holds nothing: say so.
            // Anything else that cannot be examined is read if it looks like
            // a manifest, so that the error names it.
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                out.skipped.push(skip(SkipReason::BrokenLink));
            } else if is_manifest(&path) {
                out.files.push(path);
            }
            continue;
        };
        if meta.is_dir() {
            if seen.insert(identity(&path, &meta)) {
                let children = entries(&path)?;
                stack.push((children, 0));
            } else {
                out.skipped.push(skip(SkipReason::DirectoryAlreadyVisited));
            }
        } else if is_manifest(&path) {
            if !meta.is_file() {
                out.skipped.push(skip(SkipReason::NotARegularFile));
            } else if seen.insert(identity(&path, &meta)) {
                out.files.push(path);
            } else {
                out.skipped.push(skip(SkipReason::FileAlreadyRead));
            }
        }
    }
    Ok(out)
}

fn entries(dir: &Path) -> Result<Vec<PathBuf>, Unreadable> {
    let unreadable = |source| Unreadable {
        dir: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(unreadable)?;
    entries.sort();
    Ok(entries)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn names(w: &Walk, root: &Path) -> Vec<String> {
        w.files
            .iter()
            .map(|f| {
                f.strip_prefix(root)
                    .expect("under root")
                    .display()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn files_are_read_in_name_order_depth_first() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("b/c")).unwrap();
        for f in ["a.yaml", "b/c/x.json", "b/y.yml", "z.yaml", "notes.txt"] {
            std::fs::write(d.path().join(f), "").unwrap();
        }
        let w = walk(d.path()).unwrap();
        assert_eq!(
            names(&w, d.path()),
            ["a.yaml", "b/c/x.json", "b/y.yml", "z.yaml"]
        );
        assert!(w.skipped.is_empty());
    }

    #[test]
    fn symbolic_link_loops_and_second_links_are_visited_once() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/r.yaml"), "").unwrap();
        symlink(".", d.path().join("sub/s1")).unwrap();
        symlink("..", d.path().join("sub/up")).unwrap();
        symlink("r.yaml", d.path().join("sub/same.yaml")).unwrap();
        let w = walk(d.path()).unwrap();
        assert_eq!(names(&w, d.path()), ["sub/r.yaml"]);
        let reasons: Vec<(&str, &SkipReason)> = w
            .skipped
            .iter()
            .map(|s| (s.path.rsplit('/').next().unwrap(), &s.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                ("s1", &SkipReason::DirectoryAlreadyVisited),
                ("same.yaml", &SkipReason::FileAlreadyRead),
                ("up", &SkipReason::DirectoryAlreadyVisited),
            ]
        );
    }

    #[test]
    fn links_that_lead_nowhere_or_to_themselves_are_passed_over() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.yaml"), "").unwrap();
        symlink("self.yaml", d.path().join("self.yaml")).unwrap();
        symlink("missing.yaml", d.path().join("dangling.yaml")).unwrap();
        let w = walk(d.path()).unwrap();
        assert_eq!(names(&w, d.path()), ["a.yaml"]);
        let reasons: Vec<&SkipReason> = w.skipped.iter().map(|s| &s.reason).collect();
        assert_eq!(reasons, [&SkipReason::BrokenLink, &SkipReason::BrokenLink]);
    }

    #[test]
    fn fifos_are_not_read_and_deep_trees_do_not_overflow() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("pipe.yaml");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if status.is_ok_and(|s| s.success()) {
            let w = walk(d.path()).unwrap();
            assert!(w.files.is_empty());
            assert_eq!(w.skipped[0].reason, SkipReason::NotARegularFile);
        }
        let mut deep = d.path().join("deep");
        for _ in 0..200 {
            deep.push("d");
        }
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("x.yaml"), "").unwrap();
        assert_eq!(walk(d.path()).unwrap().files.len(), 1);
    }

    #[test]
    fn a_directory_that_cannot_be_listed_is_named_itself() {
        // Not its parent: the error names the directory that failed.
        let dir = tempfile::tempdir().expect("a temporary directory");
        let gone = dir.path().join("sub").join("deeper");
        let e = entries(&gone).expect_err("a missing directory cannot be listed");
        assert_eq!(e.dir, gone);
        let e = walk(&gone).expect_err("nor walked");
        assert_eq!(e.dir, gone);
    }
}
