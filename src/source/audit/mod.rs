//! Reading API server audit logs into a [`Usage`]: files or directories
//! (every regular file under them, in name order), plain or gzip
//! (`open`), in any of the formats `detect` tells apart: JSON lines of
//! Events (the log backend's), a JSON array or `EventList` of Events, and
//! CloudWatch Logs exports of EKS' audit log (records whose `message` is
//! the Event, one per line, in `aws logs filter-log-events`' `events`, in
//! a subscription's `logEvents`, or as lines of an export to S3: see
//! `record`).
//!
//! A log is streamed: read in chunks of whole records (`frame`, `scan`),
//! a window of them at a time, parsed on every core while the next are
//! read ([`cores::map_as_produced`]), each chunk tallied apart and the
//! tallies merged in reading order ([`Tally::merge`]). Memory holds a
//! window of text and the tally, whatever the length of the log.
//!
//! A file that is not an audit log (it does not start with JSON, or its
//! first records hold no Event), a truncated gzip file or one that cannot
//! be read is an error naming it. Lines or records inside a good log that
//! cannot be read are counted, and the first few positions kept. Nothing
//! a log holds is ever put in an error or the tally, but the fields of
//! the requests counted.

mod detect;
mod frame;
mod inputs;
mod open;
mod record;
mod scan;

use std::path::{Path, PathBuf};

use self::detect::Format;
use self::frame::{CHUNK, Chunk, Lines};
use self::open::Log;
use self::scan::Structural;
use crate::audit::error::At;
use crate::audit::{AuditError, Problem, Tally, Usage};
use crate::cores;

/// A file whose first this many records hold no audit Event is not an
/// audit log.
const FIRST_RECORDS: u64 = 1000;

/// The text read ahead of parsing: the chunks of one window are all in
/// memory at once.
const WINDOW: usize = 32 * CHUNK;

/// Chunks parsed ahead of the merge.
const AHEAD: usize = 4;

/// The head read to tell a log's format: enough for its first line.
const HEAD: usize = 64 << 10;

/// Reads the audit logs at `paths` (files, or directories of them) into
/// their usage. A file given that is not an audit log is an error; one
/// found under a directory given is left out, and named in the usage
/// ([`Usage::not_logs`]). `progress` is told the bytes read from the files so far
/// (compressed bytes, for gzip), now and then.
pub fn read_audit_logs(paths: &[PathBuf], progress: &dyn Fn(u64)) -> Result<Usage, AuditError> {
    let files = inputs::files(paths)?;
    let mut tally = Tally::new();
    let mut not_logs = Vec::new();
    let mut done = 0;
    for file in &files {
        let before = done;
        // A file found under a directory that is not a log is left out:
        // what it added before that was known (lines that are not Events,
        // no Event) is forgotten.
        let mark = tally.mark();
        match read_log(&file.path, &mut tally, &|n| progress(before + n)) {
            Ok(bytes) => done += bytes,
            Err(AuditError::NotAuditLog { .. }) if file.found => {
                tally.forget_since(mark);
                done += size_of(&file.path);
                not_logs.push(file.path.display().to_string());
            }
            Err(e) => return Err(e),
        }
    }
    if tally.events_read() == 0 {
        let inputs: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(AuditError::NoEvents {
            inputs: inputs.join(", "),
        });
    }
    let mut usage = tally.finish();
    usage.set_not_logs(not_logs);
    Ok(usage)
}

