//! Progress of a live collection, on standard error only: a spinner when
//! standard error is a terminal, and with `-v` one line per list (requests,
//! pages, objects, time), per retry and per restart; `-vv` adds every page.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::ProgressConfig;
use crate::snapshot::Kind;
use crate::source::live::{Collected, Event, Observer};

/// A bar of bytes read, for reading a long audit log: drawn only on a
/// terminal and without `--quiet`.
pub struct ByteProgress {
    bar: ProgressBar,
}

impl ByteProgress {
    /// A bar up to `total` bytes, hidden unless `shown`.
    pub fn start(shown: bool, total: u64, what: &str) -> ByteProgress {
        let bar = if shown {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar.set_message(crate::terminal::escape(what).into_owned());
            bar
        } else {
            ProgressBar::hidden()
        };
        ByteProgress { bar }
    }

    /// `read` bytes read so far.
    pub fn set(&self, read: u64) {
        self.bar.set_position(read);
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Shows collection progress; see the module documentation.
pub struct Progress {
    bar: ProgressBar,
    verbosity: u8,
    objects: Mutex<[usize; Kind::ALL.len()]>,
    /// `context NAME: ` when several clusters are listed at once.
    prefix: String,
}

impl Progress {
    /// A spinner (hidden when standard error is not a terminal, or with
    /// `--quiet`) that starts ticking at once.
    pub fn start(config: ProgressConfig) -> Progress {
        Progress::new(config, None, String::new())
    }

    /// The progress of one cluster of several listed at once: a spinner of
    /// its own among `multi`'s, and `-v` lines that name its context.
    pub fn start_among(multi: &MultiProgress, config: ProgressConfig, context: &str) -> Progress {
        Progress::new(config, Some(multi), format!("context {context}: "))
    }

    fn new(config: ProgressConfig, multi: Option<&MultiProgress>, prefix: String) -> Progress {
        let bar = if config.quiet {
            ProgressBar::hidden()
        } else {
            // indicatif draws nothing when standard error is not a terminal.
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let bar = match multi {
                Some(m) => m.add(bar),
                None => bar,
            };
            if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix}{msg} [{elapsed}]") {
                bar.set_style(style);
            }
            bar.set_prefix(crate::terminal::escape(&prefix).into_owned());
            bar.set_message("connecting");
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        };
        Progress {
            bar,
            verbosity: if config.quiet { 0 } else { config.verbosity },
            objects: Mutex::new([0; Kind::ALL.len()]),
            prefix,
        }
    }

    /// Removes the spinner and, with `-v`, sums up the collection.
    pub fn finish(&self, collected: Option<&Collected>) {
        self.bar.finish_and_clear();
        if let Some(c) = collected {
            let kinds = c.lists.len();
            let missing = c.lists.iter().filter(|l| l.gap.is_some()).count();
            self.line(
                1,
                &format!(
                    "listed {kinds} resource types ({missing} incomplete): {} requests in {}",
                    c.requests,
                    millis(c.took)
                ),
            );
        }
    }

    #[expect(
        clippy::print_stderr,
        reason = "the -v lines of a live collection, above the spinner"
    )]
    fn line(&self, level: u8, text: &str) {
        if self.verbosity >= level {
            // Server messages and names are data: escaped (see `terminal`).
            let text = crate::terminal::escape(text);
            let prefix = crate::terminal::escape(&self.prefix);
            self.bar.suspend(|| eprintln!("rbacscan: {prefix}{text}"));
        }
    }
}

impl Observer for Progress {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Connected { cluster, after } => {
                self.bar
                    .set_message(format!("listing {}", crate::terminal::escape(&cluster.server)));
                self.line(
                    1,
                    &format!("connected to {} in {}", cluster.describe(), millis(after)),
                );
            }
            Event::Page {
                kind,
                page,
                objects,
                remaining,
            } => {
                let message = match self.objects.lock() {
                    Ok(mut counts) => {
                        if let Some(i) = Kind::ALL.iter().position(|k| *k == kind) {
                            counts[i] = objects;
                        }
                        format!("listing: {} objects", counts.iter().sum::<usize>())
                    }
                    Err(_) => "listing".into(),
                };
                self.bar.set_message(message);
                let remaining = remaining
                    .map(|r| format!(", {r} remaining"))
                    .unwrap_or_default();
                self.line(
                    2,
                    &format!(
                        "{}: page {page}, {objects} objects{remaining}",
                        kind.resource()
                    ),
                );
            }
            Event::Retry {
                kind,
                problem,
                wait,
            } => {
                let what = kind.map_or("/version", Kind::resource);
                self.line(
                    1,
                    &format!("{what}: {problem}; retrying in {}", millis(wait)),
                );
            }
            Event::Restart {
                kind,
                after_pages,
                message,
            } => self.line(
                1,
                &format!(
                    "{}: continue token expired after {after_pages} pages ({message}); restarting the list from the beginning",
                    kind.resource()
                ),
            ),
            Event::Listed(s) => {
                let mut text = format!(
                    "{}: {} objects in {} pages, {} requests, started at +{}, took {}",
                    s.kind.resource(),
                    s.objects,
                    s.pages,
                    s.requests,
                    millis(s.started),
                    millis(s.took)
                );
                if s.restarts > 0 {
                    text.push_str(&format!(", restarted {} times", s.restarts));
                }
                if let Some(gap) = &s.gap {
                    text.push_str(&format!(
                        "; INCOMPLETE ({}): {}",
                        gap.reason.as_str(),
                        gap.message
                    ));
                }
                self.line(1, &text);
            }
        }
    }
}

fn millis(d: Duration) -> String {
    if d >= Duration::from_secs(10) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} ms", d.as_millis())
    }
}
