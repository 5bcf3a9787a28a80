//! `-o html`: one self-contained page. Without a browser: every cluster
//! string is escaped, the page loads nothing, and its policy allows exactly
//! its own style and script. In a real headless Chromium (through the
//! DevTools protocol): the page loads with no console error, no dialog and
//! no script but its own, even for hostile names; the filters work, from
//! the controls and from the address.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::live::run;
use super::support::{inline, rbacscan};

/// Names a cluster user controls, each trying to become markup or script.
const SCRIPT_NAME: &str = "<script>alert(1)</script>";
const IMG_SA: &str = "<img src=x onerror=alert(2)>";
const QUOTE_NS: &str = "ns'\"><svg onload=alert(3)>";
const TITLE_USER: &str = "</title><script>alert(4)</script>";

/// A cluster whose names are hostile: a cluster-admin ClusterRole named
/// `<script>…`, bound to a ServiceAccount named `<img …>` in a namespace
/// named to break out of an attribute, whose pod is hot and has a route;
/// and a user named to close the title.
fn hostile_cluster() -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap();
    let (role, sa, ns, user) = (q(SCRIPT_NAME), q(IMG_SA), q(QUOTE_NS), q(TITLE_USER));
    format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[
{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":{ns}}}}},
{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{{"name":{role}}},"rules":[{{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}}]}},
{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{{"name":{role}}},"roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":{role}}},"subjects":[{{"kind":"ServiceAccount","name":{sa},"namespace":{ns}}},{{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":{user}}}]}},
{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{{"name":"reader","namespace":{ns}}},"rules":[{{"apiGroups":[""],"resources":["secrets"],"verbs":["get","list"]}}]}},
{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{{"name":"reader","namespace":{ns}}},"roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"reader"}},"subjects":[{{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"dev"}}]}},
{{"apiVersion":"v1","kind":"ServiceAccount","metadata":{{"name":{sa},"namespace":{ns}}}}},
{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":{role},"namespace":{ns}}},"spec":{{"serviceAccountName":{sa},"nodeName":{user},"containers":[{{"name":"c","image":"i"}}]}}}}
]}}"#
    )
}

struct Pages {
    _dir: tempfile::TempDir,
    hostile: String,
    hostile_json: Value,
    demo: String,
    demo_json: Value,
}

fn pages() -> Pages {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("hostile.json");
    std::fs::write(&input, hostile_cluster()).unwrap();
    let input = input.to_string_lossy().into_owned();
    let hostile = dir
        .path()
        .join("hostile.html")
        .to_string_lossy()
        .into_owned();
    let demo = dir.path().join("demo.html").to_string_lossy().into_owned();
    for (args, out) in [
        (vec!["scan", "-f", &input], &hostile),
        (vec!["scan", "--demo"], &demo),
    ] {
        let r = run(&[&args[..], &["-o", "html", "--output-file", out]].concat());
        assert!(matches!(r.code, Some(0 | 1)), "{}", r.stderr);
    }
    let json = |args: &[&str]| -> Value {
        let out = rbacscan().args(args).args(["-o", "json"]).output().unwrap();
        inline(serde_json::from_slice(&out.stdout).unwrap())
    };
    Pages {
        hostile_json: json(&["scan", "-f", &input]),
        demo_json: json(&["scan", "--demo"]),
        _dir: dir,
        hostile,
        demo,
    }
}

