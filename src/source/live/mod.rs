//! Live input: every kind the analysis reads, listed from the cluster's API
//! server through `kube`. Read-only (GET only; Secrets only with
//! `--secret-metadata`, and then as a metadata-only list: the server never
//! sends their data),
//! all kinds at once, paginated, within `--request-timeout` per request and
//! `--deadline` overall. A kind the credentials may not list becomes a
//! coverage gap, not an error: the scan goes on with what it could read.
//!
//! Progress goes to an [`Observer`]; this module prints nothing.

mod connect;
mod list;
mod request;

use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;

pub use list::ListStats;

use self::request::{ACCEPT_JSON, Failure, Fetcher};
use super::{ClusterInfo, Loaded, Provenance};
use crate::snapshot::{Gap, GapReason, Kind, SnapshotBuilder};

/// Objects per page unless `--chunk-size` says otherwise (kubectl's default).
pub const DEFAULT_CHUNK_SIZE: u32 = 500;
/// `--request-timeout` default.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// `--deadline` default.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(300);

/// How to reach the cluster and how long to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOptions {
    /// `--kubeconfig`: this file instead of `KUBECONFIG` or `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`: this context instead of the current one.
    pub context: Option<String>,
    /// The longest wait for one response (`--request-timeout`).
    pub request_timeout: Duration,
    /// The longest the whole collection may take (`--deadline`).
    pub deadline: Duration,
    /// Objects per page (`--chunk-size`).
    pub chunk_size: u32,
    /// `--secret-metadata`: also list Secrets, metadata only, to recognise
    /// legacy ServiceAccount token secrets that pods mount.
    pub secret_metadata: bool,
    /// `--platform eks`: also GET EKS's `kube-system/aws-auth` ConfigMap.
    pub aws_auth: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            kubeconfig: None,
            context: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            deadline: DEFAULT_DEADLINE,
            chunk_size: DEFAULT_CHUNK_SIZE,
            secret_metadata: false,
            aws_auth: false,
        }
    }
}

/// Errors that stop a live scan. Each names the server or the kubeconfig.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No kubeconfig was found and rbacscan is not running in a pod.
    #[error(
        "no cluster to scan: no --kubeconfig, KUBECONFIG names no existing file, ~/.kube/config does not exist, and this is not a pod (KUBERNETES_SERVICE_HOST is unset); give -f FILE to scan a dump, or --demo"
    )]
    NoKubeconfig,
    /// `--context` was given, but there is no kubeconfig to take it from.
    #[error(
        "--context {context} needs a kubeconfig, and none was found (--kubeconfig, KUBECONFIG, ~/.kube/config)"
    )]
    NoKubeconfigForContext {
        /// The context asked for.
        context: String,
    },
    /// Several contexts were asked for, but there is no kubeconfig to take
    /// them from.
    #[error(
        "scanning several contexts needs a kubeconfig, and none was found (--kubeconfig, KUBECONFIG, ~/.kube/config)"
    )]
    NoKubeconfigForContexts,
    /// The kubeconfig could not be read or parsed.
    #[error("kubeconfig {path}: {message}")]
    Kubeconfig {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// `--context` (or `current-context`) names a context the kubeconfig lacks.
    #[error("context `{context}` is not in {origin}; its contexts: {available}")]
    UnknownContext {
        /// The context asked for.
        context: String,
        /// The kubeconfig file(s).
        origin: String,
        /// The contexts it has, comma-separated.
        available: String,
    },
    /// The kubeconfig has no current context and `--context` was not given.
    #[error("{origin} has no current-context; choose one with --context: {available}")]
    NoContext {
        /// The kubeconfig file(s).
        origin: String,
        /// The contexts it has, comma-separated.
        available: String,
    },
    /// The kubeconfig defines no context at all (an empty file, for example).
    #[error("{origin} defines no contexts, so it names no cluster to scan")]
    NoContexts {
        /// The kubeconfig file(s).
        origin: String,
    },
    /// The chosen context cannot be used (its cluster or user is missing, no
    /// server URL, unreadable certificates, ...).
    #[error("kubeconfig {origin}: {whom}: {message}")]
    Config {
        /// The kubeconfig file(s), or `in-cluster configuration`.
        origin: String,
        /// The context, as `context \`name\``, or the in-cluster ServiceAccount.
        whom: String,
        /// What is wrong.
        message: String,
    },
    /// The in-cluster configuration (the pod's ServiceAccount) could not be loaded.
    #[error("in-cluster configuration: {message}")]
    InCluster {
        /// What is wrong.
        message: String,
    },
    /// The API server could not be reached (connection refused, no route, unknown host).
    #[error("cannot reach the API server at {server}: {cause}")]
    Unreachable {
        /// The server URL.
        server: String,
        /// The network error.
        cause: String,
    },
    /// The TLS handshake failed: wrong CA, wrong server name, expired certificate.
    #[error(
        "TLS handshake with {server} failed: {cause}; check certificate-authority(-data) and the server URL in the kubeconfig"
    )]
    Tls {
        /// The server URL.
        server: String,
        /// What the TLS library said.
        cause: String,
    },
    /// The server rejected the credentials (401).
    #[error(
        "the API server at {server} rejected the credentials of {whom} (401 Unauthorized): the token or client certificate is expired or wrong; log in again or fix the kubeconfig"
    )]
    Unauthorized {
        /// The server URL.
        server: String,
        /// The context or in-cluster ServiceAccount.
        whom: String,
    },
    /// Credentials could not be obtained (exec plugin, token file, OIDC refresh).
    #[error("cannot get credentials for {whom}: {cause}")]
    Credentials {
        /// The context or in-cluster ServiceAccount.
        whom: String,
        /// What failed.
        cause: String,
    },
    /// The server did not answer in time.
    #[error(
        "the API server at {server} did not answer in time (--request-timeout, --deadline); is the URL right and the server up?"
    )]
    Timeout {
        /// The server URL.
        server: String,
    },
    /// The server kept failing (429, 5xx, lost connections) until retries ran out.
    #[error("the API server at {server} keeps failing: {message}")]
    Unavailable {
        /// The server URL.
        server: String,
        /// The last failure.
        message: String,
    },
    /// The server answered, but not as a Kubernetes API server does.
    #[error("{server} does not answer like a Kubernetes API server: {message}")]
    NotKubernetes {
        /// The server URL.
        server: String,
        /// What it answered.
        message: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the network runtime: {0}")]
    Runtime(std::io::Error),
}

