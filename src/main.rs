//! The `rbacscan` binary: parse arguments, run, turn the result into an exit code.

use std::process::ExitCode;

use clap::Parser;
use rbacscan::cli::{Args, Command};
use rbacscan::config::{AnswerConfig, DumpConfig, MergeConfig, ScanConfig, UnusedConfig};
use rbacscan::{commands, error};

/// The scan allocates millions of small objects on two threads; jemalloc
/// does that faster and with less fragmentation than the system allocator.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, which it reads at start from this symbol (its C
/// type: a pointer to a NUL-terminated string), before `_RJEM_MALLOC_CONF`
/// from the environment, which overrides them. One arena for every
/// thread: by default each thread of the scan gets its own, which keeps
/// the pages that thread freed, and the peak at 100,000 pods held about
/// 15 MB more, no faster (BENCHMARKS.md).
#[cfg(not(target_env = "msvc"))]
// SAFETY: the only symbol of this name; jemalloc reads it as `const char *`,
// and `&u8` is a plain pointer, here to the first byte of a static
// NUL-terminated string that jemalloc never writes.
#[expect(
    unsafe_code,
    reason = "jemalloc's configuration is a symbol it reads: audited, see the SAFETY comment"
)]
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: &u8 = &b"narenas:1\0"[0];

fn main() -> ExitCode {
    let args = match Args::try_parse().and_then(|a| a.check().map(|()| a)) {
        Ok(args) => args,
        Err(e) => return error::report_usage(&e),
    };
    let result = match args.command {
        Command::Scan(scan) => commands::scan::run(&ScanConfig::from(scan)),
        Command::Pods(pods) => commands::scan::run(&ScanConfig::from(pods)),
        Command::Dump(dump) => commands::dump::run(&DumpConfig::from(dump)),
        Command::WhoCan(a) => commands::answer::run(AnswerConfig::from(a)),
        Command::Access(a) => commands::answer::run(AnswerConfig::from(a)),
        Command::Paths(a) => commands::answer::run(AnswerConfig::from(a)),
        Command::Template => commands::info::template(),
        Command::Version => commands::info::version(),
        Command::Completions { shell } => commands::info::completions(shell),
        Command::Man => commands::info::man(),
        Command::Schema { fleet, unused } => commands::info::schema(fleet, unused),
        Command::Unused(a) => commands::unused::run(UnusedConfig::from(a)),
        Command::Merge(m) => commands::merge::run(&MergeConfig::from(m)),
    };
    match result {
        Ok(outcome) => outcome.into(),
        Err(e) => error::report(&e),
    }
}
