//! Finding the cluster as kubectl does: `--kubeconfig`, else the files in
//! `KUBECONFIG` (merged, missing ones ignored), else `~/.kube/config`, else the
//! in-cluster service-account configuration; the `--context` or the current
//! context. Produces a `kube::Config` tuned for a bounded, read-only scan.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use super::{LiveError, LiveOptions};

/// The connection settings chosen, for messages and the report.
#[derive(Debug, Clone)]
pub struct Target {
    /// The client configuration.
    pub config: kube::Config,
    /// The API server URL.
    pub server: String,
    /// The kubeconfig context used; `None` for the in-cluster configuration.
    pub context: Option<String>,
}

impl Target {
    /// Who the credentials belong to, for messages: the context, or the pod's
    /// ServiceAccount.
    pub fn whom(&self) -> String {
        match &self.context {
            Some(c) => format!("context `{c}`"),
            None => "the in-cluster ServiceAccount".into(),
        }
    }
}

/// Resolves the kubeconfig and context into a client configuration.
pub async fn target(options: &LiveOptions) -> Result<Target, LiveError> {
    let (kubeconfig, origin) = match read_kubeconfig(options)? {
        Some(found) => found,
        None => return in_cluster(options),
    };
    let available: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let listing = || {
        if available.is_empty() {
            "none".to_string()
        } else {
            available.join(", ")
        }
    };
    let context = match options
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .filter(|c| !c.is_empty())
    {
        Some(c) if available.contains(&c) => c,
        Some(c) => {
            return Err(LiveError::UnknownContext {
                context: c,
                origin,
                available: listing(),
            });
        }
        None => {
            return Err(LiveError::NoContext {
                origin,
                available: listing(),
            });
        }
    };
    let kube_options = KubeConfigOptions {
        context: Some(context.clone()),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &kube_options)
        .await
        .map_err(|e| LiveError::Config {
            context: context.clone(),
            message: e.to_string(),
        })?;
    Ok(tune(
        Target {
            server: config.cluster_url.to_string(),
            config,
            context: Some(context),
        },
        options,
    ))
}

/// The kubeconfig to use and a description of where it came from, or `None`
/// when there is none and the in-cluster configuration should be tried.
fn read_kubeconfig(options: &LiveOptions) -> Result<Option<(Kubeconfig, String)>, LiveError> {
    if let Some(path) = &options.kubeconfig {
        return read_one(path).map(|k| Some((k, path.display().to_string())));
    }
    if let Some(value) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        // kubectl merges the files in order and ignores the ones that do not exist.
        let paths: Vec<PathBuf> = std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty() && p.exists())
            .collect();
        if !paths.is_empty() {
            let mut merged = Kubeconfig::default();
            for p in &paths {
                merged = merged
                    .merge(read_one(p)?)
                    .map_err(|e| LiveError::Kubeconfig {
                        path: p.display().to_string(),
                        message: e.to_string(),
                    })?;
            }
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            return Ok(Some((merged, format!("KUBECONFIG ({})", names.join(", ")))));
        }
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if let Some(default) = home.map(|h| h.join(".kube").join("config"))
        && default.exists()
    {
        return read_one(&default).map(|k| Some((k, default.display().to_string())));
    }
    Ok(None)
}

fn read_one(path: &Path) -> Result<Kubeconfig, LiveError> {
    if !path.exists() {
        return Err(LiveError::Kubeconfig {
            path: path.display().to_string(),
            message: "no such file".into(),
        });
    }
    Kubeconfig::read_from(path).map_err(|e| LiveError::Kubeconfig {
        path: path.display().to_string(),
        message: one_line(&e.to_string()),
    })
}

/// The pod's own ServiceAccount, when running inside a cluster (the CronJob case).
fn in_cluster(options: &LiveOptions) -> Result<Target, LiveError> {
    // A context can only be chosen from a kubeconfig.
    if let Some(context) = &options.context {
        return Err(LiveError::NoKubeconfigForContext {
            context: context.clone(),
        });
    }
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_none() {
        return Err(LiveError::NoKubeconfig);
    }
    let config = kube::Config::incluster().map_err(|e| LiveError::InCluster {
        message: one_line(&e.to_string()),
    })?;
    Ok(tune(
        Target {
            server: config.cluster_url.to_string(),
            config,
            context: None,
        },
        options,
    ))
}

/// Settings for a bounded scan: no hidden retries (ours honour the deadline
/// and `Retry-After`), and every wait limited by `--request-timeout`.
fn tune(mut target: Target, options: &LiveOptions) -> Target {
    let c = &mut target.config;
    c.default_retry = false;
    c.connect_timeout = Some(options.request_timeout.min(Duration::from_secs(30)));
    c.read_timeout = Some(options.request_timeout);
    c.write_timeout = Some(options.request_timeout);
    c.reset_reader_on_write = true;
    target.server = target.server.trim_end_matches('/').to_string();
    target
}

/// Joins a multi-line message into one line.
pub(super) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