/// Something that happened while collecting, for progress displays.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// The server answered `/version`.
    Connected {
        /// Server, context and version.
        cluster: &'a ClusterInfo,
        /// Time from the start.
        after: Duration,
    },
    /// A page of a list arrived.
    Page {
        /// The kind listed.
        kind: Kind,
        /// Its number, from 1.
        page: u32,
        /// Objects of this kind so far.
        objects: usize,
        /// The server's `remainingItemCount`, when it gives one.
        remaining: Option<i64>,
    },
    /// A request failed and will be retried.
    Retry {
        /// The list, or `None` for the first contact.
        kind: Option<Kind>,
        /// What failed.
        problem: &'a str,
        /// The wait before the next attempt.
        wait: Duration,
    },
    /// A list starts over because its `continue` token expired (410).
    Restart {
        /// The kind listed.
        kind: Kind,
        /// Pages read before the token expired.
        after_pages: u32,
        /// The server's message.
        message: &'a str,
    },
    /// A list finished, completely or not.
    Listed(&'a ListStats),
}

/// Receives [`Event`]s while a cluster is listed.
pub trait Observer: Sync {
    /// Called for each event, from the collecting task.
    fn event(&self, event: Event<'_>);
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {
    fn event(&self, _: Event<'_>) {}
}

/// What a live collection produced.
#[derive(Debug)]
pub struct Collected {
    /// The snapshot (with its coverage) and provenance.
    pub loaded: Loaded,
    /// Per kind: requests, pages, time.
    pub lists: Vec<ListStats>,
    /// All requests sent, `/version` and retries included.
    pub requests: u32,
    /// Wall time of the collection.
    pub took: Duration,
}

/// Lists the cluster on a runtime of its own.
pub fn collect(options: &LiveOptions, observer: &dyn Observer) -> Result<Collected, LiveError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(LiveError::Runtime)?;
    runtime.block_on(collect_async(options, observer))
}

/// The contexts of a fleet scan: `named` (each checked against the
/// kubeconfig, so that a typo stops the run before any cluster is listed),
/// or every context of the kubeconfig.
pub fn fleet_contexts(
    options: &LiveOptions,
    named: Option<&[String]>,
) -> Result<Vec<String>, LiveError> {
    let (available, origin) = connect::kubeconfig_contexts(options)?;
    let Some(named) = named else {
        return Ok(available);
    };
    if let Some(unknown) = named.iter().find(|c| !available.contains(c)) {
        return Err(LiveError::UnknownContext {
            context: unknown.clone(),
            origin,
            available: available.join(", "),
        });
    }
    Ok(named.to_vec())
}

/// Lists the cluster of each context at once, on one runtime, each with
/// its own observer. One cluster's failure is its own result: it never
/// stops the others.
pub fn collect_each(
    options: &LiveOptions,
    contexts: &[String],
    observers: &[&dyn Observer],
) -> Result<Vec<Result<Collected, LiveError>>, LiveError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(LiveError::Runtime)?;
    let each = contexts.iter().zip(observers).map(|(context, observer)| {
        let options = LiveOptions {
            context: Some(context.clone()),
            ..options.clone()
        };
        async move { collect_async(&options, *observer).await }
    });
    Ok(runtime.block_on(futures::future::join_all(each)))
}

/// Resolves kubeconfig `text` as a scan would (context, cluster, user,
/// certificates), without connecting, and returns the server URL as
/// reports show it. For tests and fuzzing of kubeconfig handling.
pub fn resolve_kubeconfig(text: &str, context: Option<&str>) -> Result<String, LiveError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(LiveError::Runtime)?;
    let options = LiveOptions {
        context: context.map(str::to_string),
        ..LiveOptions::default()
    };
    let target = runtime.block_on(connect::from_text(text, "<kubeconfig>", &options))?;
    Ok(target.server)
}

