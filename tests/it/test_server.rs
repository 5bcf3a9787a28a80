//! A test API server, for tests only: serves a cluster's objects over HTTPS
//! the way kube-apiserver does, so the live path runs through the real
//! `kube` client. It speaks the list protocol (`limit`, `continue` tokens
//! shaped like the real ones, `metadata.resourceVersion`,
//! `remainingItemCount`, kind-less items), answers errors with `Status`
//! bodies taken from the real server's fixtures, checks a bearer token,
//! injects faults on demand (403, 410, 429, 5xx, truncated pages, connections
//! reset mid-page, lists that change between pages, `continue` tokens that
//! never end, 200 responses whose body is a `Status` failure) and records
//! every request.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use rbacscan::snapshot::{Kind, Snapshot};

use super::support::real_fixture;

/// The bearer token the server accepts.
pub const TOKEN: &str = "rbacscan-test-token";
/// The `resourceVersion` of every list, until a [`Fault::Mutate`] changes it.
const RESOURCE_VERSION: u64 = 4242;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, ...
    pub method: String,
    /// The path, e.g. `/api/v1/pods`.
    pub path: String,
    /// The query parameters.
    pub query: BTreeMap<String, String>,
    /// The `Accept` header.
    pub accept: String,
    /// The `Accept-Encoding` header (the server answers uncompressed).
    pub accept_encoding: String,
    /// Whether the bearer token was right.
    pub authorized: bool,
}

impl Recorded {
    /// The resource of a list path (`pods`), if it is one.
    pub fn resource(&self) -> Option<&str> {
        resource_of(&self.path).map(|(_, r)| r)
    }
}

