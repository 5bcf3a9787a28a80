//! A log's format, told from its first bytes: one JSON record per line
//! (the log backend's Events, CloudWatch records, lines of an export to
//! S3), or anything else in JSON (an array, an `EventList`, records on
//! several lines or none between them), which the structural scanner
//! reads. Text that does not start with JSON is not an audit log.

use serde::Deserialize;
use serde::de::IgnoredAny;

/// How a log is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// Nothing but blanks: no record.
    Empty,
    /// One record per line.
    Lines,
    /// Records found by the structural scanner.
    Structural,
}

/// The fields that make a top-level object a list of records.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lists {
    items: Option<IgnoredAny>,
    events: Option<IgnoredAny>,
    log_events: Option<IgnoredAny>,
}

/// The format of a log that starts with `head` (after any byte order
/// mark), all of it if `ended`; it holds the whole first line, unless
/// that line is very long. `Err` says why it is not an audit log, and on
/// which line.
pub(super) fn detect(head: &[u8], ended: bool) -> Result<Format, (u64, &'static str)> {
    let start = head.len() - head.trim_ascii_start().len();
    let text = &head[start..];
    let line = 1 + super::frame::line_ends(&head[..start]);
    match text.first() {
        None if ended => Ok(Format::Empty),
        None => Ok(Format::Lines),
        Some(b'[') => Ok(Format::Structural),
        // A line of an export to S3: a time, a space, the record.
        Some(b'0'..=b'9') => Ok(Format::Lines),
        Some(b'{') => {
            let first_line = match memchr::memchr(b'\n', text) {
                Some(end) => &text[..end],
                None if ended => text,
                // A first line longer than the head: read as it comes.
                None => return Ok(Format::Structural),
            };
            let mut values = serde_json::Deserializer::from_slice(first_line).into_iter::<Lists>();
            Ok(match values.next() {
                // Records with nothing between them: read as they come.
                Some(Ok(_)) if !first_line[values.byte_offset()..].trim_ascii().is_empty() => {
                    Format::Structural
                }
                Some(Ok(l))
                    if l.items.is_none() && l.events.is_none() && l.log_events.is_none() =>
                {
                    Format::Lines
                }
                // A list of records on one line: its items are read one
                // by one, not the whole line at once.
                Some(Ok(_)) => Format::Structural,
                // A broken first line of JSON lines, or the first line of
                // an object written on several.
                _ if first_line.trim_ascii_end().ends_with(b"}") => Format::Lines,
                _ => Format::Structural,
            })
        }
        Some(_) => Err((
            line,
            "it does not start with JSON (an audit log is JSON lines of audit Events, a JSON array or EventList of them, or a CloudWatch Logs export)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        let lines = |t: &str| detect(t.as_bytes(), true);
        assert_eq!(lines(""), Ok(Format::Empty));
        assert_eq!(lines(" \n\n"), Ok(Format::Empty));
        assert_eq!(
            lines("{\"kind\":\"Event\",\"auditID\":\"a\"}\n{\"kind\":\"Event\"}\n"),
            Ok(Format::Lines)
        );
        assert_eq!(
            lines("{\"timestamp\":1,\"message\":\"{}\"}\n"),
            Ok(Format::Lines)
        );
        assert_eq!(
            lines("2024-01-01T00:00:00.000Z {\"kind\":\"Event\"}\n"),
            Ok(Format::Lines)
        );
        assert_eq!(lines("[{\"kind\":\"Event\"}]"), Ok(Format::Structural));
        assert_eq!(
            lines("{\n  \"kind\": \"Event\"\n}\n"),
            Ok(Format::Structural)
        );
        assert_eq!(
            lines("{\"kind\":\"EventList\",\"items\":[{}]}\n"),
            Ok(Format::Structural)
        );
        assert_eq!(
            lines("{\"events\":[{\"message\":\"{}\"}]}"),
            Ok(Format::Structural)
        );
        assert_eq!(lines("{\"a\":1}{\"b\":2}\n"), Ok(Format::Structural));
        assert_eq!(lines("{\"a\":1, broken}\n{\"b\":2}\n"), Ok(Format::Lines));
        let (line, why) = lines("\napiVersion: v1\nkind: Pod\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(why.starts_with("it does not start with JSON"));
        assert!(lines("hello").is_err());
        // Not all read yet, and no line end: read as it comes.
        assert_eq!(detect(b"{\"kind\":\"Ev", false), Ok(Format::Structural));
    }
}
