//! One resource type listed across all namespaces, page by page (`limit` and
//! `continue`), each page decoded into typed objects as it arrives and its
//! text dropped. While a page is decoded (on a blocking thread) the next one
//! is already asked for, its `continue` token read first from the page's
//! `metadata`; that answer is used only if the page then decodes and the
//! list goes on from it. A `continue` token that expired (410) restarts the
//! list; a refused (403) or failed list becomes a coverage gap, not an error.
//!
//! A server (or a proxy before it) is not trusted to be well behaved: a page
//! that does not decode is asked for again, a 200 whose body is a `Status`
//! failure or not a list is a failure, pages of one list must come from one
//! `resourceVersion` (the list restarts when they do not), and a `continue`
//! token that repeats, or more pages than any cluster has, ends the list as
//! incomplete. Whatever happens, the result is complete and correct, or
//! marked incomplete: never a clean result from partial data.

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
use kube::api::ListParams;
use kube::core::Resource;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::request::{ACCEPT_JSON, ACCEPT_METADATA, Failure, Fetcher, Reply, describe_status};
use super::{Event, LiveError};
use crate::snapshot::controller::{self, Controller};
use crate::snapshot::{Gap, GapReason, Kind, Object};
use crate::source::diagnostic;
use crate::source::secret::RedactedSecret;

/// Times a list may start over after its `continue` token expired or its
/// pages came from different versions of the list.
const MAX_RESTARTS: u32 = 3;
/// Times one page is asked for when its body does not decode.
const MAX_PAGE_ATTEMPTS: u32 = 3;
/// More pages than this for one list (five million objects at the default
/// page size) means a server that does not end its list.
const MAX_PAGES: u32 = 10_000;

/// What listing one resource type took and gave.
#[derive(Debug, Clone)]
pub struct ListStats {
    /// The kind listed.
    pub kind: Kind,
    /// HTTP requests sent, retries included.
    pub requests: u32,
    /// Pages received (200 responses).
    pub pages: u32,
    /// Objects kept.
    pub objects: usize,
    /// Restarts after an expired `continue` token.
    pub restarts: u32,
    /// When the first request went out, from the start of the scan.
    pub started: Duration,
    /// How long the list took.
    pub took: Duration,
    /// Why the list is incomplete, if it is.
    pub gap: Option<Gap>,
}

/// One page of a list response.
#[derive(Deserialize)]
#[serde(bound = "K: DeserializeOwned")]
struct Page<K> {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    metadata: ListMeta,
    #[serde(default)]
    items: Option<Vec<K>>,
}

/// A page's `metadata` alone: read before its items, to ask for the next page.
#[derive(Deserialize)]
struct PageHead {
    #[serde(default)]
    metadata: ListMeta,
}

/// What a 200 response holds when it is not a list: a `Status` failure.
#[derive(Deserialize)]
struct NotAList {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    code: Option<u16>,
}