/// A fault to inject.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Every list of this resource is forbidden (403, the real Status body).
    Forbidden(&'static str),
    /// The `nth` request (from 1) of this resource that carries a `continue`
    /// token gets 410 Expired (the real Status body), once.
    ExpireContinue {
        /// The resource.
        resource: &'static str,
        /// Which continued request.
        nth: usize,
    },
    /// The next `count` requests of this resource get `status` (429 with
    /// `Retry-After: retry_after` if given, or a 5xx).
    Status {
        /// The resource.
        resource: &'static str,
        /// The HTTP status.
        status: u16,
        /// How many requests.
        count: usize,
        /// `Retry-After` seconds.
        retry_after: Option<u64>,
    },
    /// The `nth` request (from 1) of this resource gets a 200 whose JSON body
    /// is cut in half, once.
    Truncated {
        /// The resource.
        resource: &'static str,
        /// Which request.
        nth: usize,
    },
    /// The `nth` request (from 1) of this resource gets a 200 whose body
    /// stops halfway: the connection is reset mid-page, once.
    ResetMidPage {
        /// The resource.
        resource: &'static str,
        /// Which request.
        nth: usize,
    },
    /// The `nth` request (from 1) of this resource gets its page with the
    /// first item's `metadata.name` a number, once: the page is whole JSON
    /// and its `metadata` (the `continue` token) reads, its items do not.
    GarbledItem {
        /// The resource.
        resource: &'static str,
        /// Which request.
        nth: usize,
    },
    /// Every request of this resource gets a 200 whose body is a `Status`
    /// failure, as a broken proxy might send.
    StatusInOk(&'static str),
    /// Every page of this resource carries a `continue` token, the same one:
    /// the list never ends.
    EndlessContinue(&'static str),
    /// After `after_pages` pages of this resource, the list changes, `times`
    /// times: its `resourceVersion` moves on (the first change also deletes
    /// its first item), so the next page is of another version of the list.
    Mutate {
        /// The resource.
        resource: &'static str,
        /// Pages served before each change.
        after_pages: usize,
        /// How many changes.
        times: usize,
    },
}

/// The served cluster, faults and records.
struct State {
    /// Items per list path, sorted by their etcd key (`namespace/name`).
    lists: BTreeMap<String, Vec<(String, Value)>>,
    /// Objects served by name (ConfigMaps: EKS's aws-auth), by path.
    singles: BTreeMap<String, Value>,
    faults: Mutex<Vec<Fault>>,
    continued: Mutex<BTreeMap<String, usize>>,
    /// Requests per resource, and changes made by [`Fault::Mutate`].
    counts: Mutex<BTreeMap<String, usize>>,
    mutations: Mutex<BTreeMap<String, usize>>,
    requests: Mutex<Vec<Recorded>>,
    /// First pages wait until this many resources have asked for theirs.
    barrier: Option<usize>,
    first_pages: tokio::sync::watch::Sender<BTreeSet<String>>,
    barrier_met: Mutex<Option<bool>>,
    token: String,
}

/// A running test server; stops when dropped.
pub struct TestServer {
    /// `https://127.0.0.1:<port>`.
    pub url: String,
    /// The CA that signed the server's certificate, PEM.
    pub ca_pem: String,
    state: Arc<State>,
    _runtime: tokio::runtime::Runtime,
}

/// Configures a [`TestServer`].
pub struct Builder {
    snapshot: Snapshot,
    /// Objects served as given instead of the snapshot's (see
    /// [`TestServer::serving_objects`]).
    objects: Option<Vec<Value>>,
    faults: Vec<Fault>,
    barrier: Option<usize>,
    secrets: Vec<Value>,
    token: String,
}

impl TestServer {
    /// A server for the objects of `snapshot`.
    pub fn serving(snapshot: Snapshot) -> Builder {
        Builder {
            snapshot,
            objects: None,
            faults: Vec::new(),
            barrier: None,
            secrets: Vec::new(),
            token: TOKEN.into(),
        }
    }

    /// A server for `objects` (a dump's items) exactly as given, every
    /// field kept, as a real server stores them; objects of kinds rbacscan
    /// does not read are left out.
    pub fn serving_objects(objects: Vec<Value>) -> Builder {
        Builder {
            objects: Some(objects),
            ..TestServer::serving(Snapshot::default())
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Whether the barrier (see [`Builder::barrier`]) was met: `None` if
    /// no first page was asked for.
    pub fn barrier_met(&self) -> Option<bool> {
        *self.state.barrier_met.lock().unwrap()
    }

    /// A kubeconfig for this server with one context per entry of
    /// `contexts` (name, token); the first is current.
    pub fn kubeconfig(&self, ca_pem: &str, contexts: &[(&str, &str)]) -> String {
        let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
        let mut text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {}\nclusters:\n- name: test\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\n",
            contexts[0].0, self.url
        );
        text.push_str("users:\n");
        for (name, token) in contexts {
            text.push_str(&format!("- name: {name}\n  user:\n    token: {token}\n"));
        }
        text.push_str("contexts:\n");
        for (name, _) in contexts {
            text.push_str(&format!(
                "- name: {name}\n  context:\n    cluster: test\n    user: {name}\n"
            ));
        }
        text
    }
}

impl Builder {
    /// Adds a fault.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Serves these whole Secrets (data and all annotations, as etcd holds
    /// them) besides the snapshot's. Like the real server, a list asked for
    /// with `as=PartialObjectMetadataList` gets their metadata only.
    pub fn secrets(mut self, secrets: Vec<Value>) -> Self {
        self.secrets = secrets;
        self
    }

    /// Holds every first page until `resources` lists have asked for theirs
    /// (or 10 s passed): proves the lists are in flight together.
    pub fn barrier(mut self, resources: usize) -> Self {
        self.barrier = Some(resources);
        self
    }

    /// Accepts this bearer token instead of [`TOKEN`].
    pub fn token(mut self, token: &str) -> Self {
        self.token = token.into();
        self
    }

    /// Starts serving on 127.0.0.1 on a port of its own.
    pub fn start(self) -> TestServer {
        let mut lists: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
        for kind in Kind::ALL {
            lists.insert(list_path(kind), Vec::new());
        }
        let given: Vec<(Kind, Value)> = match self.objects {
            Some(objects) => objects
                .into_iter()
                .filter_map(|v| {
                    let kind = Kind::from_type(v["apiVersion"].as_str()?, v["kind"].as_str()?)?;
                    Some((kind, v))
                })
                .collect(),
            None => self
                .snapshot
                .objects()
                .map(|o| (o.kind(), serde_json::to_value(o).unwrap()))
                .collect(),
        };
        let mut singles = BTreeMap::new();
        for (kind, mut value) in given {
            let meta = &value["metadata"];
            if kind == Kind::ConfigMap {
                // Never listed: served by name, as a GET of one object.
                let path = format!(
                    "/api/v1/namespaces/{}/configmaps/{}",
                    meta["namespace"].as_str().unwrap_or(""),
                    meta["name"].as_str().unwrap_or("")
                );
                singles.insert(path, value);
                continue;
            }
            let key = match meta["namespace"].as_str() {
                Some(ns) => format!("{ns}/{}", meta["name"].as_str().unwrap_or("")),
                None => meta["name"].as_str().unwrap_or("").to_string(),
            };
            // Items of a real list response carry no kind or apiVersion.
            if let Value::Object(m) = &mut value {
                m.remove("kind");
                m.remove("apiVersion");
            }
            lists.get_mut(&list_path(kind)).unwrap().push((key, value));
        }
        for mut value in self.secrets {
            let meta = &value["metadata"];
            let key = format!(
                "{}/{}",
                meta["namespace"].as_str().unwrap_or(""),
                meta["name"].as_str().unwrap_or("")
            );
            if let Value::Object(m) = &mut value {
                m.remove("kind");
                m.remove("apiVersion");
            }
            lists
                .get_mut(&list_path(Kind::Secret))
                .unwrap()
                .push((key, value));
        }
        for items in lists.values_mut() {
            items.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let state = Arc::new(State {
            lists,
            singles,
            faults: Mutex::new(self.faults),
            continued: Mutex::new(BTreeMap::new()),
            counts: Mutex::new(BTreeMap::new()),
            mutations: Mutex::new(BTreeMap::new()),
            requests: Mutex::new(Vec::new()),
            barrier: self.barrier,
            first_pages: tokio::sync::watch::channel(BTreeSet::new()).0,
            barrier_met: Mutex::new(None),
            token: self.token,
        });
        let tls = Tls::new();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(tls.server_config()));
        let served = state.clone();
        runtime.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let state = served.clone();
                tokio::spawn(async move {
                    let Ok(stream) = acceptor.accept(tcp).await else {
                        return; // a client that rejected our certificate
                    };
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(handle(&state, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        TestServer {
            url: format!("https://{addr}"),
            ca_pem: tls.ca_pem,
            state,
            _runtime: runtime,
        }
    }
}

/// A server that accepts connections and never answers.
pub struct SilentServer {
    /// `https://127.0.0.1:<port>`.
    pub url: String,
    _runtime: tokio::runtime::Runtime,
}

impl SilentServer {
    /// Starts it.
    pub fn start() -> SilentServer {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        runtime.spawn(async move {
            let mut held = Vec::new();
            while let Ok((tcp, _)) = listener.accept().await {
                held.push(tcp); // never read, never answered
            }
        });
        // A current-thread runtime only runs while blocked on: keep one thread on it.
        let handle = runtime.handle().clone();
        std::thread::spawn(move || handle.block_on(std::future::pending::<()>()));
        SilentServer {
            url,
            _runtime: runtime,
        }
    }
}

/// The list path of a kind, all namespaces.
pub fn list_path(kind: Kind) -> String {
    match kind.api_version() {
        "v1" => format!("/api/v1/{}", kind.resource()),
        group_version => format!("/apis/{group_version}/{}", kind.resource()),
    }
}

/// (apiVersion, resource) of a list path.
fn resource_of(path: &str) -> Option<(String, &str)> {
    if let Some(r) = path.strip_prefix("/api/v1/") {
        return (!r.contains('/')).then(|| ("v1".to_string(), r));
    }
    let rest = path.strip_prefix("/apis/")?;
    let mut parts = rest.splitn(3, '/');
    let (group, version, resource) = (parts.next()?, parts.next()?, parts.next()?);
    (!resource.contains('/')).then(|| (format!("{group}/{version}"), resource))
}

type Reply = Response<BoxBody<Bytes, std::io::Error>>;

async fn handle(state: &State, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_string();
    let query: BTreeMap<String, String> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let authorized = header("authorization") == format!("Bearer {}", state.token);
    state.requests.lock().unwrap().push(Recorded {
        method: req.method().to_string(),
        path: path.clone(),
        query: query.clone(),
        accept: header("accept"),
        accept_encoding: header("accept-encoding"),
        authorized,
    });
    if !authorized {
        return status(401, "Unauthorized", "Unauthorized", None);
    }
    if req.method() != hyper::Method::GET {
        return status(
            405,
            "MethodNotAllowed",
            "the test server only serves GET",
            None,
        );
    }
    if path == "/version" {
        return reply(
            200,
            json!({"major": "1", "minor": "28", "gitVersion": "v1.28.7", "gitCommit": "c8dcb00be9961ec36d141d2e4103f85f92bcf291", "gitTreeState": "clean", "buildDate": "2024-02-14T10:32:40Z", "goVersion": "go1.21.7", "compiler": "gc", "platform": "linux/amd64"}),
            None,
        );
    }
    if let Some(object) = state.singles.get(&path) {
        return reply(200, object.clone(), None);
    }
    let Some(items) = state.lists.get(&path) else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
            None,
        );
    };
    let (api_version, resource) = resource_of(&path).unwrap();
    let continue_token = query.get("continue").filter(|t| !t.is_empty()).cloned();
    if let Some(reply) = inject(state, resource, &api_version, continue_token.is_some()) {
        return reply;
    }
    // The first change deletes an item; later ones only move the version on.
    let changes = mutate(state, resource, continue_token.is_some());
    let items = &items[changes.min(1).min(items.len())..];
    let version = RESOURCE_VERSION + changes as u64;
    if continue_token.is_none() {
        wait_at_barrier(state, resource).await;
    }
    let start = match &continue_token {
        None => 0,
        Some(token) => match decode_continue(token) {
            Some(after) => items.partition_point(|(key, _)| key.as_str() <= after.as_str()),
            None => {
                return status(
                    400,
                    "BadRequest",
                    "continue key is not valid: illegal base64 data",
                    None,
                );
            }
        },
    };
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(items.len());
    let metadata_only = header("accept").contains("as=PartialObjectMetadataList");
    let mut page: Vec<Value> = items[start..end]
        .iter()
        .map(|(_, v)| {
            if metadata_only {
                json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": v["metadata"]})
            } else {
                v.clone()
            }
        })
        .collect();
    if garbled(state, resource)
        && let Some(first) = page.first_mut()
    {
        first["metadata"]["name"] = json!(5);
    }
    let mut metadata = json!({"resourceVersion": version.to_string()});
    if end < items.len() {
        metadata["continue"] = json!(encode_continue(&items[end - 1].0, version));
        metadata["remainingItemCount"] = json!(items.len() - end);
    }
    let endless = state
        .faults
        .lock()
        .unwrap()
        .iter()
        .any(|f| matches!(f, Fault::EndlessContinue(r) if *r == resource));
    if endless && !items.is_empty() {
        metadata["continue"] = json!(encode_continue(&items[0].0, version));
    }
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.resource() == resource)
        .unwrap();
    let (list_kind, api_version) = if metadata_only {
        (
            "PartialObjectMetadataList".to_string(),
            "meta.k8s.io/v1".to_string(),
        )
    } else {
        (format!("{}List", kind.as_str()), api_version)
    };
    reply(
        200,
        json!({"kind": list_kind, "apiVersion": api_version, "metadata": metadata, "items": page}),
        None,
    )
}

/// The reply a fault dictates for this request, if any.
fn inject(state: &State, resource: &str, api_version: &str, continued: bool) -> Option<Reply> {
    let nth = if continued {
        let mut c = state.continued.lock().unwrap();
        let n = c.entry(resource.to_string()).or_default();
        *n += 1;
        *n
    } else {
        0
    };
    let count = {
        let mut c = state.counts.lock().unwrap();
        let n = c.entry(resource.to_string()).or_default();
        *n += 1;
        *n
    };
    let mut faults = state.faults.lock().unwrap();
    for (i, fault) in faults.iter_mut().enumerate() {
        match fault {
            Fault::StatusInOk(r) if *r == resource => {
                return Some(status_in_ok(resource));
            }
            Fault::Truncated { resource: r, nth } if *r == resource && *nth == count => {
                faults.remove(i);
                return Some(cut_short(resource, false));
            }
            Fault::ResetMidPage { resource: r, nth } if *r == resource && *nth == count => {
                faults.remove(i);
                return Some(cut_short(resource, true));
            }
            Fault::Forbidden(r) if *r == resource => return Some(forbidden(resource, api_version)),
            Fault::ExpireContinue {
                resource: r,
                nth: at,
            } if *r == resource && continued && *at == nth => {
                faults.remove(i);
                return Some(fixture_status("status-410-expired-continue.json", None));
            }
            Fault::Status {
                resource: r,
                status: code,
                count,
                retry_after,
            } if *r == resource && *count > 0 => {
                *count -= 1;
                let (code, retry_after) = (*code, *retry_after);
                return Some(match code {
                    429 => status(
                        429,
                        "TooManyRequests",
                        "Too many requests, please try again later.",
                        retry_after,
                    ),
                    503 => status(
                        503,
                        "ServiceUnavailable",
                        "the server is currently unable to handle the request",
                        retry_after,
                    ),
                    _ => status(
                        code,
                        "InternalError",
                        "Internal error occurred: etcdserver: request timed out",
                        retry_after,
                    ),
                });
            }
            _ => {}
        }
    }
    None
}

/// Whether a [`Fault::GarbledItem`] is due for this request (counted by
/// [`inject`]); it is used up.
fn garbled(state: &State, resource: &str) -> bool {
    let count = state.counts.lock().unwrap().get(resource).copied();
    let mut faults = state.faults.lock().unwrap();
    let due = faults.iter().position(|f| {
        matches!(f, Fault::GarbledItem { resource: r, nth } if *r == resource && Some(*nth) == count)
    });
    due.map(|i| faults.remove(i)).is_some()
}

/// Applies a [`Fault::Mutate`] due before this request, and returns how many
/// changes the list has seen by now.
fn mutate(state: &State, resource: &str, continued: bool) -> usize {
    let mut faults = state.faults.lock().unwrap();
    let mut mutations = state.mutations.lock().unwrap();
    let done = mutations.entry(resource.to_string()).or_default();
    for fault in faults.iter_mut() {
        if let Fault::Mutate {
            resource: r,
            after_pages,
            times,
        } = fault
            && *r == resource
            && *times > 0
            && continued
        {
            let served = state
                .counts
                .lock()
                .unwrap()
                .get(resource)
                .copied()
                .unwrap_or(0);
            // `served` counts this request: change before page after_pages + 1.
            if served > *after_pages {
                *times -= 1;
                *done += 1;
                state.counts.lock().unwrap().insert(resource.to_string(), 0);
            }
        }
    }
    *done
}

/// A 200 whose body is a `Status` failure (a proxy's or a broken server's).
fn status_in_ok(resource: &str) -> Reply {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": format!("{resource} is forbidden: the proxy said no"), "reason": "Forbidden", "code": 403});
    reply(200, body, None)
}

/// A 200 whose body is the first half of a list page: complete as a
/// response (`truncated`), or cut by a connection reset (`reset`).
fn cut_short(resource: &str, reset: bool) -> Reply {
    let body = serde_json::to_vec(&json!({"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": RESOURCE_VERSION.to_string()}, "items": [{"metadata": {"name": format!("{resource}-half-sent"), "namespace": "x"}}]})).unwrap();
    let half = Bytes::from(body[..body.len() / 2].to_vec());
    let builder = Response::builder()
        .status(200)
        .header("content-type", "application/json");
    if !reset {
        return builder
            .body(Full::new(half).map_err(|e| match e {}).boxed())
            .unwrap();
    }
    let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
        Ok(Frame::data(half)),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset mid-page",
        )),
    ];
    builder
        .header("content-length", body.len().to_string())
        .body(BoxBody::new(StreamBody::new(futures::stream::iter(frames))))
        .unwrap()
}

