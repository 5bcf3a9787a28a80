//! The questions: `who-can`, `access` and `paths`, answered from one
//! snapshot.

use std::io::Write;

use super::warn::{Warning, warn};
use super::{exit, left_to_exit, load};
use crate::ask::{self, Answered};
use crate::config::{AnswerConfig, Thresholds};
use crate::error::{Error, Outcome};
use crate::output::write_report;
use crate::report::answers;
use crate::source::Loaded;

/// Runs `who-can`, `access` or `paths`: warns about a `who-can` verb or
/// resource the API server never sends (asked as written all the same),
/// loads the snapshot, answers, and writes the answer. A partial snapshot
/// exits with [`Outcome::Partial`]: the answer may miss subjects or routes.
pub fn run(mut config: AnswerConfig) -> Result<Outcome, Error> {
    if let (Some(path), ask::Ask::Paths { operators, .. }) =
        (&config.operators_file, &mut config.ask)
    {
        *operators = crate::operators::Catalog::load(path)?;
    }
    let ask = &config.ask;
    for oddity in &config.oddities {
        warn(config.source.progress.quiet, Warning::OddRequest { oddity });
    }
    let started = std::time::Instant::now();
    let Loaded { mut snapshot, .. } = load(&config.source)?;
    let loaded = started.elapsed();
    // The engine borrows the snapshot to the end; what was collected is
    // told after the answer.
    let coverage = snapshot.coverage.clone();
    let engine = ask::Engine::new(&mut snapshot, ask);
    let built = started.elapsed();
    let answered = engine.answer(ask)?;
    let done = started.elapsed();
    if config.source.progress.verbosity > 0 {
        let (nodes, edges) = engine.size();
        super::warn::note(
            config.source.progress.quiet,
            format_args!(
                "loaded in {:.1} ms; resolved and built the graph ({nodes} nodes, {edges} edges) in {:.1} ms; answered in {:.1} ms",
                loaded.as_secs_f64() * 1e3,
                (built - loaded).as_secs_f64() * 1e3,
                (done - built).as_secs_f64() * 1e3,
            ),
        );
    }
    let style = config.style;
    let format = config.format;
    let render = |out: &mut dyn Write| match &answered {
        Answered::WhoCan(v) => answers::who_can(v, format, style, out),
        Answered::Holdings(v) => answers::holdings(v, format, style, out),
        Answered::Diff(v) => answers::diff(v, format, style, out),
        Answered::Paths(v) => answers::paths(v, format, style, out),
    };
    write_report(config.output_file.as_deref(), render)?;
    if !coverage.is_complete() {
        warn(
            config.source.progress.quiet,
            Warning::Partial {
                context: None,
                coverage: &coverage,
            },
        );
    }
    let outcome = exit::outcome(&coverage, Thresholds::default());
    left_to_exit((answered, engine));
    left_to_exit(snapshot);
    Ok(outcome)
}