/// Lists `kind` into `objects`, recording progress in `stats`. Secrets are
/// asked for as metadata only and decoded by [`RedactedSecret`].
pub async fn list_kind(
    fetcher: &Fetcher<'_>,
    kind: Kind,
    chunk_size: u32,
    objects: &mut Vec<Object>,
    stats: &mut ListStats,
) -> Result<(), LiveError> {
    let mut l = Lister {
        fetcher,
        chunk_size,
        objects,
        stats,
        absent_ok: false,
    };
    match kind {
        Kind::ClusterRole => l.typed(Object::ClusterRole).await,
        Kind::ClusterRoleBinding => l.typed(Object::ClusterRoleBinding).await,
        Kind::Role => l.typed(Object::Role).await,
        Kind::RoleBinding => l.typed(Object::RoleBinding).await,
        Kind::ServiceAccount => {
            // Decoded straight into the snapshot's slim ServiceAccount.
            let path = k8s_openapi::api::core::v1::ServiceAccount::url_path(&(), None);
            l.list(&path, ACCEPT_JSON, Object::ServiceAccount).await
        }
        Kind::Pod => {
            // Decoded straight into the snapshot's slim Pod.
            let path = k8s_openapi::api::core::v1::Pod::url_path(&(), None);
            l.list(&path, ACCEPT_JSON, |p: crate::snapshot::Pod| {
                Object::Pod(Box::new(p))
            })
            .await
        }
        Kind::Namespace => l.typed(Object::Namespace).await,
        Kind::Node => {
            // Decoded straight into the snapshot's slim Node.
            let path = k8s_openapi::api::core::v1::Node::url_path(&(), None);
            l.list(&path, ACCEPT_JSON, Object::Node).await
        }
        // Never listed: EKS's aws-auth is fetched by name (`--platform eks`).
        Kind::ConfigMap => l.aws_auth().await,
        Kind::CustomResourceDefinition => {
            // The names alone: the server sends each CRD's metadata, not its schema.
            let path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions".to_string();
            l.list(&path, ACCEPT_METADATA, Object::Crd).await
        }
        // Custom resources: a 404 means their CRD is not installed.
        Kind::AppProject => {
            l.absent_ok = true;
            let path = "/apis/argoproj.io/v1alpha1/appprojects".to_string();
            l.list(&path, ACCEPT_JSON, |p| Object::AppProject(Box::new(p)))
                .await
        }
        Kind::ClusterSecretStore => {
            l.absent_ok = true;
            let path = "/apis/external-secrets.io/v1/clustersecretstores".to_string();
            l.list(&path, ACCEPT_JSON, |p| Object::SecretStore(Box::new(p)))
                .await
        }
        Kind::CronJob => {
            let path = k8s_openapi::api::batch::v1::CronJob::url_path(&(), None);
            l.list(&path, ACCEPT_JSON, |c: controller::Scheduled| {
                Object::Controller(Box::new(Controller::from_scheduled(c)))
            })
            .await
        }
        Kind::Deployment
        | Kind::ReplicaSet
        | Kind::StatefulSet
        | Kind::DaemonSet
        | Kind::Job
        | Kind::ReplicationController => {
            // Decoded straight into the snapshot's slim controller.
            use k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, core::v1 as core};
            let path = match kind {
                Kind::Deployment => apps::Deployment::url_path(&(), None),
                Kind::ReplicaSet => apps::ReplicaSet::url_path(&(), None),
                Kind::StatefulSet => apps::StatefulSet::url_path(&(), None),
                Kind::DaemonSet => apps::DaemonSet::url_path(&(), None),
                Kind::Job => batch::Job::url_path(&(), None),
                _ => core::ReplicationController::url_path(&(), None),
            };
            l.list(&path, ACCEPT_JSON, move |c: controller::Templated| {
                Object::Controller(Box::new(Controller::from_templated(kind, c)))
            })
            .await
        }
        Kind::Secret => {
            let path = Secret::url_path(&(), None);
            l.list(&path, ACCEPT_METADATA, |s: RedactedSecret| {
                Object::Secret(s.into())
            })
            .await
        }
    }
}

/// One list in progress.
struct Lister<'a, 'f> {
    fetcher: &'a Fetcher<'f>,
    chunk_size: u32,
    objects: &'a mut Vec<Object>,
    stats: &'a mut ListStats,
    /// A 404 means the resource type does not exist (its CRD is not
    /// installed): nothing to read, not a failure.
    absent_ok: bool,
}

impl Lister<'_, '_> {
    /// Lists a Kubernetes type as JSON, dropping `managedFields`.
    async fn typed<K>(&mut self, wrap: impl Fn(K) -> Object) -> Result<(), LiveError>
    where
        K: Resource<DynamicType = ()> + DeserializeOwned + Send + 'static,
    {
        let path = K::url_path(&(), None);
        self.list(&path, ACCEPT_JSON, |mut item: K| {
            // Server bookkeeping, often the bulk of an object; kubectl hides it too.
            item.meta_mut().managed_fields = None;
            wrap(item)
        })
        .await
    }