#[test]
fn the_page_escapes_every_name_loads_nothing_and_allows_only_its_own_code() {
    let p = pages();
    let html = std::fs::read_to_string(&p.hostile).unwrap();
    for name in [SCRIPT_NAME, IMG_SA, QUOTE_NS, TITLE_USER] {
        assert!(!html.contains(name), "{name} appears unescaped");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("ns&#39;&quot;&gt;&lt;svg onload=alert(3)&gt;"));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "one script: the page's own"
    );
    assert_eq!(html.matches("<style").count(), 1);
    // Nothing is fetched: no tag has a source or a link, and the style
    // imports nothing. (Every `<` of a name is escaped, so each `<` left
    // opens a tag of the page's own.)
    for tag in html
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap())
    {
        for attribute in [" src=", " href=", " srcset=", " action="] {
            assert!(!tag.contains(attribute), "<{tag}>");
        }
    }
    for fetch in ["@import", "url("] {
        assert!(!html.contains(fetch), "{fetch}");
    }
    // The policy names the page's own style and script by their hashes.
    let policy = html
        .split("http-equiv=\"Content-Security-Policy\" content=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    assert!(policy.starts_with("default-src 'none'; "), "{policy}");
    let inline = |open: &str, close: &str| {
        let start = html.find(open).unwrap() + open.len();
        let end = start + html[start..].find(close).unwrap();
        html[start..end].to_string()
    };
    use base64::Engine;
    use sha2::Digest;
    for code in [
        inline("<style>", "</style>"),
        inline("<script>", "</script>"),
    ] {
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(code));
        assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");
    }
    // One row per finding, as in JSON.
    let findings = p.hostile_json["findings"].as_array().unwrap().len();
    assert_eq!(html.matches("<tr data-finding ").count(), findings);
    let demo = std::fs::read_to_string(&p.demo).unwrap();
    let demo_findings = p.demo_json["findings"].as_array().unwrap().len();
    assert_eq!(demo.matches("<tr data-finding ").count(), demo_findings);
    assert!(
        demo.matches("<svg class=\"route\"").count() >= 10,
        "each route drawn"
    );
}

// ----- in a real browser -----

/// Chromium, if this machine has it: `RBACSCAN_CHROMIUM`, else `chromium`
/// on PATH. CI installs it and sets `RBACSCAN_REQUIRE_BROWSER`, so that
/// there a missing browser fails instead of skipping.
fn chromium() -> Option<String> {
    if let Ok(path) = std::env::var("RBACSCAN_CHROMIUM") {
        return Some(path);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => Some(p.to_string_lossy().into_owned()),
        None if std::env::var_os("RBACSCAN_REQUIRE_BROWSER").is_some() => {
            panic!("RBACSCAN_REQUIRE_BROWSER is set, but no chromium is on PATH")
        }
        None => None,
    }
}

/// A headless Chromium and one page of it, spoken to over the DevTools
/// protocol. Every read has a timeout, so no test can hang.
struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    socket: tungstenite::WebSocket<TcpStream>,
    session: String,
    next: u64,
    /// Events seen so far (console calls, exceptions, log entries, dialogs).
    events: Vec<Value>,
}

const WAIT: Duration = Duration::from_secs(30);

impl Browser {
    fn start(executable: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(executable)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "about:blank",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            // Read stderr to its end, so Chromium never blocks on it.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split("DevTools listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(WAIT)
            .expect("chromium says where DevTools listens");
        let address = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let stream = TcpStream::connect(&address).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let (socket, _) = tungstenite::client(url.as_str(), stream).expect("DevTools handshake");
        let mut browser = Browser {
            child,
            _profile: profile,
            socket,
            session: String::new(),
            next: 0,
            events: Vec::new(),
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = browser.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        for domain in ["Runtime.enable", "Page.enable", "Log.enable"] {
            browser.call(domain, json!({}));
        }
        browser
    }

    fn receive(&mut self) -> Value {
        let message = self.socket.read().expect("a DevTools message in time");
        serde_json::from_str(message.to_text().unwrap()).unwrap()
    }

    /// Sends a command (to the page once attached) and returns its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let mut command = json!({"id": self.next, "method": method, "params": params});
        if !self.session.is_empty() {
            command["sessionId"] = self.session.clone().into();
        }
        self.socket
            .send(tungstenite::Message::text(command.to_string()))
            .unwrap();
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let message = self.receive();
            if message["id"] == self.next {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
            self.events.push(message);
        }
        panic!("{method}: no answer in time")
    }