/// Lists the cluster: `/version` first (a clear error if the server is not
/// there or rejects us), then every kind at once.
pub async fn collect_async(
    options: &LiveOptions,
    observer: &dyn Observer,
) -> Result<Collected, LiveError> {
    let start = Instant::now();
    let deadline = start + options.deadline;
    let target = connect::target(options).await?;
    let fetcher = Fetcher::new(target, options.request_timeout, deadline, observer)?;
    let mut requests = 0;
    let version = server_version(&fetcher, &mut requests).await?;
    let cluster = ClusterInfo {
        server: fetcher.target.server.clone(),
        context: fetcher.target.context.clone(),
        version,
        collected_at: Some(
            jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string()),
        ),
    };
    observer.event(Event::Connected {
        cluster: &cluster,
        after: start.elapsed(),
    });
    let kinds = (Kind::ALL.into_iter())
        .filter(|k| *k != Kind::Secret || options.secret_metadata)
        .chain(options.aws_auth.then_some(Kind::ConfigMap));
    let lists = kinds.map(|kind| {
        let fetcher = &fetcher;
        async move {
            let mut stats = ListStats::new(kind);
            let mut objects = Vec::new();
            let list_start = Instant::now();
            let listing =
                list::list_kind(fetcher, kind, options.chunk_size, &mut objects, &mut stats);
            let finished = tokio::time::timeout_at(deadline, listing).await;
            match finished {
                Ok(result) => result?,
                Err(_) => {
                    stats.gap = Some(Gap {
                        kind,
                        reason: GapReason::Failed,
                        message: format!(
                            "not finished within the deadline of {} (--deadline)",
                            humantime::format_duration(options.deadline)
                        ),
                    })
                }
            }
            stats.timed(start, list_start);
            observer.event(Event::Listed(&stats));
            Ok::<_, LiveError>((objects, stats))
        }
    });
    let results = futures::future::try_join_all(lists).await?;
    let mut builder = SnapshotBuilder::new();
    if !options.secret_metadata {
        builder.skip(Kind::Secret);
    }
    let mut stats = Vec::new();
    for (objects, s) in results {
        for o in objects {
            builder.add(o);
        }
        requests += s.requests;
        if let Some(gap) = &s.gap {
            builder.add_gap(gap.clone());
        }
        stats.push(s);
    }
    let built = builder.build();
    let provenance = Provenance {
        sources: vec![cluster.describe()],
        documents: 0,
        duplicates: built.duplicates,
        cluster: Some(cluster),
        ..Provenance::default()
    };
    Ok(Collected {
        loaded: Loaded {
            snapshot: built.snapshot,
            provenance,
        },
        lists: stats,
        requests,
        took: start.elapsed(),
    })
}

/// `GET /version`: proves the server is there, speaks Kubernetes and takes
/// our credentials. A server that hides its version (403) is accepted.
async fn server_version(
    fetcher: &Fetcher<'_>,
    requests: &mut u32,
) -> Result<Option<String>, LiveError> {
    let reply = match fetcher
        .get("/version", ACCEPT_JSON, None, true, requests)
        .await
    {
        Ok(a) => a,
        Err(Failure::Fatal(e)) => return Err(e),
        Err(Failure::GaveUp(message)) => {
            return Err(LiveError::Unavailable {
                server: fetcher.target.server.clone(),
                message,
            });
        }
    };
    match reply.status.as_u16() {
        200 => {
            let info: k8s_openapi::apimachinery::pkg::version::Info =
                serde_json::from_slice(&reply.body).map_err(|e| LiveError::NotKubernetes {
                    server: fetcher.target.server.clone(),
                    message: format!("/version: {e}"),
                })?;
            Ok(Some(info.git_version))
        }
        401 => Err(LiveError::Unauthorized {
            server: fetcher.target.server.clone(),
            whom: fetcher.target.whom(),
        }),
        403 => Ok(None),
        _ => Err(LiveError::NotKubernetes {
            server: fetcher.target.server.clone(),
            message: format!(
                "/version: {}",
                request::describe_status(reply.status, &reply.body)
            ),
        }),
    }
}