/// The size of a file, 0 when it cannot be read.
fn size_of(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Reads one log into `tally`; the bytes read from the file.
fn read_log(path: &Path, tally: &mut Tally, progress: &dyn Fn(u64)) -> Result<u64, AuditError> {
    let name = path.display().to_string();
    let mut log = Log::open(path, &name)?;
    let mut head = Vec::new();
    let mut ended = frame::fill(&mut log, &mut head, HEAD)?;
    while !ended && memchr::memchr(b'\n', &head).is_none() && head.len() < CHUNK {
        ended = frame::fill(&mut log, &mut head, HEAD)?;
    }
    if head.starts_with(b"\xef\xbb\xbf") {
        head.drain(..3);
    }
    let format = detect::detect(&head, ended).map_err(|(line, why)| AuditError::NotAuditLog {
        at: At {
            file: name.clone(),
            line: Some(line),
        },
        why: why.to_string(),
    })?;
    let mut framer = match format {
        Format::Empty => return Ok(log.bytes_read()),
        Format::Lines => Framer::Lines(Lines::new(head, ended)),
        Format::Structural => Framer::Structural(Structural::new(head, ended)),
    };
    let mut check = FirstRecords::default();
    loop {
        let mut ended = false;
        let produce = |feed: &mut dyn FnMut(Vec<Chunk>)| -> Result<(), AuditError> {
            let mut window = 0;
            while window < WINDOW {
                let Some(chunk) = framer.next(&mut log, &name)? else {
                    ended = true;
                    break;
                };
                window += chunk.text.len();
                feed(vec![chunk]);
                progress(log.bytes_read());
            }
            Ok(())
        };
        let consume = |(), parts: &mut dyn Iterator<Item = (_, Vec<Part>)>| {
            for (_, batch) in parts {
                for part in batch {
                    check.check(&part, &name)?;
                    tally.merge(part.tally);
                }
            }
            Ok(())
        };
        cores::map_as_produced(AHEAD, produce, |chunk| part(&name, chunk), consume)?;
        if ended {
            break;
        }
    }
    check.end(&name)?;
    Ok(log.bytes_read())
}

/// How a log is cut into chunks.
enum Framer {
    Lines(Lines),
    Structural(Structural),
}

impl Framer {
    fn next(&mut self, log: &mut Log, name: &str) -> Result<Option<Chunk>, AuditError> {
        match self {
            Framer::Lines(l) => l.next(log, name),
            Framer::Structural(s) => s.next(log, name),
        }
    }
}

/// A chunk's tally, and what its records were.
struct Part {
    tally: Tally,
    /// Its records.
    records: u64,
    /// The index of its first record that held an audit Event.
    first_event: Option<u64>,
    /// The line of its first record that could not be read, and why.
    first_problem: Option<(u64, Problem)>,
}

/// Tallies one chunk of a log.
fn part(name: &str, chunk: &Chunk) -> Part {
    let mut out = Part {
        tally: Tally::new(),
        records: 0,
        first_event: None,
        first_problem: None,
    };
    let mut shape = record::Shape::default();
    frame::each_record(chunk, |text, line| {
        let read = record::read(text, name, line, &mut out.tally, &mut shape);
        if read.events == 0 && read.problem.is_none() {
            // An empty list (an EventList without items): no record.
            return;
        }
        if read.events > 0 && out.first_event.is_none() {
            out.first_event = Some(out.records);
        }
        if let Some(p) = read.problem
            && out.first_problem.is_none()
        {
            out.first_problem = Some((line, p));
        }
        out.records += 1;
    });
    out
}

/// Whether a log's first records hold an audit Event.
#[derive(Default)]
struct FirstRecords {
    /// Records read before the first Event, so far.
    records: u64,
    seen_event: bool,
    first_problem: Option<(u64, Problem)>,
}

impl FirstRecords {
    /// Checks the records of the next chunk.
    fn check(&mut self, part: &Part, name: &str) -> Result<(), AuditError> {
        if self.seen_event {
            return Ok(());
        }
        if self.first_problem.is_none() {
            self.first_problem = part.first_problem;
        }
        match part.first_event {
            Some(i) if self.records + i < FIRST_RECORDS => {
                self.seen_event = true;
                Ok(())
            }
            _ => {
                self.records += part.records;
                if self.records >= FIRST_RECORDS {
                    return Err(self.not_a_log(name));
                }
                Ok(())
            }
        }
    }

    /// At the end of the log.
    fn end(&self, name: &str) -> Result<(), AuditError> {
        if self.seen_event || self.records == 0 {
            return Ok(());
        }
        Err(self.not_a_log(name))
    }

    fn not_a_log(&self, name: &str) -> AuditError {
        let (line, problem) = self.first_problem.unwrap_or((1, Problem::NotAnEvent));
        let records = if self.records >= FIRST_RECORDS {
            format!("its first {FIRST_RECORDS} records")
        } else {
            format!(
                "its {}",
                crate::words::count(self.records as usize, "record")
            )
        };
        AuditError::NotAuditLog {
            at: At {
                file: name.to_string(),
                line: Some(line),
            },
            why: format!(
                "no audit Event in {records} (this one is {})",
                problem.as_str()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::audit::{Request, Skip};

    /// Events as the log backend writes them (the shapes of the Kubernetes
    /// auditing documentation): the ServiceAccount `shop:ci` lists pods
    /// (received, then complete), scales a deployment, and is refused
    /// the deletion of a Secret (received, then 403); the kubelet reads
    /// `/healthz` with a query; `admin` lists Secrets as `jane`; an old
    /// `v1beta1` event; a request without credentials (401); a watch still
    /// open (received and started); and a Secret created at
    /// RequestResponse level, its value in both bodies.
    fn events() -> Vec<String> {
        let sa = r#""user":{"username":"system:serviceaccount:shop:ci","uid":"5d1d","groups":["system:serviceaccounts","system:serviceaccounts:shop","system:authenticated"],"extra":{"authentication.kubernetes.io/credential-id":["JTI=0a1b"]}},"sourceIPs":["10.0.0.7"],"userAgent":"ci/1.0""#;
        let rbac = |reason: &str| {
            format!(
                r#""annotations":{{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":{}}}"#,
                serde_json::to_string(reason).unwrap()
            )
        };
        let sa_reason = rbac(
            r#"RBAC: allowed by RoleBinding "ci/shop" of Role "ci" to ServiceAccount "ci/shop""#,
        );
        let head = |id: &str, stage: &str, uri: &str, verb: &str| {
            format!(
                r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"{stage}","requestURI":"{uri}","verb":"{verb}""#
            )
        };
        let times = |s: u32| {
            format!(
                r#""requestReceivedTimestamp":"2024-05-01T10:00:{s:02}.000001Z","stageTimestamp":"2024-05-01T10:00:{s:02}.002000Z""#
            )
        };
        let pods = r#""objectRef":{"resource":"pods","namespace":"shop","apiVersion":"v1"}"#;
        let ok = r#""responseStatus":{"metadata":{},"code":200}"#;
        let id = |n: u32| format!("00000000-0000-4000-8000-{n:012}");
        vec![
            format!(r#"{},{sa},{pods},{}}}"#, head(&id(1), "RequestReceived", "/api/v1/namespaces/shop/pods?limit=500", "list"), times(1)),
            format!(r#"{},{sa},{pods},{ok},{},{sa_reason}}}"#, head(&id(1), "ResponseComplete", "/api/v1/namespaces/shop/pods?limit=500", "list"), times(1)),
            format!(r#"{},{sa},"objectRef":{{"resource":"deployments","namespace":"shop","name":"web","apiGroup":"apps","apiVersion":"v1","subresource":"scale"}},{ok},{},{sa_reason}}}"#, head(&id(2), "ResponseComplete", "/apis/apps/v1/namespaces/shop/deployments/web/scale", "update"), times(2)),
            format!(r#"{},{sa},"objectRef":{{"resource":"secrets","namespace":"shop","name":"db","apiVersion":"v1"}},{}}}"#, head(&id(3), "RequestReceived", "/api/v1/namespaces/shop/secrets/db", "delete"), times(3)),
            format!(r#"{},{sa},"objectRef":{{"resource":"secrets","namespace":"shop","name":"db","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"status":"Failure","message":"secrets \"db\" is forbidden: User \"system:serviceaccount:shop:ci\" cannot delete resource","reason":"Forbidden","code":403}},{},"annotations":{{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}}}}"#, head(&id(3), "ResponseComplete", "/api/v1/namespaces/shop/secrets/db", "delete"), times(3)),
            format!(r#"{},"user":{{"username":"kubelet","groups":["system:nodes","system:authenticated"]}},{ok},{},{}}}"#, head(&id(4), "ResponseComplete", r"/healthz?verbose=1\u0026exclude=etcd\u0026token=hunter3", "get"), times(4), rbac(r#"RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:authenticated""#)),
            format!(r#"{},"user":{{"username":"admin","groups":["system:masters","system:authenticated"]}},"impersonatedUser":{{"username":"jane","groups":["developers","system:authenticated"]}},"objectRef":{{"resource":"secrets","namespace":"dev","apiVersion":"v1"}},{ok},{},{}}}"#, head(&id(5), "ResponseComplete", "/api/v1/namespaces/dev/secrets", "list"), times(5), rbac(r#"RBAC: allowed by RoleBinding "devs/dev" of ClusterRole "edit" to Group "developers""#)),
            r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{"creationTimestamp":"2024-05-01T10:00:06Z"},"level":"Metadata","timestamp":"2024-05-01T10:00:06Z","auditID":"00000000-0000-4000-8000-000000000006","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/configmaps/kubeadm-config","verb":"get","user":{"username":"kubeadm","groups":["system:authenticated"]},"objectRef":{"resource":"configmaps","namespace":"kube-system","name":"kubeadm-config","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2024-05-01T10:00:06.000001Z","stageTimestamp":"2024-05-01T10:00:06.002000Z"}"#.to_string(),
            format!(r#"{},"user":{{}},"sourceIPs":["203.0.113.9"],"responseStatus":{{"metadata":{{}},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}},{}}}"#, head(&id(7), "ResponseStarted", "/api/v1/secrets", "list"), times(7)),
            format!(r#"{},{sa},{pods},{}}}"#, head(&id(8), "RequestReceived", "/api/v1/namespaces/shop/pods?watch=true", "watch"), times(8)),
            format!(r#"{},{sa},{pods},{ok},{},{sa_reason}}}"#, head(&id(8), "ResponseStarted", "/api/v1/namespaces/shop/pods?watch=true", "watch"), times(8)),
            format!(r#"{},{sa},"objectRef":{{"resource":"secrets","namespace":"shop","name":"token","apiVersion":"v1"}},"requestObject":{{"kind":"Secret","apiVersion":"v1","metadata":{{"name":"token"}},"data":{{"password":"c2VjcmV0"}},"stringData":{{"plain":"hunter2-plain"}}}},"responseObject":{{"kind":"Secret","apiVersion":"v1","metadata":{{"name":"token","namespace":"shop"}},"data":{{"password":"c2VjcmV0","plain":"aHVudGVyMi1wbGFpbg=="}}}},"responseStatus":{{"metadata":{{}},"code":201}},{},{sa_reason}}}"#, head(&id(9), "ResponseComplete", "/api/v1/namespaces/shop/secrets", "create"), times(9)).replace(r#""level":"Metadata""#, r#""level":"RequestResponse""#),
        ]
    }

    /// What a secret may look like in the log: never to be found in a
    /// tally or an error.
    const SECRETS: [&str; 5] = [
        "c2VjcmV0",
        "hunter2-plain",
        "aHVudGVyMi1wbGFpbg",
        "hunter3",
        "JTI=0a1b",
    ];

    fn assert_no_secret(text: &str) {
        for s in SECRETS {
            assert!(!text.contains(s), "{s} in {text}");
        }
    }

    fn lines(events: &[String]) -> String {
        events.iter().map(|e| format!("{e}\n")).collect()
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn read(paths: &[PathBuf]) -> Result<Usage, AuditError> {
        read_audit_logs(paths, &|_| {})
    }

    /// The requests counted, and the other figures, to compare readings.
    fn summary(u: &Usage) -> (Vec<(Request, u64)>, u64, u64, String) {
        let used = u
            .used()
            .map(|used| (used.request.to_request(used.last), used.count))
            .collect();
        let rest = format!("{:?} {:?} {:?}", u.skipped(), u.window(), u.reads_seen());
        (used, u.requests_counted(), u.events_read(), rest)
    }

    /// The usage of the log backend's lines of [`events`].
    fn expected() -> (Vec<(Request, u64)>, u64, u64, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "audit.log", lines(&events()).as_bytes());
        summary(&read(&[path]).unwrap())
    }

    #[test]
    fn the_log_backends_lines_are_read_each_request_counted_once() {
        let (used, counted, events_read, _) = expected();
        assert_eq!(events_read, 12);
        assert_eq!(counted, 7);
        // In the order of their fields.
        assert!(used.windows(2).all(|w| w[0].0 < w[1].0), "{used:?}");
        let find = |user: &str, verb: &str, resource: &str| {
            let found: Vec<&(Request, u64)> = (used.iter())
                .filter(|(r, _)| r.user == user && r.verb == verb && r.resource == resource)
                .collect();
            assert_eq!(found.len(), 1, "{user} {verb} {resource}: {used:?}");
            found[0].clone()
        };
        let sa = "system:serviceaccount:shop:ci";
        // Received, then complete: once.
        let (list, n) = find(sa, "list", "pods");
        assert_eq!(n, 1);
        assert_eq!(list.groups.len(), 3);
        // A subresource.
        let (scale, _) = find(sa, "update", "deployments");
        assert_eq!(
            (&*scale.api_group, &*scale.subresource, &*scale.name),
            ("apps", "scale", "web")
        );
        // The denied deletion is no use.
        assert!(!used.iter().any(|(r, _)| r.verb == "delete"));
        // A non-resource URL, without its query string.
        let (healthz, _) = find("kubelet", "get", "");
        assert_eq!(healthz.non_resource_url.as_deref(), Some("/healthz"));
        // Impersonation: the impersonated user's request.
        let (jane, _) = find("jane", "list", "secrets");
        assert_eq!(jane.impersonator.as_deref(), Some("admin"));
        assert_eq!(jane.groups, ["developers", "system:authenticated"]);
        // v1beta1.
        let (cm, _) = find("kubeadm", "get", "configmaps");
        assert_eq!(
            cm.at,
            "2024-05-01T10:00:06.000001Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
        );
        // A watch still open when the log ends.
        find(sa, "watch", "pods");
        find(sa, "create", "secrets");
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "audit.log", lines(&events()).as_bytes());
        let u = read(&[path]).unwrap();
        assert_eq!(u.skipped().get(&Skip::Denied), Some(&1));
        assert_eq!(u.skipped().get(&Skip::Unauthenticated), Some(&1));
        assert!(u.had_reads("", "secrets") && u.had_reads("", "pods"));
        assert!(!u.had_reads("apps", "deployments"));
        assert_no_secret(&format!("{u:?}"));
    }

    #[test]
    fn an_event_list_and_a_json_array_read_as_the_lines_do() {
        let dir = tempfile::tempdir().unwrap();
        let items = events().join(",\n    ");
        let list = format!(
            "{{\n  \"kind\": \"EventList\",\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"metadata\": {{}},\n  \"items\": [\n    {items}\n  ]\n}}\n"
        );
        let array = format!("[{}]", events().join(","));
        let one_line_list = format!(
            r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{}]}}"#,
            events().join(",")
        );
        for (name, text) in [
            ("list.json", list),
            ("array.json", array),
            ("one-line.json", one_line_list),
        ] {
            let path = write(&dir, name, text.as_bytes());
            assert_eq!(summary(&read(&[path]).unwrap()), expected(), "{name}");
        }
    }

    #[test]
    fn cloudwatch_exports_read_as_the_lines_do() {
        let dir = tempfile::tempdir().unwrap();
        let message = |e: &String| serde_json::to_string(e).unwrap();
        // Lines of CloudWatch records (an export of `aws logs tail --format json`).
        let records: String = (events().iter())
            .map(|e| format!("{{\"timestamp\":1714557600000,\"message\":{},\"logStreamName\":\"kube-apiserver-audit-0a1b\"}}\n", message(e)))
            .collect();
        // `aws logs filter-log-events` (pretty, with a continuation token).
        let filtered = format!(
            "{{\n    \"events\": [\n{}\n    ],\n    \"searchedLogStreams\": [],\n    \"nextToken\": \"Bxkq6kVGFtq2y_MoigeqscPOdhXVbhiVtLoAmXb5jCrI7fXLrE\"\n}}\n",
            (events().iter())
                .map(|e| format!("        {{\n            \"logStreamName\": \"kube-apiserver-audit-0a1b\",\n            \"timestamp\": 1714557600000,\n            \"message\": {},\n            \"ingestionTime\": 1714557601000,\n            \"eventId\": \"3814\"\n        }}", message(e)))
                .collect::<Vec<_>>()
                .join(",\n")
        );
        // Subscription records as Firehose writes them to S3: gzip members,
        // the records one after the other.
        let mut firehose = Vec::new();
        for pair in events().chunks(5) {
            let log_events: Vec<String> = (pair.iter())
                .map(|e| {
                    format!(
                        r#"{{"id":"3814","timestamp":1714557600000,"message":{}}}"#,
                        message(e)
                    )
                })
                .collect();
            let record = format!(
                r#"{{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/eks/prod/cluster","logStream":"kube-apiserver-audit-0a1b","subscriptionFilters":["audit"],"logEvents":[{}]}}"#,
                log_events.join(",")
            );
            firehose.extend(gzip(record.as_bytes()));
        }
        // An export to S3: the time, a space, the message.
        let s3: String = (events().iter())
            .map(|e| format!("2024-05-01T10:00:00.000Z {e}\n"))
            .collect();
        let s3 = gzip(s3.as_bytes());
        for (name, bytes) in [
            ("records.json", records.into_bytes()),
            ("filtered.json", filtered.into_bytes()),
            ("firehose", firehose),
            ("000000.gz", s3),
        ] {
            let path = write(&dir, name, &bytes);
            assert_eq!(summary(&read(&[path]).unwrap()), expected(), "{name}");
        }
    }

    #[test]
    fn gzip_is_told_by_its_bytes_and_every_member_read() {
        let dir = tempfile::tempdir().unwrap();
        let text = lines(&events());
        let whole = write(&dir, "audit.log", &gzip(text.as_bytes()));
        assert_eq!(summary(&read(&[whole]).unwrap()), expected());
        // logrotate's and `cat a.gz b.gz`'s: members one after the other.
        let (a, b) = text.split_at(text.len() / 3);
        let mut members = gzip(a.as_bytes());
        members.extend(gzip(b.as_bytes()));
        let members = write(&dir, "audit.log.1.gz", &members);
        assert_eq!(
            summary(&read(std::slice::from_ref(&members)).unwrap()),
            expected()
        );
        // Truncated: an error naming the file.
        let bytes = std::fs::read(&members).unwrap();
        let cut = write(&dir, "cut.gz", &bytes[..bytes.len() - 40]);
        let err = read(&[cut]).unwrap_err();
        assert!(matches!(err, AuditError::Gzip { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("cut.gz: the gzip data is truncated"), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn files_that_are_not_audit_logs_are_errors_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "c2VjcmV0"}},
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a"}}
        ]});
        let pretty = serde_json::to_string_pretty(&manifest).unwrap();
        for (name, text, line, why) in [
            (
                "notes.txt",
                "hunter2-plain is the password\n",
                1,
                "it does not start with JSON",
            ),
            (
                "pod.yaml",
                "\napiVersion: v1\nkind: Pod\n",
                2,
                "it does not start with JSON",
            ),
            (
                "list.json",
                pretty.as_str(),
                4,
                "no audit Event in its 2 records (this one is not an audit Event)",
            ),
            (
                "lines.json",
                "{\"a\": \"hunter2-plain\"}\n{\"b\": 2}\n",
                1,
                "no audit Event in its 2 records",
            ),
            (
                "broken.log",
                "{\"auditID\": \"c2VjcmV0\n",
                1,
                "(this one is not JSON)",
            ),
        ] {
            let path = write(&dir, name, text.as_bytes());
            let err = read(&[path]).unwrap_err();
            let msg = err.to_string();
            let want = format!(
                "{}:{line}: not an audit log: ",
                dir.path().join(name).display()
            );
            assert!(msg.starts_with(&want), "{name}: {msg}");
            assert!(msg.contains(why), "{name}: {msg}");
            assert!(!msg.contains('\n'), "{name}: {msg}");
            assert_no_secret(&msg);
            assert_no_secret(&format!("{err:?}"));
        }
        let missing = dir.path().join("missing.log");
        let msg = read(&[missing]).unwrap_err().to_string();
        assert!(
            msg.ends_with("missing.log: cannot read: No such file or directory (os error 2)"),
            "{msg}"
        );
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let msg = read(std::slice::from_ref(&empty)).unwrap_err().to_string();
        assert!(
            msg.ends_with("empty: no audit log in this directory"),
            "{msg}"
        );
        let empty_list = write(
            &dir,
            "empty-list.json",
            br#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[]}"#,
        );
        let msg = read(&[empty_list]).unwrap_err().to_string();
        assert!(
            msg.ends_with(
                "empty-list.json: no audit events (the files are empty, or hold empty lists)"
            ),
            "{msg}"
        );
        let blank = write(&dir, "blank.log", b"\n\n");
        let msg = read(&[blank]).unwrap_err().to_string();
        assert!(
            msg.ends_with("blank.log: no audit events (the files are empty, or hold empty lists)"),
            "{msg}"
        );
    }

    #[test]
    fn unparseable_lines_of_a_good_log_are_counted_with_their_position() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = lines(&events());
        // A truncated line holding a Secret, a line that is not an Event,
        // and a line of an Event with a field of the wrong type.
        let secret = events()[11].clone();
        text.push_str(&secret[..secret.len() - 30]);
        text.push('\n');
        text.push_str("{\"kind\": \"Status\", \"message\": \"hunter2-plain\"}\n");
        text.push_str(&events()[1].replace(r#""verb":"list""#, r#""verb":["c2VjcmV0"]"#));
        text.push('\n');
        text.push_str(&events()[1]);
        let path = write(&dir, "audit.log", text.as_bytes());
        let u = read(&[path]).unwrap();
        assert_eq!(u.skipped().get(&Skip::Unparseable), Some(&3));
        let at: Vec<String> = u.unparseable().iter().map(|p| p.to_string()).collect();
        let file = dir.path().join("audit.log").display().to_string();
        assert_eq!(
            at,
            [
                format!("{file}:13: not JSON"),
                format!("{file}:14: not an audit Event"),
                format!("{file}:15: not an audit Event"),
            ]
        );
        // The rest is read, the last line (without its line end) included:
        // a second copy of a request counts once.
        assert_eq!(u.requests_counted(), 7);
        assert_no_secret(&format!("{u:?}"));
    }

    #[test]
    fn files_in_any_order_and_directories_give_the_same_usage() {
        let dir = tempfile::tempdir().unwrap();
        // Rotated logs: the stages of a request may fall in two files.
        let events = events();
        let (old, new) = events.split_at(4);
        std::fs::create_dir_all(dir.path().join("logs/old")).unwrap();
        let a = write(&dir, "logs/old/audit-2024-05-01.log", lines(old).as_bytes());
        let b = write(&dir, "logs/audit.log", &gzip(lines(new).as_bytes()));
        let forward = read(&[a.clone(), b.clone()]).unwrap();
        let backward = read(&[b, a]).unwrap();
        assert_eq!(summary(&forward), expected());
        assert_eq!(summary(&backward), expected());
        let walked = read(&[dir.path().join("logs")]).unwrap();
        assert_eq!(summary(&walked), expected());
        assert!(walked.not_logs().is_empty());
    }

    #[test]
    fn a_file_under_a_directory_that_is_not_a_log_is_left_out_and_named() {
        // The API server's own log beside its audit log: left out when the
        // directory is given, an error when the file is.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("logs")).unwrap();
        write(&dir, "logs/audit.log", lines(&events()).as_bytes());
        let other = write(
            &dir,
            "logs/kube-apiserver.log",
            b"I1201 10:00:00.000000 1 server.go:1] password=hunter2-plain\n",
        );
        // JSON lines that are not Events: read, then known not to be a log.
        let json_lines = write(
            &dir,
            "logs/controller.json",
            b"{\"level\":\"info\",\"msg\":\"password=hunter2-plain\"}\n{\"level\":\"info\"}\n",
        );
        let walked = read(&[dir.path().join("logs")]).unwrap();
        assert_eq!(summary(&walked), expected());
        assert_eq!(
            walked.not_logs(),
            [
                json_lines.display().to_string(),
                other.display().to_string()
            ]
        );
        // Its lines are not counted as unreadable lines of a log.
        assert!(walked.unparseable().is_empty());
        assert!(!walked.skipped().contains_key(&Skip::Unparseable));
        assert!(read(&[other]).is_err());
        // A directory holding no log at all is still an error.
        let only = tempfile::tempdir().unwrap();
        write(&only, "notes.txt", b"hunter2-plain\n");
        let msg = read(&[only.path().to_path_buf()]).unwrap_err().to_string();
        assert!(msg.contains("no audit events"), "{msg}");
        assert_no_secret(&msg);
    }

    #[test]
    fn long_logs_are_read_across_chunks_and_windows() {
        // Many requests, their two stages far apart (another request's in
        // between), each line longer than some and shorter than others.
        let dir = tempfile::tempdir().unwrap();
        let template = &events()[1];
        let mut text = String::new();
        let n = 3000u32;
        for i in 0..n {
            for (j, stage) in [
                (i, "ResponseComplete"),
                (i.saturating_sub(7), "RequestReceived"),
            ] {
                let e = template
                    .replace(
                        "00000000-0000-4000-8000-000000000001",
                        &format!("00000000-0000-4000-8000-{j:012}"),
                    )
                    .replace("\"ResponseComplete\"", &format!("\"{stage}\""))
                    .replace("\"pods\"", &format!("\"pods{}\"", i % 13))
                    .replace(
                        "\"shop\"}",
                        &format!("\"shop\",\"name\":\"{}\"}}", "x".repeat((i % 40) as usize)),
                    );
                text.push_str(&e);
                text.push('\n');
            }
        }
        let path = write(&dir, "long.log", text.as_bytes());
        let progress = std::cell::Cell::new(0);
        let u = read_audit_logs(std::slice::from_ref(&path), &|n| progress.set(n)).unwrap();
        assert_eq!(progress.get(), text.len() as u64);
        assert_eq!(u.events_read(), u64::from(2 * n));
        assert_eq!(u.requests_counted(), u64::from(n));
        assert!(u.skipped().is_empty(), "{:?}", u.skipped());
        assert_eq!(u.reads_seen().len(), 13);
        let as_array = format!("[{}]", text.trim_end().replace('\n', ",\n"));
        let array = write(&dir, "long.json", &gzip(as_array.as_bytes()));
        assert_eq!(summary(&read(&[array]).unwrap()), summary(&u));
    }

    #[test]
    fn a_record_too_long_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let big = format!(
            "{}\n{{\"x\": \"{}\"}}\n",
            events()[1],
            "a".repeat(2 * frame::MAX_RECORD)
        );
        let path = write(&dir, "big.log", big.as_bytes());
        let msg = read(&[path]).unwrap_err().to_string();
        assert!(
            msg.ends_with(
                "big.log:2: a record longer than 1 MiB: not read (is this an audit log?)"
            ),
            "{msg}"
        );
    }
}