    /// GETs EKS's `kube-system/aws-auth` ConfigMap by name: the one
    /// ConfigMap the analysis reads (404: there is none, nothing to read).
    async fn aws_auth(&mut self) -> Result<(), LiveError> {
        let (ns, name) = crate::snapshot::aws_auth::AWS_AUTH;
        let uri = format!("/api/v1/namespaces/{ns}/configmaps/{name}");
        let kind = self.stats.kind;
        let reply = match (self.fetcher)
            .get(
                &uri,
                ACCEPT_JSON,
                Some(kind),
                false,
                &mut self.stats.requests,
            )
            .await
        {
            Ok(r) => r,
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::GaveUp(message)) => {
                self.stats.gap = Some(Gap {
                    kind,
                    reason: GapReason::Failed,
                    message,
                });
                return Ok(());
            }
        };
        self.stats.pages += 1;
        let reason = match reply.status.as_u16() {
            200 => match serde_json::from_slice::<crate::snapshot::AwsAuth>(&reply.body) {
                Ok(a) => {
                    self.objects.push(Object::AwsAuth(a));
                    return Ok(());
                }
                Err(e) => {
                    let message = crate::source::diagnostic::without_values(
                        crate::source::diagnostic::strip_position(&e.to_string()),
                    );
                    (
                        GapReason::Failed,
                        format!("{ns}/{name} does not decode: {message}"),
                    )
                }
            },
            404 => return Ok(()),
            401 => {
                return Err(LiveError::Unauthorized {
                    server: self.fetcher.target.server.clone(),
                    whom: self.fetcher.target.whom(),
                });
            }
            403 => (
                GapReason::Forbidden,
                describe_status(reply.status, &reply.body),
            ),
            _ => (
                GapReason::Failed,
                describe_status(reply.status, &reply.body),
            ),
        };
        self.stats.gap = Some(Gap {
            kind,
            reason: reason.0,
            message: reason.1,
        });
        Ok(())
    }

    async fn list<T: DeserializeOwned + Send + 'static>(
        &mut self,
        path: &str,
        accept: &str,
        wrap: impl Fn(T) -> Object,
    ) -> Result<(), LiveError> {
        let Lister {
            fetcher,
            chunk_size,
            objects,
            stats,
            absent_ok,
        } = self;
        let absent_ok = *absent_ok;
        let (fetcher, chunk_size) = (*fetcher, *chunk_size);
        let kind = stats.kind;
        let first = objects.len();
        let mut cursor = Cursor::default();
        let gap = |reason, message: String| Gap {
            kind,
            reason,
            message,
        };
        let mut page_attempts = 0;
        // The next page, asked for while this one was decoded: its
        // `continue` token and the reply.
        let mut ahead: Option<(String, Result<Reply, Failure>)> = None;
        // Starts the list over: what was read of it is dropped.
        let restart =
            |stats: &mut ListStats, objects: &mut Vec<Object>, cursor: &mut Cursor, why: &str| {
                stats.restarts += 1;
                fetcher.observer().event(Event::Restart {
                    kind,
                    after_pages: stats.pages,
                    message: why,
                });
                objects.truncate(first);
                *cursor = Cursor::default();
            };
        loop {
            if stats.pages >= MAX_PAGES {
                stats.gap = Some(gap(
                    GapReason::Failed,
                    format!("the server did not end the list after {MAX_PAGES} pages"),
                ));
                return Ok(());
            }
            let fetched = match ahead.take() {
                Some((token, reply)) if cursor.token.as_ref() == Some(&token) => reply,
                _ => {
                    let uri = match page_uri(path, chunk_size, cursor.token.as_deref()) {
                        Ok(uri) => uri,
                        Err(message) => {
                            stats.gap = Some(gap(GapReason::Failed, message));
                            return Ok(());
                        }
                    };
                    (fetcher.get(&uri, accept, Some(kind), false, &mut stats.requests)).await
                }
            };
            let reply = match fetched {
                Ok(a) => a,
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::GaveUp(message)) => {
                    stats.gap = Some(gap(GapReason::Failed, message));
                    return Ok(());
                }
            };
            match reply.status.as_u16() {
                200 => {}
                404 if absent_ok && cursor.token.is_none() => return Ok(()),
                410 if cursor.token.is_some() && stats.restarts < MAX_RESTARTS => {
                    let message = describe_status(reply.status, &reply.body);
                    restart(stats, objects, &mut cursor, &message);
                    continue;
                }
                401 => {
                    return Err(LiveError::Unauthorized {
                        server: fetcher.target.server.clone(),
                        whom: fetcher.target.whom(),
                    });
                }
                403 => {
                    stats.gap = Some(gap(
                        GapReason::Forbidden,
                        describe_status(reply.status, &reply.body),
                    ));
                    return Ok(());
                }
                _ => {
                    stats.gap = Some(gap(
                        GapReason::Failed,
                        describe_status(reply.status, &reply.body),
                    ));
                    return Ok(());
                }
            }
            // The next page is asked for while this one is decoded, when
            // the page's head says the list goes on from a token not seen
            // yet and in the version it began in.
            let next = (stats.pages + 1 < MAX_PAGES)
                .then(|| serde_json::from_slice::<PageHead>(&reply.body).ok())
                .flatten()
                .filter(|head| {
                    let version = head.metadata.resource_version.as_deref();
                    (cursor.version.as_deref())
                        .is_none_or(|v| version.is_none_or(|p| p.is_empty() || p == v))
                })
                .and_then(|head| head.metadata.continue_)
                .filter(|t| !t.is_empty() && !cursor.seen.contains(t))
                .and_then(|t| Some((page_uri(path, chunk_size, Some(&t)).ok()?, t)));
            let body = reply.body;
            let decoding = tokio::task::spawn_blocking(move || decode_page::<T>(&body));
            let decoded = match next {
                Some((uri, token)) => {
                    let (decoded, reply) = tokio::join!(
                        decoding,
                        fetcher.get(&uri, accept, Some(kind), false, &mut stats.requests)
                    );
                    ahead = Some((token, reply));
                    decoded
                }
                None => decoding.await,
            };
            let decoded = decoded.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
            let page: Page<T> = match decoded {
                Ok(p) => p,
                // A 200 whose body is a Status failure: the list failed.
                Err(PageError::Status(message)) => {
                    stats.gap = Some(gap(GapReason::Failed, message));
                    return Ok(());
                }
                // Cut short or garbled on the way: ask again, a few times.
                Err(PageError::Undecodable(message)) => {
                    page_attempts += 1;
                    if page_attempts < MAX_PAGE_ATTEMPTS {
                        fetcher.observer().event(Event::Retry {
                            kind: Some(kind),
                            problem: &message,
                            wait: Duration::ZERO,
                        });
                        continue;
                    }
                    stats.gap = Some(gap(
                        GapReason::Failed,
                        format!(
                            "page {} of the {} list: {message} ({page_attempts} attempts)",
                            stats.pages + 1,
                            kind.resource()
                        ),
                    ));
                    return Ok(());
                }
            };
            page_attempts = 0;
            // Pages of one list come from one version of it; a page from
            // another means the list changed under us: read it again.
            let page_version = page
                .metadata
                .resource_version
                .clone()
                .filter(|v| !v.is_empty());
            match (&cursor.version, &page_version) {
                (None, _) => cursor.version = page_version,
                (Some(v), Some(p)) if v != p => {
                    if stats.restarts >= MAX_RESTARTS {
                        stats.gap = Some(gap(
                            GapReason::Failed,
                            format!(
                                "the list kept changing while it was read (resourceVersion {v}, then {p}), {} times",
                                stats.restarts + 1
                            ),
                        ));
                        return Ok(());
                    }
                    let message = format!(
                        "page {} is of resourceVersion {p}, the list began at {v}",
                        stats.pages + 1
                    );
                    restart(stats, objects, &mut cursor, &message);
                    continue;
                }
                _ => {}
            }
            stats.pages += 1;
            for item in page.items.unwrap_or_default() {
                objects.push(wrap(item));
            }
            stats.objects = objects.len() - first;
            fetcher.observer().event(Event::Page {
                kind,
                page: stats.pages,
                objects: stats.objects,
                remaining: page.metadata.remaining_item_count,
            });
            match page.metadata.continue_.filter(|t| !t.is_empty()) {
                Some(next) if !cursor.seen.insert(next.clone()) => {
                    stats.gap = Some(gap(
                        GapReason::Failed,
                        format!(
                            "the server repeated a continue token after {} pages: the list would never end",
                            stats.pages
                        ),
                    ));
                    return Ok(());
                }
                Some(next) => cursor.token = Some(next),
                None => return Ok(()),
            }
        }
    }
}

