//! The command layer: runs each command (source → snapshot → analysis →
//! report), one module per command family, on the validated
//! [`crate::config`]. `main` dispatches to them. Reports and snapshots are
//! written through [`crate::output`]; this layer only reads (the input,
//! the template, the baseline and exceptions files).

pub mod answer;
pub mod dump;
pub mod exit;
pub mod fleet;
pub mod info;
pub mod merge;
mod prepared;
pub mod scan;
pub mod unused;
pub mod warn;

use crate::config::{Input, SourceConfig};
use crate::error::Error;
use crate::progress::Progress;
use crate::source::{self, Loaded};

/// Leaves a run's data (the snapshot, the report) to the end of the
/// process instead of freeing it object by object: the command is done and
/// the process exits next, which returns all of its memory at once.
/// Freeing a 100,000-pod cluster's millions of allocations one by one took
/// a tenth of the whole run.
fn left_to_exit<T>(data: T) {
    std::mem::forget(data);
}

/// The snapshot of `source`.
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
            let loaded = loader.finish()?;
            // Objects at old API versions are read, and said so once.
            if let Some(note) = loaded.provenance.old_api_versions_note() {
                warn::note(source.progress.quiet, format_args!("note: {note}"));
            }
            Ok(loaded)
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
