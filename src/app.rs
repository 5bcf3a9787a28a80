//! Runs a command: source → snapshot → analysis → report. Reads the
//! baseline and exceptions files; [`crate::output`] writes.

use std::io::{BufWriter, Write};

use crate::ask::{self, Answered};
use crate::baseline::Baseline;
use crate::cli::DumpFormat;
use crate::config::{
    AnswerConfig, Contexts, DumpConfig, Input, MergeConfig, ScanConfig, SourceConfig,
};
use crate::error::{Error, Outcome};
use crate::findings::{self, AnalysisOptions};
use crate::output::{Destination, Staged, stage_metrics, write_file, write_report};
use crate::previous::{PreviousError, Purpose};
use crate::progress::Progress;
use crate::report::{self, Format, Report, answers, table::TableStyle};
use crate::selection;
use crate::snapshot::Coverage;
use crate::source::{self, Loaded, dump};
use crate::template::{DEFAULT_TEMPLATE, Severity, Template};

/// What a scan needs before it lists anything: the template, the
/// baseline and the exceptions, each read and checked first, so that a bad
/// file fails before a long collection does.
struct Prepared {
    template: Template,
    baseline: Option<Baseline>,
    exceptions: Option<crate::exceptions::Exceptions>,
}

impl Prepared {
    fn load(config: &ScanConfig) -> Result<Prepared, Error> {
        let template = match &config.template {
            Some(path) => Template::load(path)?,
            None => Template::builtin(),
        };
        let baseline = match &config.baseline {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) => Some(Baseline::parse(path, &text)?),
                Err(e) if config.baseline_optional && e.kind() == std::io::ErrorKind::NotFound => {
                    if !config.source.progress.quiet {
                        eprintln!(
                            "rbacscan: warning: no baseline at {} yet: this scan is not compared with one",
                            crate::terminal::escape(path)
                        );
                    }
                    None
                }
                Err(source) => {
                    return Err(PreviousError::Read {
                        path: path.clone(),
                        purpose: Purpose::Baseline,
                        source,
                    }
                    .into());
                }
            },
            None => None,
        };
        // An exceptions file is applied whole or not at all.
        let exceptions = match &config.exceptions {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| {
                    crate::exceptions::ExceptionsError::Read {
                        path: path.clone(),
                        source,
                    }
                })?;
                Some(crate::exceptions::Exceptions::parse(path, &text)?)
            }
            None => None,
        };
        Ok(Prepared {
            template,
            baseline,
            exceptions,
        })
    }

    /// The report of one snapshot: analysis (which takes the pods'
    /// workloads: see [`findings::analyze`]), baseline, exceptions, filters.
    fn report(
        &self,
        snapshot: &mut crate::snapshot::Snapshot,
        provenance: source::Provenance,
        config: &ScanConfig,
    ) -> Report {
        let mut analysis = findings::analyze(
            snapshot,
            &self.template,
            &AnalysisOptions {
                extra_privileged_namespaces: config.privileged_namespaces.clone(),
                hot_threshold: config.hot_threshold,
                platforms: config.platforms.clone(),
            },
        );
        let resolved = (self.baseline.as_ref()).map(|b| b.compare(&mut analysis.findings));
        let excepted = self.exceptions.as_ref().map(|e| {
            let today = jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date();
            let (suppressed, expired) = e.apply(&mut analysis.findings, today);
            report::ExceptionsReport {
                source: e.source.clone(),
                suppressed,
                expired,
            }
        });
        let selection = selection::select(analysis, &config.filter, &config.view);
        let mut report = Report::new(snapshot, provenance, &self.template, selection)
            .with_platforms(&config.platforms);
        if let (Some(b), Some(resolved)) = (&self.baseline, resolved) {
            report = report.with_baseline(&b.source, resolved);
        }
        if let Some(e) = excepted {
            report = report.with_exceptions(e);
        }
        report
    }

    /// Warns of the exceptions past their date (once per run).
    fn warn_expired(&self, report: &Report, config: &ScanConfig) {
        let Some(e) = &report.exceptions else { return };
        if config.source.progress.quiet {
            return;
        }
        for x in &e.expired {
            eprintln!(
                "rbacscan: warning: {}: exception {} (line {}) expired on {}: it no longer suppresses anything",
                crate::terminal::escape(&e.source),
                x.exception,
                x.line,
                x.written.expires.map(|d| d.to_string()).unwrap_or_default(),
            );
        }
    }
}