/// The path and query of the page of the list at `path` that starts at
/// `token` (the first page without one).
fn page_uri(path: &str, chunk_size: u32, token: Option<&str>) -> Result<String, String> {
    let mut params = ListParams::default().limit(chunk_size);
    if let Some(t) = token {
        params = params.continue_token(t);
    }
    (kube::core::Request::new(path).list(&params))
        .map(|r| r.uri().to_string())
        .map_err(|e| e.to_string())
}

/// Where a list is: the `continue` token to send next, the list's
/// `resourceVersion` (from its first page), and every token seen so far.
#[derive(Default)]
struct Cursor {
    token: Option<String>,
    version: Option<String>,
    seen: std::collections::HashSet<String>,
}

/// Why a 200 response is not a page of the list.
enum PageError {
    /// It is a `Status` failure, or an object that is not a list.
    Status(String),
    /// It does not decode (cut short, garbled, a field of the wrong type).
    Undecodable(String),
}

/// A page of a list, from a 200 response's body. Messages name the field
/// at fault, never a value (an object may hold secrets).
fn decode_page<T: DeserializeOwned>(body: &[u8]) -> Result<Page<T>, PageError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    // Tracking the path of every field costs an allocation per key: only a
    // page that fails is decoded again, with the path tracked, for the message.
    let decoded = Page::<T>::deserialize(&mut de).or_else(|_| {
        de = serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(&mut de)
    });
    let page: Page<T> = match decoded {
        Ok(p) => p,
        Err(e) => {
            // A Status failure may also fail to decode as a page.
            if let Some(status) = status_failure(body) {
                return Err(PageError::Status(status));
            }
            let inner = e.inner();
            let message =
                diagnostic::without_values(diagnostic::strip_position(&inner.to_string()));
            return Err(PageError::Undecodable(if inner.is_eof() {
                "the page is cut short (truncated on the way)".to_string()
            } else if inner.is_syntax() {
                format!("not valid JSON: {message}")
            } else {
                format!("{}: {message}", e.path())
            }));
        }
    };
    if de.end().is_err() {
        return Err(PageError::Undecodable(
            "trailing data after the list".into(),
        ));
    }
    match page.kind.as_deref() {
        Some(k) if k.ends_with("List") => Ok(page),
        _ => Err(PageError::Status(status_failure(body).unwrap_or_else(
            || {
                format!(
                    "the server answered 200 with a {} instead of a list",
                    page.kind.as_deref().unwrap_or("document without a kind")
                )
            },
        ))),
    }
}

