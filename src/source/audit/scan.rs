//! The records of a log that is not one JSON object per line, found as its
//! bytes stream by, without parsing it whole: a JSON array of records; an
//! object with a list of records (an `EventList`'s `items`, `aws logs
//! filter-log-events`' `events`, a CloudWatch subscription's `logEvents`),
//! whose other fields are passed over; records one after the other, each
//! on as many lines as it takes (`jq .` output) or with nothing between
//! them (a CloudWatch subscription's records as Firehose writes them); or
//! any mix of these.
//!
//! The scanner follows strings and nesting only: whether a record is an
//! Event is the parser's business (`record`). Text that is not JSON at the
//! top level is a record up to the end of its line, which the parser then
//! calls not JSON.

use super::frame::{CHUNK, Chunk, MAX_RECORD, Range, Records, fill};
use super::open::Log;
use crate::audit::AuditError;
use crate::audit::error::At;

/// The keys of a top-level object whose list holds records.
const LIST_KEYS: [&[u8]; 3] = [b"items", b"events", b"logEvents"];

/// A log's records, found as its bytes stream by.
pub(super) struct Structural {
    buf: Vec<u8>,
    ended: bool,
    /// The next byte to look at.
    pos: usize,
    /// The line of `buf[pos]`.
    line: u64,
    /// How deep in arrays and objects `pos` is.
    depth: u32,
    in_string: bool,
    /// The last byte read in a string was a backslash.
    escaped: bool,
    /// The depth of the values that are records, in the list being read.
    items_at: Option<u32>,
    /// The record being read: where it starts, and its line.
    record: Option<(usize, u64)>,
    /// A record of text that is not JSON, to the end of its line.
    garbage: bool,
    /// The top-level object being read.
    top: Option<Top>,
    /// Records complete in `buf`.
    ranges: Vec<Range>,
    /// The bytes of `ranges`.
    ranges_bytes: usize,
}

/// A top-level object: a record, unless it has a list of records.
#[derive(Debug, Clone, Copy)]
struct Top {
    start: usize,
    line: u64,
    /// It has a list of records: it is not one itself.
    wrapper: bool,
    expect: Expect,
    /// Where the key being read starts.
    key: usize,
    /// The last key read names a list of records.
    list_key: bool,
}

/// What comes next in a top-level object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Key,
    /// In the key's string.
    InKey,
    Colon,
    Value,
    /// In a value, or after it.
    Comma,
}

impl Structural {
    /// The records of a log starting with `first` (read ahead), the whole
    /// log if `ended`.
    pub(super) fn new(first: Vec<u8>, ended: bool) -> Structural {
        Structural {
            buf: first,
            ended,
            pos: 0,
            line: 1,
            depth: 0,
            in_string: false,
            escaped: false,
            items_at: None,
            record: None,
            garbage: false,
            top: None,
            ranges: Vec::new(),
            ranges_bytes: 0,
        }
    }