/// The real 403 body, re-addressed to `resource`.
fn forbidden(resource: &str, api_version: &str) -> Reply {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let qualified = if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    };
    let mut body: Value = serde_json::from_str(
        &std::fs::read_to_string(real_fixture("status-403-forbidden.json")).unwrap(),
    )
    .unwrap();
    body["message"] = json!(format!(
        "{qualified} is forbidden: User \"bob\" cannot list resource \"{resource}\" in API group \"{group}\" at the cluster scope"
    ));
    body["details"] = if group.is_empty() {
        json!({"kind": resource})
    } else {
        json!({"group": group, "kind": resource})
    };
    reply(403, body, None)
}

fn fixture_status(name: &str, retry_after: Option<u64>) -> Reply {
    let body: Value =
        serde_json::from_str(&std::fs::read_to_string(real_fixture(name)).unwrap()).unwrap();
    let code = body["code"].as_u64().unwrap() as u16;
    reply(code, body, retry_after)
}

fn status(code: u16, reason: &str, message: &str, retry_after: Option<u64>) -> Reply {
    let mut body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code});
    if let Some(s) = retry_after {
        body["details"] = json!({"retryAfterSeconds": s});
    }
    reply(code, body, retry_after)
}

fn reply(code: u16, body: Value, retry_after: Option<u64>) -> Reply {
    let mut r = Response::builder()
        .status(code)
        .header("content-type", "application/json");
    if let Some(s) = retry_after {
        r = r.header("retry-after", s.to_string());
    }
    r.body(
        Full::new(Bytes::from(serde_json::to_vec(&body).unwrap()))
            .map_err(|e| match e {})
            .boxed(),
    )
    .unwrap()
}

