//! Where the objects come from (the demo, files, one live cluster or
//! several) and what to show on standard error while collecting them.

use crate::cli::SourceArgs;
use crate::source::live::LiveOptions;

/// Where the snapshot comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The bundled demo cluster.
    Demo,
    /// Files, directories or `-`.
    Files(Vec<String>),
    /// A live cluster.
    Live(LiveOptions),
    /// Several live clusters, scanned at once (`scan` only).
    Fleet {
        /// Everything but the context.
        options: LiveOptions,
        /// Which contexts.
        contexts: Contexts,
    },
}

/// The contexts of a fleet scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contexts {
    /// `--context` given more than once: these, in order, each once.
    Named(Vec<String>),
    /// `--all-contexts`.
    All,
}

/// What to show on standard error while collecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressConfig {
    /// 0: a spinner on a terminal; 1: per-list summaries, retries and
    /// restarts; 2: every page.
    pub verbosity: u8,
    /// Nothing but errors.
    pub quiet: bool,
}

/// Where the objects come from and how to show progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceConfig {
    /// The input.
    pub input: Input,
    /// Progress on standard error.
    pub progress: ProgressConfig,
}

impl SourceConfig {
    /// With `--platform eks`, a live scan also GETs EKS's
    /// `kube-system/aws-auth` ConfigMap (files hold it or not).
    pub fn for_platforms(mut self, platforms: &[crate::rbac::platforms::Platform]) -> SourceConfig {
        let eks = platforms.contains(&crate::rbac::platforms::Platform::Eks);
        match &mut self.input {
            Input::Live(o) | Input::Fleet { options: o, .. } => o.aws_auth = eks,
            Input::Demo | Input::Files(_) => {}
        }
        self
    }
}

impl From<SourceArgs> for SourceConfig {
    /// The input and progress settings.
    fn from(args: SourceArgs) -> SourceConfig {
        let input = if args.demo {
            Input::Demo
        } else if !args.files.is_empty() {
            Input::Files(args.files)
        } else {
            let mut contexts: Vec<String> = Vec::new();
            for c in args.context {
                if !contexts.contains(&c) {
                    contexts.push(c);
                }
            }
            let fleet = if args.all_contexts {
                Some(Contexts::All)
            } else if contexts.len() > 1 {
                Some(Contexts::Named(contexts.clone()))
            } else {
                None
            };
            let options = LiveOptions {
                kubeconfig: args.kubeconfig,
                context: if fleet.is_some() {
                    None
                } else {
                    contexts.pop()
                },
                request_timeout: args.request_timeout,
                deadline: args.deadline,
                chunk_size: args.chunk_size,
                secret_metadata: args.secret_metadata,
                aws_auth: false,
            };
            match fleet {
                Some(contexts) => Input::Fleet { options, contexts },
                None => Input::Live(options),
            }
        };
        SourceConfig {
            input,
            progress: ProgressConfig {
                verbosity: args.verbose,
                quiet: args.quiet,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;
    use crate::cli::{Args, Command};

    fn source(args: &[&str]) -> SourceConfig {
        let mut argv = vec!["rbacscan", "scan"];
        argv.extend_from_slice(args);
        match Args::try_parse_from(argv).unwrap().command {
            Command::Scan(s) => s.source.into(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_input_means_the_live_cluster_with_the_documented_defaults() {
        assert_eq!(source(&[]).input, Input::Live(LiveOptions::default()));
    }

    #[test]
    fn live_options_are_taken_from_the_flags() {
        let got = source(&[
            "--kubeconfig",
            "k.yaml",
            "--context",
            "prod",
            "--request-timeout",
            "5",
            "--deadline",
            "1m30s",
            "--chunk-size",
            "2",
        ]);
        assert_eq!(
            got.input,
            Input::Live(LiveOptions {
                kubeconfig: Some("k.yaml".into()),
                context: Some("prod".into()),
                request_timeout: Duration::from_secs(5),
                deadline: Duration::from_secs(90),
                chunk_size: 2,
                secret_metadata: false,
                aws_auth: false,
            })
        );
        assert!(matches!(
            source(&["--secret-metadata"]).input,
            Input::Live(LiveOptions {
                secret_metadata: true,
                ..
            })
        ));
        assert!(Args::try_parse_from(["rbacscan", "scan", "--demo", "--secret-metadata"]).is_err());
    }
}
