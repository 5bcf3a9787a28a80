//! A log's text cut into chunks of whole records, for workers to parse: a
//! chunk is about [`CHUNK`] bytes, cut at a line end (JSON lines), or
//! holds the records the structural scanner found (`scan`). Only a few
//! chunks are in memory at a time, whatever the size of the log.

use super::open::Log;
use crate::audit::AuditError;
use crate::audit::error::At;

/// The size a chunk is cut at (a chunk holds whole records: one longer
/// record makes a longer chunk). Small in tests, so that records fall
/// across chunks and windows.
pub(super) const CHUNK: usize = if cfg!(test) { 4 << 10 } else { 1 << 20 };

/// The longest record read: a longer one is an error (an audit Event with
/// the body of a list of every pod in a big cluster is tens of MiB).
pub(super) const MAX_RECORD: usize = if cfg!(test) { 1 << 20 } else { 256 << 20 };

/// Whole records of a log, with where they are.
#[derive(Debug)]
pub(super) struct Chunk {
    /// The text.
    pub(super) text: Vec<u8>,
    /// Where its records are.
    pub(super) records: Records,
}

/// Where the records of a chunk are.
#[derive(Debug)]
pub(super) enum Records {
    /// One on each line (blank lines are none); the first line is line
    /// `first` of the file.
    Lines {
        /// The 1-based line of the chunk's first byte.
        first: u64,
    },
    /// At these byte ranges.
    Ranges(Vec<Range>),
}

/// A record's bytes in a chunk, and the line of the file it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Range {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) line: u64,
}

/// Appends up to `want` bytes of `log` to `buf`; whether the log ended.
pub(super) fn fill(log: &mut Log, buf: &mut Vec<u8>, want: usize) -> Result<bool, AuditError> {
    let start = buf.len();
    buf.reserve_exact(want);
    buf.resize(start + want, 0);
    let mut filled = start;
    let ended = loop {
        if filled == buf.len() {
            break false;
        }
        let n = log.read(&mut buf[filled..]);
        match n {
            Ok(0) => break true,
            Ok(n) => filled += n,
            Err(e) => {
                buf.truncate(filled);
                return Err(e);
            }
        }
    };
    buf.truncate(filled);
    Ok(ended)
}

/// The number of line ends in `text`.
pub(super) fn line_ends(text: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', text).count() as u64
}

/// JSON lines, cut into chunks at line ends.
pub(super) struct Lines {
    buf: Vec<u8>,
    /// The line of `buf`'s first byte.
    line: u64,
    ended: bool,
}

impl Lines {
    /// Lines starting with `first` (read ahead), the whole log if `ended`.
    pub(super) fn new(first: Vec<u8>, ended: bool) -> Lines {
        Lines {
            buf: first,
            line: 1,
            ended,
        }
    }

    /// The next chunk; `None` at the end.
    pub(super) fn next(&mut self, log: &mut Log, name: &str) -> Result<Option<Chunk>, AuditError> {
        while !self.ended && self.buf.len() < CHUNK {
            let want = CHUNK - self.buf.len();
            self.ended = fill(log, &mut self.buf, want)?;
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        let mut searched = 0;
        let cut = loop {
            if self.ended {
                break self.buf.len();
            }
            if let Some(i) = memchr::memrchr(b'\n', &self.buf[searched..]) {
                break searched + i + 1;
            }
            // A line longer than the chunk: read on to its end.
            if self.buf.len() >= MAX_RECORD {
                return Err(AuditError::RecordTooLong {
                    at: At {
                        file: name.to_string(),
                        line: Some(self.line),
                    },
                    limit_mib: (MAX_RECORD >> 20) as u64,
                });
            }
            searched = self.buf.len();
            self.ended = fill(log, &mut self.buf, CHUNK)?;
        };
        let mut rest = Vec::with_capacity(CHUNK + (self.buf.len() - cut));
        rest.extend_from_slice(&self.buf[cut..]);
        let mut text = std::mem::replace(&mut self.buf, rest);
        text.truncate(cut);
        let first = self.line;
        self.line += line_ends(&text);
        Ok(Some(Chunk {
            text,
            records: Records::Lines { first },
        }))
    }
}

/// Calls `each` with every record of `chunk` and the line it starts on;
/// blank lines are no record.
pub(super) fn each_record(chunk: &Chunk, mut each: impl FnMut(&[u8], u64)) {
    let text = &chunk.text[..];
    match &chunk.records {
        Records::Lines { first } => {
            let mut line = *first;
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', text) {
                let record = text[start..end].trim_ascii();
                if !record.is_empty() {
                    each(record, line);
                }
                line += 1;
                start = end + 1;
            }
            let record = text[start..].trim_ascii();
            if !record.is_empty() {
                each(record, line);
            }
        }
        Records::Ranges(ranges) => {
            for r in ranges {
                let record = text[r.start..r.end].trim_ascii();
                if !record.is_empty() {
                    each(record, r.line);
                }
            }
        }
    }
}