    /// Opens `url` and waits for its load event.
    fn open(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let message = self.receive();
            let loaded = message["method"] == "Page.loadEventFired";
            self.events.push(message);
            if loaded {
                return;
            }
        }
        panic!("{url}: never loaded")
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// Console messages, uncaught exceptions, errors and warnings the
    /// browser logged (a policy violation among them), and dialogs.
    fn complaints(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| match e["method"].as_str() {
                Some("Runtime.consoleAPICalled" | "Runtime.exceptionThrown") => true,
                Some("Page.javascriptDialogOpening") => true,
                Some("Log.entryAdded") => {
                    matches!(
                        e["params"]["entry"]["level"].as_str(),
                        Some("error" | "warning")
                    )
                }
                _ => false,
            })
            .map(|e| e.to_string())
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn file_url(path: &str) -> String {
    format!("file://{path}")
}

/// Visible finding rows: how many, and their severities.
const VISIBLE: &str = "Array.from(document.querySelectorAll('tr[data-finding]')).filter(r => !r.hidden).map(r => r.getAttribute('data-severity'))";

fn choose(b: &mut Browser, select: &str, value: &str) {
    let v = serde_json::to_string(value).unwrap();
    b.eval(&format!(
        "(() => {{ const s = document.getElementById('{select}'); s.value = {v}; s.dispatchEvent(new Event('change')); return s.value; }})()"
    ));
}

#[test]
fn in_a_real_browser_the_page_is_quiet_safe_and_filters() {
    let Some(executable) = chromium() else {
        eprintln!(
            "skipped: no chromium on PATH (CI installs it and sets RBACSCAN_REQUIRE_BROWSER)"
        );
        return;
    };
    let p = pages();
    let mut b = Browser::start(&executable);

    // Hostile names: text, never markup or script.
    b.open(&file_url(&p.hostile));
    assert_eq!(b.eval("document.title"), "rbacscan report");
    assert_eq!(b.eval("document.scripts.length"), 1);
    assert_eq!(
        b.eval(
            "document.querySelectorAll('img, iframe, object, embed, [onerror], [onload]').length"
        ),
        0
    );
    assert_eq!(
        b.eval("document.querySelectorAll('svg [onload], svg script').length"),
        0
    );
    let body = b.eval("document.body.textContent");
    let body = body.as_str().unwrap();
    for name in [SCRIPT_NAME, IMG_SA, TITLE_USER] {
        assert!(body.contains(name), "{name} is shown as text");
    }
    // The filter offers the hostile namespace as a value, and it works.
    choose(&mut b, "f-namespace", QUOTE_NS);
    let shown = b.eval(VISIBLE);
    let expected = p.hostile_json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["scope"]["kind"] == "cluster"
                || f["scope"]["namespaces"]
                    .as_array()
                    .is_some_and(|n| n.contains(&Value::from(QUOTE_NS)))
        })
        .count();
    assert_eq!(shown.as_array().unwrap().len(), expected);
    assert!(b.complaints().is_empty(), "{:#?}", b.complaints());

    // The demo: filters from the controls, the count, and the address.
    b.open(&file_url(&p.demo));
    let findings = p.demo_json["findings"].as_array().unwrap();
    assert_eq!(b.eval(VISIBLE).as_array().unwrap().len(), findings.len());
    assert_eq!(
        b.eval("document.getElementById('shown').textContent"),
        findings.len().to_string()
    );
    choose(&mut b, "f-severity", "CRITICAL");
    let critical = findings
        .iter()
        .filter(|f| f["severity"] == "CRITICAL")
        .count();
    let shown = b.eval(VISIBLE);
    let shown = shown.as_array().unwrap();
    assert_eq!(shown.len(), critical);
    assert!(shown.iter().all(|s| s == "CRITICAL"));
    assert_eq!(
        b.eval("document.getElementById('shown').textContent"),
        critical.to_string()
    );
    assert_eq!(b.eval("location.hash"), "#severity=CRITICAL");
    // A section left with no row is hidden; one with rows says how many.
    assert_eq!(b.eval("document.getElementById('hygiene') === null || document.getElementById('hygiene').hidden"), true);
    choose(&mut b, "f-severity", "");
    choose(&mut b, "f-rule", "pods-exec");
    let exec = findings.iter().filter(|f| f["rule"] == "pods-exec").count();
    assert!(exec > 0);
    assert_eq!(b.eval(VISIBLE).as_array().unwrap().len(), exec);
    choose(&mut b, "f-rule", "");
    choose(&mut b, "f-namespace", "*");
    let cluster_wide = findings
        .iter()
        .filter(|f| f["scope"]["kind"] == "cluster")
        .count();
    assert_eq!(b.eval(VISIBLE).as_array().unwrap().len(), cluster_wide);
    // A link with filters opens filtered (from another page: a new
    // fragment alone would not load the page again).
    b.open("about:blank");
    b.open(&format!("{}#severity=HIGH&namespace=ci", file_url(&p.demo)));
    assert_eq!(
        b.eval("document.getElementById('f-severity').value"),
        "HIGH"
    );
    let shown = b.eval(VISIBLE);
    let high_in_ci = findings
        .iter()
        .filter(|f| matches!(f["severity"].as_str(), Some("HIGH" | "CRITICAL")))
        .filter(|f| {
            f["scope"]["kind"] == "cluster"
                || f["scope"]["namespaces"]
                    .as_array()
                    .is_some_and(|n| n.contains(&Value::from("ci")))
        })
        .count();
    assert_eq!(shown.as_array().unwrap().len(), high_in_ci);
    // The route diagrams are drawn: boxes of a real size.
    let boxes = b.eval("Array.from(document.querySelectorAll('svg.route rect')).filter(r => r.getBBox().width > 50).length");
    assert!(boxes.as_u64().unwrap() >= 20, "{boxes}");
    assert!(b.complaints().is_empty(), "{:#?}", b.complaints());
}

