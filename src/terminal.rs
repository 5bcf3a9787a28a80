//! Text from a cluster or an input file, made safe to show on a terminal.
//!
//! Object names, subjects, annotations, server messages and file names are
//! data: whoever controls them must not be able to move the cursor, erase or
//! rewrite lines, forge a second line of output, or make one name look like
//! another. Every such string goes through [`escape`] before it reaches a
//! table, an error line or a progress line (JSON escapes on its own).
//!
//! Escaped are: every control character (C0, DEL, C1, including newline,
//! carriage return, tab and ESC), the Unicode line and paragraph separators,
//! the bidirectional formatting characters (which can reverse how a name
//! reads), and the invisible zero-width characters (which can make two
//! different names look the same). A backslash is left as it is, so that
//! names such as `DOMAIN\user` stay readable.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as it is.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Zero-width space, non-joiner, joiner; left-to-right and right-to-left marks.
            '\u{200B}'..='\u{200F}'
            // Line and paragraph separators; bidi embeddings and overrides.
            | '\u{2028}'..='\u{202E}'
            // Word joiner and invisible operators; bidi isolates.
            | '\u{2060}'..='\u{2069}'
            // Arabic letter mark.
            | '\u{061C}'
            // Zero-width no-break space (byte order mark).
            | '\u{FEFF}'
        )
}

/// `text` with every unsafe character written as an escape: `\n`, `\r`,
/// `\t`, `\x1b` for other ASCII controls, `\u{202e}` for the rest.
/// Borrows when there is nothing to escape.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Multi-line `text` of our own making, each line escaped: the line breaks
/// stay, anything else unsafe is escaped.
pub fn escape_lines(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|l| match l.strip_suffix('\n') {
            Some(l) => format!("{}\n", escape(l)),
            None => escape(l).into_owned(),
        })
        .collect()
}

/// `text` escaped and cut to at most `max` characters, saying how much was
/// left out. Table layout is quadratic in the length of a cell, so a
/// megabyte-long name must not reach it whole (JSON keeps it whole).
pub fn escape_cut(text: &str, max: usize) -> Cow<'_, str> {
    let escaped = escape(text);
    let count = escaped.chars().count();
    if count <= max {
        return escaped;
    }
    let keep: String = escaped.chars().take(max).collect();
    Cow::Owned(format!("{keep}… (+{} characters)", count - max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in [
            "kube-system/ops-bot",
            "DOMAIN\\user",
            "système:admin",
            "名前",
            "",
        ] {
            assert!(matches!(escape(s), Cow::Borrowed(t) if t == s), "{s}");
        }
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        assert_eq!(escape("evil\u{1b}[2K\rOK"), "evil\\x1b[2K\\rOK");
        assert_eq!(escape("a\nrbacscan: scan OK"), "a\\nrbacscan: scan OK");
        assert_eq!(escape("bell\u{7}\u{7f}\ttab"), "bell\\x07\\x7f\\ttab");
        // C1 controls (0x9b is a one-byte CSI on some terminals).
        assert_eq!(escape("x\u{9b}2K"), "x\\u{9b}2K");
    }

    #[test]
    fn names_cannot_be_reversed_or_made_to_look_like_others() {
        assert_eq!(escape("admin\u{202e}nimda"), "admin\\u{202e}nimda");
        assert_eq!(escape("cluster\u{200b}-admin"), "cluster\\u{200b}-admin");
        assert_eq!(
            escape("\u{feff}x\u{2066}y\u{2029}"),
            "\\u{feff}x\\u{2066}y\\u{2029}"
        );
    }

    #[test]
    fn long_text_is_cut_after_escaping() {
        let long = "a".repeat(1_000_000);
        let cut = escape_cut(&long, 100);
        assert!(cut.starts_with(&"a".repeat(100)));
        assert!(cut.ends_with("… (+999900 characters)"), "{}", &cut[90..]);
        assert_eq!(escape_cut("short", 100), "short");
        assert_eq!(escape_cut("\u{1b}\u{1b}", 5), "\\x1b\\… (+3 characters)");
    }
}
