//! Connecting like kubectl: through an HTTPS proxy (the environment's or the
//! kubeconfig's `proxy-url`), `NO_PROXY`, and an OIDC auth-provider's ID
//! token. Each runs the real binary against the in-process test API server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::live::{Kubeconfig, cluster, scan_live};
use super::support::rbacscan;
use super::test_server::TestServer;

/// An HTTP CONNECT proxy on loopback that counts the tunnels it opens.
struct ConnectProxy {
    url: String,
    tunnels: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl ConnectProxy {
    fn start() -> ConnectProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let tunnels = Arc::new(AtomicUsize::new(0));
        let count = tunnels.clone();
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let count = count.clone();
                tokio::spawn(async move {
                    let _ = tunnel(client, &count).await;
                });
            }
        });
        ConnectProxy {
            url,
            tunnels,
            _runtime: runtime,
        }
    }

    fn tunnels(&self) -> usize {
        self.tunnels.load(Ordering::SeqCst)
    }
}

/// Reads a `CONNECT host:port` request, connects, answers 200 and copies
/// both ways.
async fn tunnel(mut client: TcpStream, count: &AtomicUsize) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        if client.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let Some(target) = text
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split_whitespace().next())
    else {
        client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            .await?;
        return Ok(());
    };
    let mut server = TcpStream::connect(target).await?;
    count.fetch_add(1, Ordering::SeqCst);
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    tokio::io::copy_bidirectional(&mut client, &mut server).await?;
    Ok(())
}

#[test]
fn a_scan_goes_through_the_environments_https_proxy_unless_no_proxy_says_otherwise() {
    let server = TestServer::serving(cluster()).start();
    let proxy = ConnectProxy::start();
    let kc = Kubeconfig::for_server(&server);
    let mut direct = rbacscan();
    direct.args(["scan", "-q", "--kubeconfig", kc.arg(), "-o", "json"]);
    let out = direct.env("HTTPS_PROXY", &proxy.url).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let through = proxy.tunnels();
    assert!(through >= 1, "the scan did not use the proxy");
    // NO_PROXY names the server: straight there.
    let out = rbacscan()
        .args(["scan", "-q", "--kubeconfig", kc.arg(), "-o", "json"])
        .env("HTTPS_PROXY", &proxy.url)
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(proxy.tunnels(), through);
}

#[test]
fn a_kubeconfig_proxy_url_is_used() {
    let server = TestServer::serving(cluster()).start();
    let proxy = ConnectProxy::start();
    let text = server
        .kubeconfig(&server.ca_pem, &[("test", super::test_server::TOKEN)])
        .replace(
            &format!("    server: {}\n", server.url),
            &format!("    server: {}\n    proxy-url: {}\n", server.url, proxy.url),
        );
    let kc = Kubeconfig::from_text(&text);
    let run = scan_live(&kc, &["-q"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(proxy.tunnels() >= 1, "the scan did not use proxy-url");
}

#[test]
fn lists_are_asked_for_gzip_compressed() {
    let server = TestServer::serving(cluster()).start();
    let kc = Kubeconfig::for_server(&server);
    let run = scan_live(&kc, &["-q"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let requests = server.requests();
    assert!(
        requests.iter().all(|r| r.accept_encoding.contains("gzip")),
        "{requests:?}"
    );
}

#[test]
fn an_oidc_auth_providers_id_token_is_sent() {
    // A JWT that expires in 2100: kube uses it as it is (no refresh).
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let jwt = format!(
        "{}.{}.c2ln",
        b64.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
        b64.encode(r#"{"iss":"https://issuer.example","sub":"alice","exp":4102444800}"#)
    );
    let server = TestServer::serving(cluster()).token(&jwt).start();
    let base = server.kubeconfig(&server.ca_pem, &[("test", "unused")]);
    let text = base.replace(
        "  user:\n    token: unused\n",
        &format!(
            "  user:\n    auth-provider:\n      name: oidc\n      config:\n        client-id: rbacscan\n        idp-issuer-url: https://issuer.example\n        id-token: {jwt}\n"
        ),
    );
    assert!(text.contains("auth-provider"), "{text}");
    let kc = Kubeconfig::from_text(&text);
    let run = scan_live(&kc, &["-q"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let requests = server.requests();
    assert!(!requests.is_empty());
    assert!(requests.iter().all(|r| r.authorized), "{requests:?}");
    // The token is a credential: it never reaches the output.
    assert!(!run.stdout.contains(&jwt) && !run.stderr.contains(&jwt));
}
