//! Reading audit logs end to end, for throughput and peak memory: the
//! files given are read into their usage, and the time, the rate and the
//! figures of the usage printed. Nothing is read without files, so that
//! `cargo bench` passes by.
//!
//! ```sh
//! python3 benches/gen-audit-log.py 1000 /tmp/audit.log
//! cargo bench --bench audit --no-run     # then, for the peak memory:
//! /usr/bin/time -f "%e s %M KB" target/release/deps/audit-* /tmp/audit.log
//! ```

use std::path::PathBuf;
use std::time::Instant;

use rbacscan::source::audit::read_audit_logs;

/// The allocator of the `rbacscan` binary, for the same memory figures.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark prints its figures"
)]
fn main() {
    let paths: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if paths.is_empty() {
        println!("audit: no log given (cargo bench --bench audit -- FILE...): nothing measured");
        return;
    }
    let bytes: u64 = (paths.iter())
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let start = Instant::now();
    match read_audit_logs(&paths, &|_| {}) {
        Ok(usage) => {
            let secs = start.elapsed().as_secs_f64();
            println!(
                "{bytes} bytes in {secs:.2} s: {:.0} MB/s of file; {} events, {} requests counted, {} distinct, skipped {:?}",
                bytes as f64 / secs / 1e6,
                usage.events_read(),
                usage.requests_counted(),
                usage.used().len(),
                usage.skipped(),
            );
        }
        Err(e) => {
            eprintln!("audit: {e}");
            std::process::exit(1);
        }
    }
}
