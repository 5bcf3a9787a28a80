//! Finding the cluster as kubectl does: `--kubeconfig`, else the files in
//! `KUBECONFIG` (merged, missing ones ignored), else `~/.kube/config`, else the
//! in-cluster service-account configuration; the `--context` or the current
//! context. Produces a `kube::Config` tuned for a bounded, read-only scan.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{
    AuthInfo, Cluster, Context, KubeConfigOptions, Kubeconfig, KubeconfigError, LoadDataError,
    NamedAuthInfo, NamedCluster, NamedContext,
};

use super::{LiveError, LiveOptions};
use crate::source::diagnostic::without_values;

/// The connection settings chosen, for messages and the report.
#[derive(Debug, Clone)]
pub struct Target {
    /// The client configuration.
    pub config: kube::Config,
    /// The API server URL, without user info or query (see [`redact_url`]):
    /// it appears in messages and in the report.
    pub server: String,
    /// The kubeconfig context used; `None` for the in-cluster configuration.
    pub context: Option<String>,
    /// Where the configuration came from: the kubeconfig file(s), or the
    /// in-cluster configuration.
    pub origin: String,
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
    match read_kubeconfig(options)? {
        Some((kubeconfig, origin)) => from_kubeconfig(kubeconfig, origin, options).await,
        None => in_cluster(options).await,
    }
}

/// The contexts of the kubeconfig a scan would read, in the file's order,
/// and where it came from. The in-cluster configuration has none.
pub fn kubeconfig_contexts(options: &LiveOptions) -> Result<(Vec<String>, String), LiveError> {
    let Some((kubeconfig, origin)) = read_kubeconfig(options)? else {
        return Err(LiveError::NoKubeconfigForContexts);
    };
    let names: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    if names.is_empty() {
        return Err(LiveError::NoContexts { origin });
    }
    Ok((names, origin))
}

/// Parses kubeconfig `text` (reported as `origin`) and resolves it as
/// [`target`] does, without reading any other file or connecting.
pub async fn from_text(
    text: &str,
    origin: &str,
    options: &LiveOptions,
) -> Result<Target, LiveError> {
    let kubeconfig = Kubeconfig::from_yaml(text).map_err(|e| LiveError::Kubeconfig {
        path: origin.into(),
        message: kubeconfig_read_error(&e),
    })?;
    from_kubeconfig(kubeconfig, origin.into(), options).await
}

/// The context `options` ask for (or the current one) of `kubeconfig`.
async fn from_kubeconfig(
    kubeconfig: Kubeconfig,
    origin: String,
    options: &LiveOptions,
) -> Result<Target, LiveError> {
    let available: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    if available.is_empty() {
        return Err(LiveError::NoContexts { origin });
    }
    let listing = || available.join(", ");
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
            origin: origin.clone(),
            whom: format!("context `{context}`"),
            message: describe_kubeconfig_error(&e),
        })?;
    Ok(tune(
        Target {
            server: String::new(),
            config,
            context: Some(context),
            origin,
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
        message: kubeconfig_read_error(&e),
    })
}