/// Runs `scan`. A scan of a partial snapshot exits with [`Outcome::Partial`],
/// whatever its findings.
pub fn scan(config: &ScanConfig) -> Result<Outcome, Error> {
    let prepared = Prepared::load(config)?;
    if let Input::Fleet { options, contexts } = &config.source.input {
        return scan_fleet(config, &prepared, options, contexts);
    }
    let started = std::time::Instant::now();
    // SARIF points at the manifest line of each finding's object: the
    // files' readers record where each object is.
    let Loaded {
        mut snapshot,
        provenance,
    } = load_with(&config.source, config.format == Format::Sarif)?;
    let loaded = started.elapsed();
    check_filters(&snapshot, config)?;
    // The snapshot is staged first and put in place only once the report is
    // written: both files or neither.
    let staged_snapshot = match &config.save_snapshot {
        Some(path) => Some(
            Staged::write(path, |out| {
                Ok(dump::write(&snapshot, provenance.cluster.as_ref(), out)?)
            })
            .map_err(|e| e.into_error(path, Destination::Snapshot))?,
        ),
        None => None,
    };
    let report = prepared.report(&mut snapshot, provenance, config);
    let analyzed = started.elapsed();
    prepared.warn_expired(&report, config);
    let template = &prepared.template;
    let style = config.style;
    let render = |out: &mut dyn Write| match config.format {
        Format::Json => report::json::write(&report, out),
        Format::Yaml => report::yaml::write(&report, out),
        Format::Sarif => report::sarif::write(&report, template, out),
        Format::Html => report::html::write(&report, out),
        Format::Markdown => report::markdown::write(
            &report,
            report::markdown::MarkdownStyle { limit: style.limit },
            out,
        ),
        Format::Table | Format::Wide => report::table::write(&report, style, out),
    };
    // The metrics are staged before the report is written, and put in
    // place after it: a metrics file that cannot be written leaves no
    // report either.
    let staged_metrics = match &config.metrics_file {
        Some(path) => Some(stage_metrics(path, &report, started.elapsed())?),
        None => None,
    };
    write_report(config.output_file.as_deref(), render)?;
    if config.source.progress.verbosity > 0 && !config.source.progress.quiet {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        eprintln!(
            "rbacscan: loaded in {:.1} ms; analyzed and selected in {:.1} ms; wrote the report in {:.1} ms",
            ms(loaded),
            ms(analyzed - loaded),
            ms(started.elapsed() - analyzed),
        );
    }
    if let (Some(staged), Some(path)) = (staged_snapshot, &config.save_snapshot) {
        staged
            .commit()
            .map_err(|e| e.into_error(path, Destination::Snapshot))?;
    }
    if let (Some(staged), Some(path)) = (staged_metrics, &config.metrics_file) {
        staged
            .commit()
            .map_err(|e| e.into_error(path, Destination::Metrics))?;
    }
    let outcome = if report.is_partial() {
        warn_partial(&snapshot.coverage, &config.source);
        Outcome::Partial
    } else if config
        .fail_on
        .is_some_and(|level| report.highest().is_some_and(|h| h >= level))
        || config
            .fail_on_new
            .is_some_and(|level| report.highest_new().is_some_and(|h| h >= level))
    {
        Outcome::Findings
    } else {
        Outcome::Clean
    };
    left_to_exit((report, snapshot));
    Ok(outcome)
}