async fn wait_at_barrier(state: &State, resource: &str) {
    let Some(needed) = state.barrier else {
        return;
    };
    state.first_pages.send_modify(|s| {
        s.insert(resource.to_string());
    });
    let mut rx = state.first_pages.subscribe();
    let met = tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|s| s.len() >= needed))
        .await
        .is_ok();
    let mut m = state.barrier_met.lock().unwrap();
    *m = Some(m.unwrap_or(true) && met);
}

/// A continue token shaped like the API server's: base64url of
/// `{"v":"meta.k8s.io/v1","rv":<rv>,"start":"<last key>\u0000"}`.
fn encode_continue(last_key: &str, version: u64) -> String {
    let token = json!({"v": "meta.k8s.io/v1", "rv": version, "start": format!("{last_key}\u{0}")});
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap())
}

/// The last key served, from a continue token.
fn decode_continue(token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    Some(v["start"].as_str()?.trim_end_matches('\u{0}').to_string())
}

/// A CA and a certificate for 127.0.0.1 signed by it.
struct Tls {
    ca_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl Tls {
    fn new() -> Tls {
        let (ca, ca_pem) = Tls::ca("rbacscan test CA");
        let key = rcgen::KeyPair::generate().unwrap();
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .unwrap();
        let cert = params.signed_by(&key, &ca).unwrap();
        Tls {
            ca_pem,
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        }
    }

    /// A fresh CA: its issuer and PEM.
    fn ca(name: &str) -> (rcgen::CertifiedIssuer<'static, rcgen::KeyPair>, String) {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let issuer =
            rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        let pem = issuer.pem();
        (issuer, pem)
    }

    fn server_config(&self) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![self.cert_der.clone().into()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(self.key_der.clone().into()),
            )
            .unwrap()
    }
}

/// The PEM of a CA that signed nothing the test server presents.
pub fn unrelated_ca_pem() -> String {
    Tls::ca("some other CA").1
}

/// Elapsed time, for deadline checks in tests.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}
