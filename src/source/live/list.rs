//! One resource type listed across all namespaces, page by page (`limit` and
//! `continue`), each page decoded into typed objects as it arrives and its
//! text dropped. A `continue` token that expired (410) restarts the list; a
//! refused (403) or failed list becomes a coverage gap, not an error.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Pod, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
use kube::api::ListParams;
use kube::core::Resource;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::request::{ACCEPT_JSON, Failure, Fetcher, describe_status};
use super::{Event, LiveError};
use crate::snapshot::{Gap, GapReason, Kind, Object};

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

/// Lists `kind` into `objects`, recording progress in `stats`.
pub async fn list_kind(
    fetcher: &Fetcher<'_>,
    kind: Kind,
    chunk_size: u32,
    objects: &mut Vec<Object>,
    stats: &mut ListStats,
) -> Result<(), LiveError> {
    match kind {
        Kind::ClusterRole => {
            list::<ClusterRole>(fetcher, chunk_size, objects, stats, Object::ClusterRole).await
        }
        Kind::ClusterRoleBinding => {
            list::<ClusterRoleBinding>(
                fetcher,
                chunk_size,
                objects,
                stats,
                Object::ClusterRoleBinding,
            )
            .await
        }
        Kind::Role => list::<Role>(fetcher, chunk_size, objects, stats, Object::Role).await,
        Kind::RoleBinding => {
            list::<RoleBinding>(fetcher, chunk_size, objects, stats, Object::RoleBinding).await
        }
        Kind::ServiceAccount => {
            list::<ServiceAccount>(fetcher, chunk_size, objects, stats, Object::ServiceAccount)
                .await
        }
        Kind::Pod => {
            list::<Pod>(fetcher, chunk_size, objects, stats, |p| {
                Object::Pod(Box::new(p))
            })
            .await
        }
        Kind::Namespace => {
            list::<Namespace>(fetcher, chunk_size, objects, stats, Object::Namespace).await
        }
    }
}

async fn list<K>(
    fetcher: &Fetcher<'_>,
    chunk_size: u32,
    objects: &mut Vec<Object>,
    stats: &mut ListStats,
    wrap: impl Fn(K) -> Object,
) -> Result<(), LiveError>
where
    K: Resource<DynamicType = ()> + DeserializeOwned,
{
    let kind = stats.kind;
    let path = K::url_path(&(), None);
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
        let uri = match kube::core::Request::new(&path).list(&params) {
            Ok(r) => r.uri().to_string(),
            Err(e) => {
                stats.gap = Some(gap(GapReason::Failed, e.to_string()));
                return Ok(());
            }
        };
        let answer = match fetcher
            .get(&uri, ACCEPT_JSON, Some(kind), false, &mut stats.requests)
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
        let page: Page<K> = match serde_json::from_slice(&answer.body) {
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
        for mut item in page.items.unwrap_or_default() {
            // Server bookkeeping, often the bulk of an object; kubectl hides it too.
            item.meta_mut().managed_fields = None;
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
