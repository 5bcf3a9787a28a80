//! Parser and decoder messages for people: one line, in plain words, and
//! without any value from the input. An input may hold secrets (an env
//! value, a token in a kubeconfig, a `last-applied-configuration`), so a
//! message names the field and the position, never what was found there.

/// A serde message with every value it quotes replaced by the value's type.
///
/// serde writes `invalid type: integer `987`, expected a string` and
/// `invalid value: string "hunter2", expected ...`; this gives
/// `invalid type: an integer, expected a string`. Field names (`missing
/// field `name``) are kept: they are the schema's, not the input's. Any other
/// quoted text (a library's own message about a value) is elided.
pub fn without_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(at) = rest.rfind(", expected ")
        {
            let (found, expected) = rest.split_at(at);
            return format!("{prefix}{}{expected}", type_of(found));
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some(at) = rest.rfind("`, expected ")
    {
        return format!("unknown value{}", &rest[at + 1..]);
    }
    let kept = ["missing field `", "unknown field `", "duplicate field `"];
    if kept.iter().any(|k| message.starts_with(k)) {
        return message.to_string();
    }
    elide_quoted(message)
}

/// What serde's `Unexpected` text describes, without the value.
fn type_of(found: &str) -> &str {
    let kinds = [
        ("string ", "a string"),
        ("integer `", "an integer"),
        ("floating point `", "a number"),
        ("boolean `", "a boolean"),
        ("character `", "a character"),
        ("byte array", "a byte array"),
        ("unit value", "null"),
        ("Option value", "an optional value"),
        ("sequence", "a list"),
        ("map", "a mapping"),
    ];
    kinds
        .iter()
        .find(|(k, _)| found.starts_with(k))
        .map_or("a value", |(_, t)| t)
}

/// `text` with each double-quoted or back-quoted span replaced by `"…"`.
fn elide_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(['"', '`']) {
        let quote = rest.as_bytes()[start] as char;
        let Some(len) = rest[start + 1..].find(quote) else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str("\"…\"");
        rest = &rest[start + 1 + len + 1..];
    }
    out.push_str(rest);
    out
}

/// A serde-saphyr error in plain words, without values: the limits against
/// hostile input (nesting, size, aliases) and duplicate keys are explained,
/// and the rest goes through the library's messages for people.
pub fn yaml_message(error: &serde_saphyr::Error) -> String {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    let error = match error {
        E::WithSnippet { error, .. } => error.as_ref(),
        other => other,
    };
    let text = match error {
        E::Budget { breach, .. } => match breach {
            B::Depth { .. } => "nesting is too deep (a limit against hostile input)".to_string(),
            B::Aliases { .. }
            | B::Anchors { .. }
            | B::AliasAnchorRatio { .. }
            | B::RecordedAnchorEvents { .. }
            | B::RecordedAnchorBytes { .. } => {
                "too many aliases (a limit against hostile input such as a \"billion laughs\" document)".to_string()
            }
            _ => "the document is too large or too complex (a limit against hostile input)"
                .to_string(),
        },
        E::AliasReplayCounterOverflow { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => {
            "too many alias expansions (a limit against hostile input such as a \"billion laughs\" document)".to_string()
        }
        // A key is the schema's (or a label's), not a value: it is named.
        E::DuplicateMappingKey { key, .. } => {
            return match key {
                Some(k) => format!("duplicate key `{}` in a mapping", one_line(k)),
                None => "duplicate key in a mapping".to_string(),
            };
        }
        other => other.render_with_formatter(&serde_saphyr::UserMessageFormatter),
    };
    one_line(&without_values(strip_position(&text)))
}

/// A message without the ` at line L, column C` that parsers append (the
/// location is reported separately).
pub fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    }
}

/// Joins a multi-line message into one line.
pub fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why `bytes` is not UTF-8 text, in words that help (a UTF-16 file, what
/// Windows PowerShell's `>` writes, is named as such), and the line and
/// column of the first bad byte.
pub fn not_utf8(bytes: &[u8], error: &std::str::Utf8Error) -> (Option<(u64, u64)>, String) {
    let utf16 = bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || (bytes.len() >= 4 && (bytes[1] == 0 && bytes[3] == 0 || bytes[0] == 0 && bytes[2] == 0));
    if utf16 {
        return (None, "the file is UTF-16 text (as PowerShell's `>` writes it); convert it to UTF-8, e.g. `Get-Content in.yaml | Set-Content -Encoding utf8 out.yaml`, or write it with `kubectl ... | Out-File -Encoding utf8`".into());
    }
    let offset = error.valid_up_to();
    let line = bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1;
    let column = offset
        - bytes[..offset]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (
        Some((line as u64, column as u64)),
        format!("not UTF-8 text (byte {offset} is not valid UTF-8)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_never_appear_in_messages() {
        assert_eq!(
            without_values("invalid type: integer `987654321123`, expected a string"),
            "invalid type: an integer, expected a string"
        );
        assert_eq!(
            without_values(
                "invalid value: string \"hunter2, expected x\", expected a 32-bit integer"
            ),
            "invalid value: a string, expected a 32-bit integer"
        );
        assert_eq!(
            without_values("invalid type: map, expected a string"),
            "invalid type: a mapping, expected a string"
        );
        assert_eq!(
            without_values("unknown variant `s3cr3t`, expected one of `A`, `B`"),
            "unknown value, expected one of `A`, `B`"
        );
        assert_eq!(
            without_values("failed to parse \"s3cr3t\" as a timestamp: bad `x`"),
            "failed to parse \"…\" as a timestamp: bad \"…\""
        );
        assert_eq!(
            without_values("missing field `name`"),
            "missing field `name`"
        );
    }

    #[test]
    fn yaml_limits_are_explained_without_debug_text() {
        let deep = format!("a: {}{}", "[".repeat(200), "]".repeat(200));
        let e = serde_saphyr::from_str::<serde_json::Value>(&deep).unwrap_err();
        let m = yaml_message(&e);
        assert!(m.contains("nesting is too deep"), "{m}");
        assert!(!m.contains('{') && !m.contains("Depth"), "{m}");
        let e = serde_saphyr::from_str::<serde_json::Value>("a: 1\na: 2\n").unwrap_err();
        let m = yaml_message(&e);
        assert_eq!(m, "duplicate key `a` in a mapping");
    }

    #[test]
    fn utf16_files_get_a_hint_and_bad_bytes_a_position() {
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("kind: x".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let e = std::str::from_utf8(&utf16).unwrap_err();
        assert!(not_utf8(&utf16, &e).1.contains("UTF-16"));
        let bad: &[u8] = &[b"a: 1\nb: ".as_slice(), &[0xff, b'\n']].concat();
        let e = std::str::from_utf8(bad).unwrap_err();
        assert_eq!(
            not_utf8(bad, &e),
            (
                Some((2, 4)),
                "not UTF-8 text (byte 8 is not valid UTF-8)".to_string()
            )
        );
    }
}
