//! One GET against the API server, bounded by `--request-timeout` and the
//! deadline, retried on 429, 5xx and lost connections with exponential
//! backoff (the server's `Retry-After` wins when it gives one). Transport
//! failures are sorted into what the user must fix (TLS, credentials,
//! unreachable server) and what a retry may cure.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use kube::client::Body;
use tokio::time::Instant;

use super::connect::{Target, one_line};
use super::{Event, LiveError, Observer};
use crate::snapshot::Kind;
use crate::source::diagnostic::without_values;

/// Attempts per request, the first included.
const MAX_ATTEMPTS: u32 = 6;
/// The first backoff; it doubles per attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest backoff we choose ourselves.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// `Accept` for ordinary JSON.
pub const ACCEPT_JSON: &str = "application/json";

/// `Accept` asking for a `PartialObjectMetadataList`: names, labels and
/// annotations, never the objects' content (Secrets' data).
pub const ACCEPT_METADATA: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/// A response with its body read.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: Bytes,
}

/// Why a request gave no answer worth reading.
#[derive(Debug)]
pub enum Failure {
    /// The whole scan must stop: the user has to fix something.
    Fatal(LiveError),
    /// This request failed after retries; other lists may still succeed.
    GaveUp(String),
}

/// Sends GETs for one scan.
pub struct Fetcher<'o> {
    client: kube::Client,
    /// The connection settings.
    pub target: Target,
    request_timeout: Duration,
    deadline: Instant,
    observer: &'o dyn Observer,
}

/// How a transport error is to be treated.
enum Class {
    Tls(String),
    Unreachable(String),
    Credentials(String),
    Other(String),
}

impl<'o> Fetcher<'o> {
    /// A fetcher for `target`. Must run inside the tokio runtime.
    pub fn new(
        target: Target,
        request_timeout: Duration,
        deadline: Instant,
        observer: &'o dyn Observer,
    ) -> Result<Self, LiveError> {
        let client =
            kube::Client::try_from(target.config.clone()).map_err(|e| LiveError::Config {
                origin: target.origin.clone(),
                whom: target.whom(),
                message: without_values(&one_line(&chain(&e))),
            })?;
        Ok(Fetcher {
            client,
            target,
            request_timeout,
            deadline,
            observer,
        })
    }

    /// GETs `uri` (a path and query). `kind` names the list for progress
    /// events; `first_contact` makes an unreachable server or a timeout
    /// fatal at once instead of retried. Counts every attempt in `requests`.
    pub async fn get(
        &self,
        uri: &str,
        accept: &str,
        kind: Option<Kind>,
        first_contact: bool,
        requests: &mut u32,
    ) -> Result<Reply, Failure> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            *requests += 1;
            let remaining = self.deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.out_of_time(first_contact));
            }
            let budget = self.request_timeout.min(remaining);
            let request = Request::get(uri)
                .header(header::ACCEPT, accept)
                .body(Body::empty())
                .map_err(|e| Failure::GaveUp(format!("cannot build the request {uri}: {e}")))?;
            let exchange = async {
                let response = self.client.send(request).await?;
                let status = response.status();
                let retry_after = retry_after(response.headers());
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| kube::Error::Service(Box::new(e)))?
                    .to_bytes();
                Ok::<_, kube::Error>((status, retry_after, body))
            };
            let (problem, server_wait) = match tokio::time::timeout(budget, exchange).await {
                Err(_) if first_contact || budget < self.request_timeout => {
                    return Err(self.out_of_time(first_contact));
                }
                Err(_) => (
                    format!(
                        "no answer within {}",
                        humantime::format_duration(self.request_timeout)
                    ),
                    None,
                ),
                Ok(Err(e)) => match classify(&e) {
                    Class::Tls(cause) => {
                        return Err(Failure::Fatal(LiveError::Tls {
                            server: self.target.server.clone(),
                            cause,
                        }));
                    }
                    Class::Credentials(cause) => {
                        return Err(Failure::Fatal(LiveError::Credentials {
                            whom: self.target.whom(),
                            cause,
                        }));
                    }
                    Class::Unreachable(cause) if first_contact => {
                        return Err(Failure::Fatal(LiveError::Unreachable {
                            server: self.target.server.clone(),
                            cause,
                        }));
                    }
                    Class::Unreachable(cause) | Class::Other(cause) => (cause, None),
                },
                Ok(Ok((status, wait, body))) if is_retryable(status) => {
                    (describe_status(status, &body), wait)
                }
                Ok(Ok((status, _, body))) => return Ok(Reply { status, body }),
            };
            if attempt >= MAX_ATTEMPTS {
                return Err(Failure::GaveUp(format!(
                    "{problem} (gave up after {attempt} attempts)"
                )));
            }
            let wait = server_wait.unwrap_or_else(|| backoff(attempt));
            if Instant::now() + wait >= self.deadline {
                return Err(Failure::GaveUp(format!(
                    "{problem} (no time left before the deadline to retry)"
                )));
            }
            self.observer.event(Event::Retry {
                kind,
                problem: &problem,
                wait,
            });
            tokio::time::sleep(wait).await;
        }
    }

    /// Where progress events go.
    pub fn observer(&self) -> &'o dyn Observer {
        self.observer
    }

    fn out_of_time(&self, first_contact: bool) -> Failure {
        let error = LiveError::Timeout {
            server: self.target.server.clone(),
        };
        if first_contact {
            Failure::Fatal(error)
        } else {
            Failure::GaveUp("not finished before the deadline (--deadline)".into())
        }
    }
}