/// Runs `scan` on several clusters at once: each listed concurrently and
/// reported in its own section; one that cannot be scanned is a member
/// with its error (exit 3), and never loses the others' results. A context
/// the kubeconfig lacks stops the run before any cluster is listed.
fn scan_fleet(
    config: &ScanConfig,
    prepared: &Prepared,
    options: &source::live::LiveOptions,
    contexts: &Contexts,
) -> Result<Outcome, Error> {
    use report::fleet::{Fleet, Member};
    let named = match contexts {
        Contexts::Named(names) => Some(names.as_slice()),
        Contexts::All => None,
    };
    let contexts = source::live::fleet_contexts(options, named)?;
    let multi = indicatif::MultiProgress::new();
    let progress: Vec<Progress> = (contexts.iter())
        .map(|c| Progress::start_among(&multi, config.source.progress, c))
        .collect();
    let observers: Vec<&dyn source::live::Observer> = progress
        .iter()
        .map(|p| p as &dyn source::live::Observer)
        .collect();
    let results = source::live::collect_each(options, &contexts, &observers)?;
    let mut members = Vec::new();
    let mut worst = Vec::new();
    let mut warned = false;
    for ((context, result), progress) in contexts.iter().zip(results).zip(&progress) {
        progress.finish(result.as_ref().ok());
        let name = context.clone();
        let source = format!("context {context}");
        match result {
            Ok(collected) => {
                let Loaded {
                    mut snapshot,
                    provenance,
                } = collected.loaded;
                if !snapshot.coverage.is_complete() {
                    warn_partial_of(&snapshot.coverage, &config.source, Some(context));
                }
                let report = prepared.report(&mut snapshot, provenance, config);
                // Exceptions are the same for every cluster: their dates
                // are told once.
                if !warned {
                    prepared.warn_expired(&report, config);
                    warned = true;
                }
                let (member, findings) = Member::scanned(name, source, report);
                members.push(member);
                worst.extend(findings);
            }
            Err(e) => {
                let message = e.to_string();
                if !config.source.progress.quiet {
                    eprintln!(
                        "rbacscan: warning: context {}: {}",
                        crate::terminal::escape(context),
                        crate::terminal::escape(&message)
                    );
                }
                members.push(Member::failed(name, source, message));
            }
        }
    }
    let fleet = Fleet::new("scan", members, worst, config.style.limit, Vec::new());
    write_fleet(
        &fleet,
        config.format,
        config.output_file.as_deref(),
        config.style,
        Some(&prepared.template),
    )?;
    let outcome = fleet_outcome(&fleet, config.fail_on);
    left_to_exit(fleet);
    Ok(outcome)
}

/// Runs `merge`: every report is read and checked before anything is
/// written; one that cannot be is an error naming it (exit 2).
pub fn merge(config: &MergeConfig) -> Result<Outcome, Error> {
    use crate::merge::{self, Collected, MergeOptions};
    let mut reports = Vec::new();
    let mut read = std::collections::HashSet::new();
    for path in &config.reports {
        // One file named twice (`reports/*.json reports/prod.json`) is one report.
        if let Ok(file) = std::fs::canonicalize(path)
            && !read.insert(file)
        {
            continue;
        }
        let text = std::fs::read_to_string(path).map_err(|source| PreviousError::Read {
            path: path.clone(),
            purpose: Purpose::Merge,
            source,
        })?;
        reports.push(Collected::parse(path, &text)?);
    }
    let fleet = merge::merge(
        reports,
        MergeOptions {
            now: jiff::Timestamp::now(),
            stale_after: config.stale_after,
            limit: config.style.limit,
        },
    );
    if !config.quiet {
        for m in &fleet.clusters {
            let mut what = Vec::new();
            if m.stale {
                what.push("is stale".to_string());
            }
            if let Some(e) = &m.error {
                what.push(format!("is partial: {e}"));
            }
            if !what.is_empty() {
                eprintln!(
                    "rbacscan: warning: cluster {} ({}) {}",
                    crate::terminal::escape(&m.name),
                    crate::terminal::escape(&m.source),
                    crate::terminal::escape(&what.join(" and "))
                );
            }
        }
    }
    write_fleet(
        &fleet,
        config.format,
        config.output_file.as_deref(),
        config.style,
        None,
    )?;
    Ok(fleet_outcome(&fleet, config.fail_on))
}

/// Writes a fleet report in `format`.
fn write_fleet(
    fleet: &report::fleet::Fleet,
    format: Format,
    output_file: Option<&str>,
    style: TableStyle,
    template: Option<&Template>,
) -> Result<(), Error> {
    let markdown = report::markdown::MarkdownStyle { limit: style.limit };
    let render = |out: &mut dyn Write| match format {
        Format::Json => report::json::write_document(fleet, out),
        Format::Yaml => report::yaml::write(fleet, out),
        Format::Sarif => report::sarif::write_fleet(fleet, template, out),
        Format::Html => report::html::write_fleet(fleet, out),
        Format::Markdown => report::markdown::write_fleet(fleet, markdown, out),
        Format::Table | Format::Wide => report::table::write_fleet(fleet, style, out),
    };
    write_report(output_file, render)
}

