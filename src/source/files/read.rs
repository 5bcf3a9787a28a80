//! A file's bytes: read into memory, or mapped when it is big.

use std::io::Read;
use std::path::Path;

/// Files at least this big are mapped rather than read.
const MAP_FROM: u64 = 4 << 20;

/// A file's bytes: mapped into memory when it is a regular file of at
/// least [`MAP_FROM`] bytes, read otherwise (and when it cannot be mapped).
///
/// Reading copies the file into fresh memory, which the kernel must clear
/// page by page first: a 165 MB dump took 0.1 s to read and 0.02 s to map.
/// A mapped file that another process truncates while it is being parsed
/// ends the scan with `SIGBUS` instead of an error message (the trade
/// ripgrep makes for big files too); one rewritten in place may be parsed
/// half old, half new, as a file read while it is written would be.
pub(super) fn contents(path: &Path) -> std::io::Result<Contents> {
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() >= MAP_FROM {
        // SAFETY: the map is read-only, lives no longer than the parse of
        // its bytes, and nothing in this process writes the file; what
        // another process may do to it is the trade above.
        #[expect(
            unsafe_code,
            reason = "memmap2's map is unsafe: audited, see the SAFETY comment"
        )]
        let mapped = unsafe { memmap2::Mmap::map(&file) };
        if let Ok(map) = mapped {
            return Ok(Contents::Mapped(map));
        }
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(Contents::Read(bytes))
}

/// A file's bytes, mapped or read (see [`contents`]).
pub(super) enum Contents {
    /// Mapped read-only.
    Mapped(memmap2::Mmap),
    /// Read into memory.
    Read(Vec<u8>),
}

impl std::ops::Deref for Contents {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Contents::Mapped(map) => map,
            Contents::Read(bytes) => bytes,
        }
    }
}