/// A page of more findings than one core writes at a time: every finding
/// has its row, in the JSON report's order, and only the first three
/// routes are open, wherever the rows were written.
#[test]
fn many_rows_keep_their_order_and_only_the_first_routes_open() {
    use super::support::{binding, cluster_role, list};
    // Each ServiceAccount may impersonate any user in system:masters: a
    // route each.
    let mut items = vec![cluster_role(
        "impersonator",
        "[{apiGroups: [''], resources: [users, groups], verbs: [impersonate]}]",
    )];
    for i in 0..1300 {
        items.push(binding(
            "ClusterRoleBinding",
            None,
            &format!("imp-{i:04}"),
            "ClusterRole",
            "impersonator",
            &format!("[{{kind: ServiceAccount, name: sa-{i:04}, namespace: team}}]"),
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("many.yaml");
    std::fs::write(&input, list(&items)).unwrap();
    let input = input.to_str().unwrap();
    let html = rbacscan()
        .args(["scan", "-f", input, "-o", "html"])
        .output()
        .unwrap();
    let page = String::from_utf8(html.stdout).unwrap();
    let json = rbacscan()
        .args(["scan", "-f", input, "-o", "json"])
        .output()
        .unwrap();
    let report = inline(serde_json::from_slice(&json.stdout).unwrap());
    let findings = report["findings"].as_array().unwrap();
    let routes = findings.iter().filter(|f| f.get("path").is_some()).count();
    assert!(routes >= 1300, "{routes} routes");
    assert_eq!(page.matches("<tr data-finding").count(), findings.len());
    assert_eq!(page.matches("<details open>").count(), 3);
    assert_eq!(page.matches("<details>").count(), routes - 3);
    // The rows of each section in the report's order: the ServiceAccounts
    // of the route rows come in the order the findings name them.
    let named = |text: &str| -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for (at, _) in text.match_indices("team/sa-") {
            let name = text[at..at + 12].to_string();
            if v.last() != Some(&name) {
                v.push(name);
            }
        }
        v
    };
    let in_page = named(&page);
    let in_json: Vec<String> = named(&serde_json::to_string(findings).unwrap());
    let mut first_seen: Vec<String> = Vec::new();
    for n in in_json {
        if !first_seen.contains(&n) {
            first_seen.push(n);
        }
    }
    let mut page_first: Vec<String> = Vec::new();
    for n in in_page {
        if !page_first.contains(&n) {
            page_first.push(n);
        }
    }
    assert_eq!(page_first, first_seen);
}