    /// The next chunk of records; `None` at the end.
    pub(super) fn next(&mut self, log: &mut Log, name: &str) -> Result<Option<Chunk>, AuditError> {
        loop {
            self.scan();
            if self.ended {
                self.close();
                if self.ranges.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(self.cut()));
            }
            if self.ranges_bytes >= CHUNK {
                return Ok(Some(self.cut()));
            }
            let keep = self.keep_from();
            if self.buf.len() - keep > MAX_RECORD {
                let line = self.record.map(|r| r.1).or(self.top.map(|t| t.line));
                return Err(AuditError::RecordTooLong {
                    at: At {
                        file: name.to_string(),
                        line: line.or(Some(self.line)),
                    },
                    limit_mib: (MAX_RECORD >> 20) as u64,
                });
            }
            // Bytes no record needs are dropped before more are read.
            if self.ranges.is_empty() && keep >= CHUNK {
                self.drop_before(keep);
            }
            self.ended = fill(log, &mut self.buf, CHUNK)?;
        }
    }

    /// Where the bytes still needed start: the record or the top-level
    /// object being read, else the next byte.
    fn keep_from(&self) -> usize {
        let mut keep = self.pos.min(self.buf.len());
        if let Some((start, _)) = self.record {
            keep = keep.min(start);
        }
        if let Some(top) = self.top {
            if !top.wrapper {
                keep = keep.min(top.start);
            }
            if top.expect == Expect::InKey {
                keep = keep.min(top.key);
            }
        }
        keep
    }

    /// The records complete so far, as a chunk; the bytes after them are
    /// kept for the next.
    fn cut(&mut self) -> Chunk {
        let keep = self.keep_from();
        let mut rest = Vec::with_capacity(CHUNK + (self.buf.len() - keep));
        rest.extend_from_slice(&self.buf[keep..]);
        let mut text = std::mem::replace(&mut self.buf, rest);
        text.truncate(keep);
        self.rebase(keep);
        self.ranges_bytes = 0;
        Chunk {
            text,
            records: Records::Ranges(std::mem::take(&mut self.ranges)),
        }
    }

    fn drop_before(&mut self, keep: usize) {
        self.buf.drain(..keep);
        self.rebase(keep);
    }

    /// Offsets made relative to `keep`, the new start of the buffer.
    fn rebase(&mut self, keep: usize) {
        self.pos -= keep;
        if let Some((start, _)) = &mut self.record {
            *start -= keep;
        }
        if let Some(top) = &mut self.top {
            top.start = top.start.saturating_sub(keep);
            top.key = top.key.saturating_sub(keep);
        }
    }

    /// At the end of the log: what is still open (a truncated record or
    /// object) is a record, which the parser will find incomplete.
    fn close(&mut self) {
        let end = self.buf.len();
        let open = self.record.take().or_else(|| {
            (self.top.take())
                .filter(|t| !t.wrapper)
                .map(|t| (t.start, t.line))
        });
        if let Some((start, line)) = open {
            self.push(start, end, line);
        }
    }

    fn push(&mut self, start: usize, end: usize, line: u64) {
        if end > start {
            self.ranges.push(Range { start, end, line });
            self.ranges_bytes += end - start;
        }
    }

    /// Reads the bytes of `buf` from `pos` on.
    fn scan(&mut self) {
        let len = self.buf.len();
        while self.pos < len {
            if self.garbage {
                match memchr::memchr(b'\n', &self.buf[self.pos..]) {
                    Some(i) => {
                        let end = self.pos + i;
                        if let Some((start, line)) = self.record.take() {
                            self.push(start, end, line);
                        }
                        self.garbage = false;
                        self.pos = end;
                    }
                    None => {
                        self.pos = len;
                        return;
                    }
                }
                continue;
            }
            if self.in_string {
                self.string(len);
                continue;
            }
            let b = self.buf[self.pos];
            if self.depth == 0 && !matches!(b, b'{' | b'[' | b'\n' | b' ' | b'\t' | b'\r') {
                self.start_garbage();
                continue;
            }
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                b'{' | b'[' => self.open(b),
                b'}' | b']' => self.close_bracket(),
                b',' => self.comma(),
                b':' => {
                    if let Some(top) = &mut self.top
                        && self.depth == 1
                        && top.expect == Expect::Colon
                    {
                        top.expect = Expect::Value;
                    }
                }
                _ => {
                    self.value_starts();
                    if b == b'"' {
                        self.in_string = true;
                        if let Some(top) = &mut self.top
                            && self.depth == 1
                            && top.expect == Expect::Key
                        {
                            top.expect = Expect::InKey;
                            top.key = self.pos + 1;
                        }
                    }
                }
            }
            self.pos += 1;
        }
    }

    /// In a string: on to its closing quote.
    fn string(&mut self, len: usize) {
        if self.escaped {
            self.escaped = false;
            self.pos += 1;
            return;
        }
        let Some(i) = memchr::memchr3(b'"', b'\\', b'\n', &self.buf[self.pos..len]) else {
            self.pos = len;
            return;
        };
        self.pos += i;
        match self.buf[self.pos] {
            b'\\' => self.escaped = true,
            // Not JSON, but lines are still counted.
            b'\n' => self.line += 1,
            _ => {
                self.in_string = false;
                if let Some(top) = &mut self.top
                    && self.depth == 1
                    && top.expect == Expect::InKey
                {
                    let key = &self.buf[top.key..self.pos];
                    top.list_key = LIST_KEYS.contains(&key);
                    top.expect = Expect::Colon;
                }
            }
        }
        self.pos += 1;
    }

    /// Text that is not JSON at the top level: a record to the end of its
    /// line.
    fn start_garbage(&mut self) {
        self.record = Some((self.pos, self.line));
        self.garbage = true;
    }

    /// A value starts at `pos`: a record, if it is an item of the list of
    /// records.
    fn value_starts(&mut self) {
        if self.items_at == Some(self.depth) && self.record.is_none() {
            self.record = Some((self.pos, self.line));
        }
        if let Some(top) = &mut self.top
            && self.depth == 1
            && top.expect == Expect::Value
        {
            top.expect = Expect::Comma;
        }
    }

    fn open(&mut self, b: u8) {
        if self.depth == 0 {
            if b == b'[' {
                self.items_at = Some(1);
            } else {
                self.top = Some(Top {
                    start: self.pos,
                    line: self.line,
                    wrapper: false,
                    expect: Expect::Key,
                    key: 0,
                    list_key: false,
                });
            }
            self.depth = 1;
            return;
        }
        if let Some(top) = &mut self.top
            && self.depth == 1
            && top.expect == Expect::Value
            && top.list_key
            && b == b'['
            && self.items_at.is_none()
        {
            // The list of records: its items are.
            top.wrapper = true;
            top.expect = Expect::Comma;
            self.items_at = Some(2);
            self.depth = 2;
            return;
        }
        self.value_starts();
        self.depth += 1;
    }

    fn close_bracket(&mut self) {
        if self.items_at == Some(self.depth) {
            // The list of records ends, and the record being read with it.
            if let Some((start, line)) = self.record.take() {
                self.push(start, self.pos, line);
            }
            self.items_at = None;
        }
        self.depth -= 1;
        if self.items_at == Some(self.depth)
            && let Some((start, line)) = self.record.take()
        {
            // A record's own closing bracket.
            self.push(start, self.pos + 1, line);
        }
        if self.depth == 0
            && let Some(top) = self.top.take()
            && !top.wrapper
        {
            self.push(top.start, self.pos + 1, top.line);
        }
    }

    fn comma(&mut self) {
        if self.items_at == Some(self.depth)
            && let Some((start, line)) = self.record.take()
        {
            self.push(start, self.pos, line);
        }
        if let Some(top) = &mut self.top
            && self.depth == 1
        {
            top.expect = Expect::Key;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The records the scanner finds in `text`, read in pieces of `piece`
    /// bytes, with their lines.
    fn records(text: &str, piece: usize) -> Vec<(String, u64)> {
        let mut s = Structural::new(Vec::new(), false);
        let mut out = Vec::new();
        let bytes = text.as_bytes();
        let mut at = 0;
        loop {
            let end = (at + piece).min(bytes.len());
            s.buf.extend_from_slice(&bytes[at..end]);
            at = end;
            s.ended = at == bytes.len();
            s.scan();
            if s.ended {
                s.close();
            }
            let chunk = s.cut();
            let Records::Ranges(ranges) = &chunk.records else {
                unreachable!()
            };
            for r in ranges {
                let t = String::from_utf8(chunk.text[r.start..r.end].to_vec()).unwrap();
                out.push((t.trim().to_string(), r.line));
            }
            if s.ended {
                return out;
            }
        }
    }

    fn each_piece_size(text: &str, want: &[(&str, u64)]) {
        for piece in [1, 2, 3, 7, 64, 100_000] {
            let got = records(text, piece);
            let got: Vec<(&str, u64)> = got.iter().map(|(t, l)| (t.as_str(), *l)).collect();
            assert_eq!(got, want, "pieces of {piece}");
        }
    }

    #[test]
    fn the_items_of_a_top_level_array_are_records() {
        each_piece_size(
            "[\n  {\"a\": [1, {\"b\": \"]}\\\"\"}]},\n  {\"c\": 2}\n]\n",
            &[("{\"a\": [1, {\"b\": \"]}\\\"\"}]}", 2), ("{\"c\": 2}", 3)],
        );
    }

    #[test]
    fn the_list_of_an_event_list_or_a_cloudwatch_export_holds_the_records() {
        each_piece_size(
            "{\"kind\": \"EventList\", \"metadata\": {\"items\": [9]},\n \"items\": [{\"x\": 1},\n {\"y\": [2]}], \"z\": 3}",
            &[("{\"x\": 1}", 2), ("{\"y\": [2]}", 3)],
        );
        each_piece_size(
            "{\"events\": [{\"message\": \"{\\\"a\\\":1}\"}], \"searchedLogStreams\": []}\n{\"logEvents\": [{\"message\": \"m\"}]}{\"logEvents\":[]}",
            &[
                ("{\"message\": \"{\\\"a\\\":1}\"}", 1),
                ("{\"message\": \"m\"}", 2),
            ],
        );
    }

    #[test]
    fn top_level_objects_one_after_the_other_are_records() {
        each_piece_size(
            "{\n  \"a\": 1\n}\n{\"b\": {\"items\": [1]}}{\"c\": 3}\n",
            &[
                ("{\n  \"a\": 1\n}", 1),
                ("{\"b\": {\"items\": [1]}}", 4),
                ("{\"c\": 3}", 4),
            ],
        );
    }

    #[test]
    fn text_that_is_not_json_is_a_record_to_its_line_end_and_truncation_is_kept() {
        each_piece_size(
            "hello world\n{\"a\": 1}\n] x\n{\"b\": \"trunc",
            &[
                ("hello world", 1),
                ("{\"a\": 1}", 2),
                ("] x", 3),
                ("{\"b\": \"trunc", 4),
            ],
        );
        each_piece_size("[{\"a\": 1}, {\"b\"", &[("{\"a\": 1}", 1), ("{\"b\"", 1)]);
    }
}