/// 429 and the 5xx statuses a retry may cure.
fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` in seconds (the form the API server sends), capped.
fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let secs: u64 = headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

fn backoff(attempt: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF)
}

/// `HTTP 503 Service Unavailable: <the Status message>`.
pub fn describe_status(status: StatusCode, body: &[u8]) -> String {
    let message = serde_json::from_slice::<kube::core::Status>(body)
        .ok()
        .map(|s| s.message)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            one_line(&text)
        });
    let head = format!(
        "HTTP {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    if message.is_empty() {
        head.trim_end().to_string()
    } else {
        format!("{}: {message}", head.trim_end())
    }
}

/// Sorts a transport error by what the user can do about it.
fn classify(error: &kube::Error) -> Class {
    if let kube::Error::Auth(e) = error {
        // An exec plugin's or OIDC provider's answer holds tokens: no values.
        return Class::Credentials(without_values(&one_line(&chain(e))));
    }
    for e in causes(error) {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Class::Tls(describe_tls(tls));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionRefused | HostUnreachable | NetworkUnreachable | AddrNotAvailable
            ) {
                return Class::Unreachable(io.to_string());
            }
        }
        if e.to_string().starts_with("dns error") {
            return Class::Unreachable(one_line(&chain(e)));
        }
    }
    Class::Other(one_line(&chain(error)))
}

fn describe_tls(error: &rustls::Error) -> String {
    use rustls::{CertificateError, Error as E};
    match error {
        E::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the server's certificate is not signed by a CA the kubeconfig trusts (UnknownIssuer)"
                .into()
        }
        E::InvalidCertificate(CertificateError::NotValidForName)
        | E::InvalidCertificate(CertificateError::NotValidForNameContext { .. }) => {
            "the server's certificate is not valid for this server name".into()
        }
        E::InvalidCertificate(CertificateError::Expired)
        | E::InvalidCertificate(CertificateError::ExpiredContext { .. }) => {
            "the server's certificate has expired".into()
        }
        other => other.to_string(),
    }
}

/// An error and its causes, outermost first. Unlike `source()` chains, this
/// looks inside `io::Error`s, whose `source()` skips the error they wrap
/// (where TLS errors hide).
fn causes<'e>(
    error: &'e (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'e (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| match e.downcast_ref::<std::io::Error>() {
        Some(io) => io
            .get_ref()
            .map(|inner| inner as &(dyn std::error::Error + 'static)),
        None => e.source(),
    })
}

/// An error and its causes, de-duplicated, joined with `: `.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in causes(error) {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(2), Duration::from_millis(400));
        assert_eq!(backoff(3), Duration::from_millis(800));
        assert_eq!(backoff(10), MAX_BACKOFF);
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_capped() {
        let mut h = http::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(header::RETRY_AFTER, "86400".parse().unwrap());
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn statuses_are_described_from_their_status_body() {
        let body = br#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too many requests, please try again later","reason":"TooManyRequests","code":429}"#;
        assert_eq!(
            describe_status(StatusCode::TOO_MANY_REQUESTS, body),
            "HTTP 429 Too Many Requests: too many requests, please try again later"
        );
        assert_eq!(
            describe_status(StatusCode::BAD_GATEWAY, b"<html>\n bad gateway </html>"),
            "HTTP 502 Bad Gateway: <html> bad gateway </html>"
        );
    }

    #[test]
    fn only_throttling_and_server_errors_are_retried() {
        for code in [429, 500, 502, 503, 504] {
            assert!(is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [200, 400, 401, 403, 404, 410, 501] {
            assert!(!is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }
}
