//! An audit log file opened for reading: plain, or gzip (told by its magic
//! bytes `1f 8b`, whatever its name), with every member of a multi-member
//! gzip file (logrotate's, a CloudWatch export's) read in turn. The bytes
//! read from the file are counted, for progress.

use std::fs::File;
use std::io::{self, Chain, Cursor, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::audit::AuditError;

/// The gzip magic bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The file's first bytes, given back before the rest.
type Sniffed = Chain<Cursor<Vec<u8>>, Counted<File>>;

/// An open audit log: its decompressed bytes.
pub(super) struct Log {
    name: String,
    input: Input,
}

enum Input {
    Plain(Sniffed),
    Gzip(Box<MultiGzDecoder<Sniffed>>),
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl Log {
    /// Opens `path`, named `name` in errors.
    pub(super) fn open(path: &Path, name: &str) -> Result<Log, AuditError> {
        let read_error = |source| AuditError::Read {
            path: name.to_string(),
            source,
        };
        let mut file = Counted {
            inner: File::open(path).map_err(read_error)?,
            read: 0,
        };
        // The first two bytes (fewer in a shorter file); a pipe may hand
        // them over one at a time.
        let mut magic = Vec::with_capacity(2);
        while magic.len() < 2 {
            let mut byte = [0u8; 2];
            let want = 2 - magic.len();
            match file.read(&mut byte[..want]) {
                Ok(0) => break,
                Ok(n) => magic.extend_from_slice(&byte[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_error(e)),
            }
        }
        let gzip = magic[..] == GZIP_MAGIC;
        let sniffed = Cursor::new(magic).chain(file);
        let input = if gzip {
            Input::Gzip(Box::new(MultiGzDecoder::new(sniffed)))
        } else {
            Input::Plain(sniffed)
        };
        Ok(Log {
            name: name.to_string(),
            input,
        })
    }

    /// The bytes read from the file so far (compressed, for gzip).
    pub(super) fn bytes_read(&self) -> u64 {
        match &self.input {
            Input::Plain(r) => r.get_ref().1.read,
            Input::Gzip(r) => r.get_ref().get_ref().1.read,
        }
    }

    /// Reads up to `buf.len()` decompressed bytes; 0 at the end. An error
    /// names the file, and tells a truncated or corrupt gzip file.
    pub(super) fn read(&mut self, buf: &mut [u8]) -> Result<usize, AuditError> {
        loop {
            let got = match &mut self.input {
                Input::Plain(r) => r.read(buf),
                Input::Gzip(r) => r.read(buf),
            };
            match got {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => return Err(self.error(source)),
            }
        }
    }

    fn error(&self, source: io::Error) -> AuditError {
        let path = self.name.clone();
        match (&self.input, source.kind()) {
            (Input::Gzip(_), io::ErrorKind::UnexpectedEof) => AuditError::Gzip {
                path,
                problem: "the gzip data is truncated",
                source,
            },
            (Input::Gzip(_), io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData) => {
                AuditError::Gzip {
                    path,
                    problem: "the gzip data is corrupt",
                    source,
                }
            }
            _ => AuditError::Read { path, source },
        }
    }
}