/// The message of a `Status` failure, if `body` is one.
fn status_failure(body: &[u8]) -> Option<String> {
    let s: NotAList = serde_json::from_slice(body).ok()?;
    (s.kind.as_deref() == Some("Status")).then(|| {
        let mut text = "the server answered 200 with a Status failure".to_string();
        let what: Vec<String> = s
            .code
            .map(|c| c.to_string())
            .into_iter()
            .chain(s.reason.filter(|r| !r.is_empty()))
            .collect();
        if !what.is_empty() {
            text.push_str(&format!(" ({})", what.join(" ")));
        }
        if let Some(m) = s.message.filter(|m| !m.is_empty()) {
            text.push_str(": ");
            text.push_str(&diagnostic::one_line(&m));
        }
        text
    })
}

impl ListStats {
    /// Empty statistics for `kind`.
    pub fn new(kind: Kind) -> Self {
        ListStats {
            kind,
            requests: 0,
            pages: 0,
            objects: 0,
            restarts: 0,
            started: Duration::ZERO,
            took: Duration::ZERO,
            gap: None,
        }
    }

    /// Sets the start offset and duration from `scan_start` and `list_start`.
    pub fn timed(&mut self, scan_start: Instant, list_start: Instant) {
        self.started = list_start - scan_start;
        self.took = list_start.elapsed();
    }
}