/// Where a pod's ServiceAccount token, CA bundle and namespace are
/// mounted. `RBACSCAN_SERVICEACCOUNT_DIR` names another directory (for
/// tests, and for a token mounted elsewhere); nothing else differs.
pub const SERVICEACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The pod's own ServiceAccount, when running inside a cluster (the CronJob
/// case), as client-go finds it: the API server at
/// `KUBERNETES_SERVICE_HOST`:`KUBERNETES_SERVICE_PORT`, the mounted CA
/// bundle, and the mounted token, read again as the kubelet rotates it.
async fn in_cluster(options: &LiveOptions) -> Result<Target, LiveError> {
    // A context can only be chosen from a kubeconfig.
    if let Some(context) = &options.context {
        return Err(LiveError::NoKubeconfigForContext {
            context: context.clone(),
        });
    }
    let Some(host) = std::env::var_os("KUBERNETES_SERVICE_HOST") else {
        return Err(LiveError::NoKubeconfig);
    };
    let in_cluster_error = |message: String| LiveError::InCluster { message };
    let host = host
        .into_string()
        .map_err(|_| in_cluster_error("KUBERNETES_SERVICE_HOST is not UTF-8".into()))?;
    let port: u16 = std::env::var("KUBERNETES_SERVICE_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| {
            in_cluster_error("KUBERNETES_SERVICE_PORT is not set to a port number".into())
        })?;
    let dir = std::env::var_os("RBACSCAN_SERVICEACCOUNT_DIR")
        .map_or_else(|| PathBuf::from(SERVICEACCOUNT_DIR), PathBuf::from);
    let file = |name: &str| {
        let path = dir.join(name);
        match path.is_file() {
            true => Ok(path.to_string_lossy().into_owned()),
            false => Err(in_cluster_error(format!(
                "{} does not exist: is a ServiceAccount token mounted (automountServiceAccountToken)?",
                path.display()
            ))),
        }
    };
    let (token, ca) = (file("token")?, file("ca.crt")?);
    // An IPv6 address needs brackets in a URL.
    let server = match host.contains(':') {
        true => format!("https://[{host}]:{port}"),
        false => format!("https://{host}:{port}"),
    };
    let name = "in-cluster".to_string();
    let kubeconfig = Kubeconfig {
        clusters: vec![NamedCluster {
            name: name.clone(),
            cluster: Some(Cluster {
                server: Some(server),
                certificate_authority: Some(ca),
                ..Cluster::default()
            }),
            ..NamedCluster::default()
        }],
        auth_infos: vec![NamedAuthInfo {
            name: name.clone(),
            auth_info: Some(AuthInfo {
                token_file: Some(token),
                ..AuthInfo::default()
            }),
            ..NamedAuthInfo::default()
        }],
        contexts: vec![NamedContext {
            name: name.clone(),
            context: Some(Context {
                cluster: name.clone(),
                user: Some(name.clone()),
                ..Context::default()
            }),
            ..NamedContext::default()
        }],
        current_context: Some(name.clone()),
        ..Kubeconfig::default()
    };
    let kube_options = KubeConfigOptions {
        context: Some(name),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &kube_options)
        .await
        .map_err(|e| in_cluster_error(without_values(&one_line(&describe_kubeconfig_error(&e)))))?;
    Ok(tune(
        Target {
            server: String::new(),
            config,
            context: None,
            origin: format!("in-cluster configuration ({})", dir.display()),
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
    target.server = redact_url(&c.cluster_url);
    target
}

/// A server URL fit to print and store: user info (`https://admin:TOKEN@host`)
/// and the query are dropped, and so is a trailing `/`.
pub fn redact_url(url: &http::Uri) -> String {
    let mut text = String::new();
    if let Some(scheme) = url.scheme_str() {
        text.push_str(scheme);
        text.push_str("://");
    }
    if let Some(authority) = url.authority() {
        let host = authority.as_str().rsplit('@').next().unwrap_or_default();
        text.push_str(host);
    }
    text.push_str(url.path().trim_end_matches('/'));
    text
}

/// A kubeconfig error in words that name what is missing, without values.
fn describe_kubeconfig_error(error: &KubeconfigError) -> String {
    use KubeconfigError as E;
    match error {
        E::LoadClusterOfContext(cluster) => {
            format!("its cluster `{cluster}` is not in the kubeconfig")
        }
        E::LoadContext(context) => format!("context `{context}` is not in the kubeconfig"),
        E::MissingClusterUrl => "its cluster has no `server` URL".into(),
        E::ParseClusterUrl(_) => "its cluster's `server` is not a valid URL".into(),
        E::LoadCertificateAuthority(e) => {
            format!("cannot load certificate-authority(-data): {}", load_data(e))
        }
        E::LoadClientCertificate(e) => {
            format!("cannot load client-certificate(-data): {}", load_data(e))
        }
        E::LoadClientKey(e) => format!("cannot load client-key(-data): {}", load_data(e)),
        E::ParseCertificates(_) => "a certificate is not valid PEM".into(),
        other => without_values(&one_line(&other.to_string())),
    }
}

fn load_data(error: &LoadDataError) -> String {
    match error {
        LoadDataError::DecodeBase64(_) => "the data is not valid base64".into(),
        LoadDataError::ReadFile(e, path) => format!("cannot read {}: {e}", path.display()),
        LoadDataError::NoBase64DataOrFile => "neither data nor a file is given".into(),
    }
}

/// Why a kubeconfig file could not be read or parsed: a YAML error with its
/// position and without values (a kubeconfig holds tokens and keys).
fn kubeconfig_read_error(error: &KubeconfigError) -> String {
    match error {
        KubeconfigError::Parse(e) => {
            let at = e
                .location()
                .filter(|l| l.line() > 0)
                .map(|l| format!("line {}, column {}: ", l.line(), l.column()))
                .unwrap_or_default();
            format!("{at}{}", crate::source::diagnostic::yaml_message(e))
        }
        KubeconfigError::ReadConfig(e, _) => e.to_string(),
        other => without_values(&one_line(&other.to_string())),
    }
}

/// Joins a multi-line message into one line.
pub(super) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
