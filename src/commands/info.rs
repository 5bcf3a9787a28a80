//! The commands that print what rbacscan is rather than scan: `version`,
//! `completions`, `man`, `schema` and `template`.

use std::io::Write;

use crate::error::{Error, Outcome};
use crate::report;
use crate::template::{DEFAULT_TEMPLATE, Template};

/// Prints `rbacscan version`: `--version`, and the built-in template's
/// rules and digest (a changed template changes what is found).
pub fn version() -> Result<Outcome, Error> {
    use sha2::{Digest, Sha256};
    let template = Template::builtin();
    let digest = Sha256::digest(DEFAULT_TEMPLATE.as_bytes());
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    let mut out = std::io::stdout().lock();
    let text = format!(
        "rbacscan {}\ntemplate: {}, {} rules, sha256 {hex}\n",
        crate::cli::LONG_VERSION,
        template.source,
        template.rules.len(),
    );
    out.write_all(text.as_bytes())
        .map_err(|e| Error::Report(report::ReportError::Write(e)))?;
    Ok(Outcome::Clean)
}

/// Prints a completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<Outcome, Error> {
    use clap::CommandFactory;
    let mut command = crate::cli::Args::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command, "rbacscan", &mut out);
    Ok(Outcome::Clean)
}

/// Prints the man page.
pub fn man() -> Result<Outcome, Error> {
    use clap::CommandFactory;
    let page = clap_mangen::Man::new(crate::cli::Args::command());
    let mut out = std::io::stdout().lock();
    page.render(&mut out)
        .map_err(|e| Error::Report(report::ReportError::Write(e)))?;
    Ok(Outcome::Clean)
}

/// Prints the JSON Schema of the report, the fleet report, or the
/// `unused` report.
pub fn schema(fleet: bool, unused: bool) -> Result<Outcome, Error> {
    use report::schema::{Document, schema_text};
    let document = match (fleet, unused) {
        (true, _) => Document::Fleet,
        (_, true) => Document::Unused,
        _ => Document::Report,
    };
    let mut out = std::io::stdout().lock();
    out.write_all(schema_text(document).as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::Report(report::ReportError::Write(e)))?;
    Ok(Outcome::Clean)
}

/// Prints the built-in template.
pub fn template() -> Result<Outcome, Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(DEFAULT_TEMPLATE.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::Report(report::ReportError::Write(e)))?;
    Ok(Outcome::Clean)
}
