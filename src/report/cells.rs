//! Drawing for people, shared by the report's tables and the answers of
//! the questions: cells escaped and cut (names, messages and evidence are
//! cluster data), tables laid out as a grid or, when a grid does not fit
//! the width, as one block per row, and prose escaped and wrapped between
//! words.

use std::io::Write;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

use super::ReportError;
use crate::template::Severity;
use crate::terminal;
use crate::words::plural;

/// How the table is drawn.
#[derive(Debug, Clone, Copy)]
pub struct TableStyle {
    /// Colour severities (ANSI escapes).
    pub color: bool,
    /// Maximum width in columns; `None` asks the terminal.
    pub width: Option<u16>,
    /// At most this many rows per section (`None`: all).
    pub limit: Option<usize>,
    /// `-o wide`: every risk of a row, not the first few.
    pub wide: bool,
    /// `--no-headers`: tables without their header row.
    pub no_headers: bool,
}

/// The longest line of a cell, in characters; longer ones are cut (JSON keeps them whole).
const MAX_LINE: usize = 512;

/// The longest line of prose outside the tables, in characters; longer
/// ones (a hostile name quoted in a summary) are cut like cells.
const MAX_PROSE: usize = 2048;

/// A cell holding one line of text from the analysis, escaped and cut (see
/// [`terminal`]): names, messages and evidence are cluster data.
#[expect(
    clippy::disallowed_methods,
    reason = "the one place a cell of cluster text is made, escaped and cut"
)]
pub(super) fn cell(text: impl AsRef<str>) -> Cell {
    Cell::new(terminal::escape_cut(text.as_ref(), MAX_LINE))
}

/// A cell of several lines, each escaped and cut like [`cell`]'s.
#[expect(
    clippy::disallowed_methods,
    reason = "the one place a cell of several lines of cluster text is made, escaped and cut"
)]
pub(super) fn lines_cell<S: AsRef<str>>(lines: impl IntoIterator<Item = S>) -> Cell {
    let lines: Vec<String> = lines
        .into_iter()
        .map(|l| terminal::escape_cut(l.as_ref(), MAX_LINE).into_owned())
        .collect();
    Cell::new(lines.join("\n"))
}

pub(super) fn severity_cell(s: Severity, style: TableStyle) -> Cell {
    #[expect(
        clippy::disallowed_methods,
        reason = "a severity is rbacscan's own word, not cluster text"
    )]
    let cell = Cell::new(s.as_str());
    if !style.color {
        return cell;
    }
    match s {
        Severity::Critical => cell
            .fg(Color::Red)
            .add_attribute(comfy_table::Attribute::Bold),
        Severity::High => cell.fg(Color::Red),
        Severity::Medium => cell.fg(Color::Yellow),
        Severity::Low => cell.fg(Color::Cyan),
    }
}

