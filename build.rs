//! Build information for `rbacscan version`: the commit and the date of
//! the build. Without git (a source tarball) the commit is `unknown`.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=RBACSCAN_COMMIT={commit}");
    // SOURCE_DATE_EPOCH for reproducible builds, else now.
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    println!(
        "cargo:rustc-env=RBACSCAN_BUILD_DATE={}",
        civil_date(seconds / 86_400)
    );
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    // Run again when HEAD moves; without a .git directory, only when this
    // file changes (a missing path would make every build run it).
    let watched: Vec<&str> = [".git/HEAD", ".git/refs/heads", ".git/packed-refs"]
        .into_iter()
        .filter(|p| std::path::Path::new(p).exists())
        .collect();
    if watched.is_empty() {
        println!("cargo:rerun-if-changed=build.rs");
    }
    for p in watched {
        println!("cargo:rerun-if-changed={p}");
    }
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (the proleptic Gregorian
/// calendar, after Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