/// A fleet's exit code: 3 when a member failed, is partial or stale; else
/// 1 when a finding reaches `fail_on`; else 0.
fn fleet_outcome(fleet: &report::fleet::Fleet, fail_on: Option<Severity>) -> Outcome {
    if fleet.is_incomplete() {
        Outcome::Partial
    } else if fail_on.is_some_and(|level| fleet.highest().is_some_and(|h| h >= level)) {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}

/// Reports filter values the input does not hold: a namespace is a warning
/// (cluster-wide findings still apply there); nodes that all match no pod
/// are an error, since nothing could be shown.
fn check_filters(snapshot: &crate::snapshot::Snapshot, config: &ScanConfig) -> Result<(), Error> {
    let unmatched = selection::unmatched(snapshot, &config.filter, &config.view);
    let quiet = config.source.progress.quiet;
    let mut nodes = Vec::new();
    for u in &unmatched {
        match u {
            selection::Unmatched::Namespace(ns) if !quiet => eprintln!(
                "rbacscan: warning: namespace {} holds none of the input's objects; only cluster-wide findings apply there",
                crate::terminal::escape(ns)
            ),
            selection::Unmatched::Namespace(_) => {}
            selection::Unmatched::Node(n) => nodes.push(n.as_str()),
        }
    }
    let asked = match &config.view {
        selection::View::Pods(f) => f.nodes.len(),
        selection::View::Scan => 0,
    };
    if !nodes.is_empty() && nodes.len() == asked {
        let mut known: Vec<&str> = (snapshot.pods.iter())
            .filter_map(|p| p.spec.as_ref()?.node_name.as_deref())
            .collect();
        known.sort_unstable();
        known.dedup();
        let hint = match known.len() {
            0 => "no pod of the input is scheduled".to_string(),
            n if n <= 5 => format!("nodes in the input: {}", known.join(", ")),
            n => format!("{n} nodes in the input, such as {}", known[..5].join(", ")),
        };
        return Err(Error::NothingMatches {
            what: format!(
                "{} {}",
                crate::words::plural(nodes.len(), "node"),
                nodes.join(", ")
            ),
            hint,
        });
    }
    if !quiet {
        for n in nodes {
            eprintln!(
                "rbacscan: warning: node {} runs none of the input's pods",
                crate::terminal::escape(n)
            );
        }
    }
    Ok(())
}

/// Leaves a run's data (the snapshot, the report) to the end of the
/// process instead of freeing it object by object: the command is done and
/// the process exits next, which returns all of its memory at once.
/// Freeing a 100,000-pod cluster's millions of allocations one by one took
/// a tenth of the whole run.
fn left_to_exit<T>(data: T) {
    std::mem::forget(data);
}

/// Runs `who-can`, `access` or `paths`: loads the snapshot, answers, and
/// writes the answer. A partial snapshot exits with [`Outcome::Partial`]:
/// the answer may miss subjects or routes.
pub fn answer(config: AnswerConfig) -> Result<Outcome, Error> {
    let ask = &config.ask;
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
    if config.source.progress.verbosity > 0 && !config.source.progress.quiet {
        let (nodes, edges) = engine.size();
        eprintln!(
            "rbacscan: loaded in {:.1} ms; resolved and built the graph ({nodes} nodes, {edges} edges) in {:.1} ms; answered in {:.1} ms",
            loaded.as_secs_f64() * 1e3,
            (built - loaded).as_secs_f64() * 1e3,
            (done - built).as_secs_f64() * 1e3,
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
    let outcome = if coverage.is_complete() {
        Outcome::Clean
    } else {
        warn_partial(&coverage, &config.source);
        Outcome::Partial
    };
    left_to_exit((answered, engine));
    left_to_exit(snapshot);
    Ok(outcome)
}

/// Runs `dump`: writes the snapshot file. A partial snapshot is written too,
/// says so in its header, and exits with [`Outcome::Partial`].
pub fn dump(config: &DumpConfig) -> Result<Outcome, Error> {
    let Loaded {
        snapshot,
        provenance,
    } = load(&config.source)?;
    let cluster = provenance.cluster.as_ref();
    let render = |out: &mut dyn Write| -> Result<(), report::ReportError> {
        match config.format {
            DumpFormat::Json => dump::write(&snapshot, cluster, out)?,
            DumpFormat::Yaml => dump::write_yaml(&snapshot, cluster, out)?,
        }
        Ok(())
    };
    match &config.output_file {
        Some(path) => write_file(path, Destination::Snapshot, render)?,
        None => {
            let stdout = std::io::stdout();
            render(&mut BufWriter::new(stdout.lock()))?;
        }
    }
    if !snapshot.coverage.is_complete() {
        warn_partial(&snapshot.coverage, &config.source);
        return Ok(Outcome::Partial);
    }
    Ok(Outcome::Clean)
}

/// One line on standard error naming the kinds that are missing.
fn warn_partial(coverage: &Coverage, source: &SourceConfig) {
    warn_partial_of(coverage, source, None);
}

/// [`warn_partial`], naming the context of a fleet's cluster.
fn warn_partial_of(coverage: &Coverage, source: &SourceConfig, context: Option<&str>) {
    if source.progress.quiet {
        return;
    }
    let missing: Vec<String> = coverage
        .gaps
        .iter()
        .map(|g| format!("{} ({})", g.kind.resource(), g.reason.as_str()))
        .collect();
    let whose = context.map_or(String::new(), |c| format!("context {c}: "));
    eprintln!(
        "rbacscan: warning: {}partial snapshot, could not read {}; findings may be incomplete (exit code 3)",
        crate::terminal::escape(&whose),
        crate::terminal::escape(&missing.join(", "))
    );
}

/// Prints `rbacscan version`: `--version`, and the built-in template's
/// rules and digest (a changed template changes what is found).
pub fn print_version() -> Result<Outcome, Error> {
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
pub fn print_completions(shell: clap_complete::Shell) -> Result<Outcome, Error> {
    use clap::CommandFactory;
    let mut command = crate::cli::Args::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command, "rbacscan", &mut out);
    Ok(Outcome::Clean)
}

/// Prints the man page.
pub fn print_man() -> Result<Outcome, Error> {
    use clap::CommandFactory;
    let page = clap_mangen::Man::new(crate::cli::Args::command());
    let mut out = std::io::stdout().lock();
    page.render(&mut out)
        .map_err(|e| Error::Report(report::ReportError::Write(e)))?;
    Ok(Outcome::Clean)
}

/// Prints the JSON Schema of the report, or of the fleet report.
pub fn print_schema(fleet: bool) -> Result<Outcome, Error> {
    use report::schema::{Document, schema_text};
    let document = if fleet {
        Document::Fleet
    } else {
        Document::Report
    };
    let mut out = std::io::stdout().lock();
    out.write_all(schema_text(document).as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::Report(report::ReportError::Write(e)))?;
    Ok(Outcome::Clean)
}

/// Prints the built-in template.
pub fn print_template() -> Result<Outcome, Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(DEFAULT_TEMPLATE.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::Report(report::ReportError::Write(e)))?;
    Ok(Outcome::Clean)
}

fn load(source: &SourceConfig) -> Result<Loaded, Error> {
    load_with(source, false)
}

/// [`load`], with where each object was read when `positions` (files only).
fn load_with(source: &SourceConfig, positions: bool) -> Result<Loaded, Error> {
    let loader = || {
        if positions {
            source::files::Loader::with_positions()
        } else {
            source::files::Loader::new()
        }
    };
    match &source.input {
        Input::Demo => Ok(source::demo::load_with(loader())?),
        Input::Files(paths) => {
            let mut loader = loader();
            for p in paths {
                loader.add_path(p)?;
            }
            Ok(loader.finish()?)
        }
        // `Args::check` lets only `scan` ask for several clusters, and
        // `scan` takes them before it gets here.
        Input::Fleet { .. } => Err(Error::SeveralClusters),
        Input::Live(options) => {
            let progress = Progress::start(source.progress);
            let result = source::live::collect(options, &progress);
            progress.finish(result.as_ref().ok());
            Ok(result?.loaded)
        }
    }
}