pub(super) fn new_table(style: TableStyle, headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
        .set_content_arrangement(ContentArrangement::Dynamic);
    if !style.no_headers {
        t.set_header(headers.iter().map(cell));
    }
    if let Some(w) = style.width {
        t.set_width(w);
    }
    if !style.color {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    t
}

/// A line of the report outside the tables, escaped: it may quote cluster
/// data (file names, server messages, notes).
pub(super) fn line(out: &mut impl Write, text: &str) -> Result<(), ReportError> {
    writeln!(out, "{}", terminal::escape(text))?;
    Ok(())
}

/// A line of prose wrapped at the table width, escaped; continuation
/// lines start with `indent`. Words (names) are never cut: a name longer
/// than the width gets a line of its own.
pub(super) fn wrapped(
    out: &mut impl Write,
    text: &str,
    style: TableStyle,
    indent: &str,
) -> Result<(), ReportError> {
    let escaped = terminal::escape_cut(text, MAX_PROSE);
    let Some(width) = style.width else {
        writeln!(out, "{escaped}")?;
        return Ok(());
    };
    card_line(out, &escaped, usize::from(width), indent)
}

/// Writes lines of the report outside the tables, each escaped and
/// wrapped at the width (see [`wrapped`]).
pub(super) fn write_lines(
    out: &mut impl Write,
    lines: &[String],
    style: TableStyle,
) -> Result<(), ReportError> {
    lines.iter().try_for_each(|l| wrapped(out, l, style, "  "))
}

/// Text already escaped (a cell's, or prose after [`wrapped`]), wrapped
/// between words at `width`, never inside one; continuation lines start
/// with `indent`.
fn card_line(
    out: &mut impl Write,
    text: &str,
    width: usize,
    indent: &str,
) -> Result<(), ReportError> {
    let options = textwrap::Options::new(width.max(20))
        .subsequent_indent(indent)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for l in textwrap::wrap(text, options) {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

/// Writes a table: as a grid when every column can hold its longest word
/// within the width, else as one block per row (`HEADER: value` lines,
/// wrapped between words), so that no name is ever cut inside.
pub(super) fn render(
    out: &mut impl Write,
    t: &Table,
    style: TableStyle,
) -> Result<(), ReportError> {
    let Some(width) = style.width.map(usize::from) else {
        writeln!(out, "{t}")?;
        return Ok(());
    };
    let rows: Vec<Vec<String>> = t
        .row_iter()
        .map(|r| r.cell_iter().map(|c| c.content()).collect())
        .collect();
    // Without headers (`--no-headers`), blocks carry no labels.
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let headers: Vec<String> = t
        .header()
        .map(|h| h.cell_iter().map(|c| c.content()).collect())
        .unwrap_or_else(|| vec![String::new(); columns]);
    let longest_word = |i: usize| {
        std::iter::once(headers.get(i).map(String::as_str).unwrap_or(""))
            .chain(
                rows.iter()
                    .map(|r| r.get(i).map(String::as_str).unwrap_or("")),
            )
            .flat_map(|c| c.split_whitespace())
            .map(textwrap::core::display_width)
            .max()
            .unwrap_or(0)
    };
    // Each column: its longest word, a space each side, a border.
    let needed: usize = (0..headers.len())
        .map(|i| longest_word(i) + 3)
        .sum::<usize>()
        + 1;
    if needed <= width {
        writeln!(out, "{t}")?;
        return Ok(());
    }
    for row in &rows {
        let mut cells = row.iter().zip(&headers);
        let Some((first, _)) = cells.next() else {
            continue;
        };
        let mut head = first.replace('\n', " ");
        if let Some((second, _)) = row.get(1).zip(headers.get(1)) {
            let mut lines = second.lines();
            head = format!("{head}  {}", lines.next().unwrap_or(""));
            cells.next();
            let rest: Vec<&str> = lines.collect();
            writeln!(out)?;
            card_line(out, &head, width, "    ")?;
            for l in rest {
                card_line(out, &format!("  {l}"), width, "    ")?;
            }
        } else {
            writeln!(out)?;
            card_line(out, &head, width, "    ")?;
        }
        for (value, header) in cells {
            let mut lines = value.lines().filter(|l| !l.trim().is_empty());
            let Some(first) = lines.next() else { continue };
            let label = if header.is_empty() {
                String::new()
            } else {
                format!("{header}: ")
            };
            card_line(out, &format!("  {label}{first}"), width, "    ")?;
            for l in lines {
                card_line(out, &format!("    {l}"), width, "      ")?;
            }
        }
    }
    Ok(())
}

/// The line after a section cut at `--limit`: how many rows are not shown
/// and how to see them.
pub(super) fn more_rows(
    out: &mut impl Write,
    rows: usize,
    shown: usize,
) -> Result<(), ReportError> {
    if rows > shown {
        let more = rows - shown;
        writeln!(
            out,
            "{more} more {} (--limit N, --all, or -o json)",
            plural(more, "row")
        )?;
    }
    Ok(())
}
