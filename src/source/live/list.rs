//! One resource type listed across all namespaces, page by page (`limit` and
//! `continue`), each page decoded into typed objects as it arrives and its
//! text dropped. A `continue` token that expired (410) restarts the list; a
//! refused (403) or failed list becomes a coverage gap, not an error.

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
use kube::api::ListParams;
use kube::core::Resource;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::request::{ACCEPT_JSON, ACCEPT_METADATA, Failure, Fetcher, describe_status};
use super::{Event, LiveError};
use crate::snapshot::{Gap, GapReason, Kind, Object};
use crate::source::secret::RedactedSecret;

/// Times a list may start over after its `continue` token expired.
const MAX_RESTARTS: u32 = 3;

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
    metadata: ListMeta,
    #[serde(default)]
    items: Option<Vec<K>>,
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
    };
    match kind {
        Kind::ClusterRole => l.typed(Object::ClusterRole).await,
        Kind::ClusterRoleBinding => l.typed(Object::ClusterRoleBinding).await,
        Kind::Role => l.typed(Object::Role).await,
        Kind::RoleBinding => l.typed(Object::RoleBinding).await,
        Kind::ServiceAccount => l.typed(Object::ServiceAccount).await,
        Kind::Pod => l.typed(|p| Object::Pod(Box::new(p))).await,
        Kind::Namespace => l.typed(Object::Namespace).await,
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
}

impl Lister<'_, '_> {
    /// Lists a Kubernetes type as JSON, dropping `managedFields`.
    async fn typed<K>(&mut self, wrap: impl Fn(K) -> Object) -> Result<(), LiveError>
    where
        K: Resource<DynamicType = ()> + DeserializeOwned,
    {
        let path = K::url_path(&(), None);
        self.list(&path, ACCEPT_JSON, |mut item: K| {
            // Server bookkeeping, often the bulk of an object; kubectl hides it too.
            item.meta_mut().managed_fields = None;
            wrap(item)
        })
        .await
    }

    async fn list<T: DeserializeOwned>(
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
        } = self;
        let (fetcher, chunk_size) = (*fetcher, *chunk_size);
        let kind = stats.kind;
        let first = objects.len();
        let mut token: Option<String> = None;
        let gap = |reason, message: String| Gap {
            kind,
            reason,
            message,
        };
        loop {
            let mut params = ListParams::default().limit(chunk_size);
            if let Some(t) = &token {
                params = params.continue_token(t);
            }
            let uri = match kube::core::Request::new(path).list(&params) {
                Ok(r) => r.uri().to_string(),
                Err(e) => {
                    stats.gap = Some(gap(GapReason::Failed, e.to_string()));
                    return Ok(());
                }
            };
            let answer = match fetcher
                .get(&uri, accept, Some(kind), false, &mut stats.requests)
                .await
            {
                Ok(a) => a,
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::GaveUp(message)) => {
                    stats.gap = Some(gap(GapReason::Failed, message));
                    return Ok(());
                }
            };
            match answer.status.as_u16() {
                200 => {}
                410 if token.is_some() && stats.restarts < MAX_RESTARTS => {
                    stats.restarts += 1;
                    fetcher.observer().event(Event::Restart {
                        kind,
                        after_pages: stats.pages,
                        message: &describe_status(answer.status, &answer.body),
                    });
                    objects.truncate(first);
                    token = None;
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
                        describe_status(answer.status, &answer.body),
                    ));
                    return Ok(());
                }
                _ => {
                    stats.gap = Some(gap(
                        GapReason::Failed,
                        describe_status(answer.status, &answer.body),
                    ));
                    return Ok(());
                }
            }
            let page: Page<T> = match serde_json::from_slice(&answer.body) {
                Ok(p) => p,
                Err(e) => {
                    stats.gap = Some(gap(
                        GapReason::Failed,
                        format!(
                            "page {} is not a valid {} list: {e}",
                            stats.pages + 1,
                            kind.as_str()
                        ),
                    ));
                    return Ok(());
                }
            };
            drop(answer);
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
                Some(next) => token = Some(next),
                None => return Ok(()),
            }
        }
    }
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
