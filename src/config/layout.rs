//! How reports for people are laid out: `--color`, `--width`, `--limit`,
//! `--all` and `--no-headers` resolved against the environment (a terminal
//! or not, `NO_COLOR`, `TERM`, `COLUMNS`) into the one
//! [`TableStyle`] the renderers take.

use std::io::IsTerminal;

use crate::cli::{ColorChoice, LayoutArgs};
use crate::report::table::TableStyle;

/// Whether a command's output goes to a terminal: standard output (no
/// `--output-file`) and standard output is one.
pub(super) fn to_terminal(output_file: Option<&str>) -> bool {
    output_file.is_none() && std::io::stdout().is_terminal()
}

/// The width tables and prose are laid out at: `--width`, else the
/// terminal's own when writing to one, else `COLUMNS`, else 160.
pub(super) fn table_width(to_terminal: bool, asked: Option<u16>) -> Option<u16> {
    if asked.is_some() {
        return asked;
    }
    if to_terminal && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
        return Some(w);
    }
    Some(
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .filter(|&c: &u16| c > 0)
            .unwrap_or(160),
    )
}

/// Whether to colour: `--color`, else on a terminal unless `NO_COLOR` or a
/// dumb terminal.
fn use_color(choice: ColorChoice, to_terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && !no_color && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// [`LayoutArgs`] resolved for output to a terminal or not (colour and
/// width), with `--limit`/`--all`; `wide` for `-o wide`.
pub(super) fn table_style(args: &LayoutArgs, to_terminal: bool, wide: bool) -> TableStyle {
    TableStyle {
        color: use_color(args.color, to_terminal),
        width: table_width(to_terminal, args.width),
        limit: (!args.all).then(|| usize::try_from(args.limit).unwrap_or(usize::MAX)),
        wide,
        no_headers: args.no_headers,
    }
}
