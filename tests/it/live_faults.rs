//! A server (or a proxy before it) that misbehaves mid-list: each fault ends
//! in a complete and correct scan, or in a partial one (exit 3) that names
//! exactly what is missing. Never a clean result from partial data.

use serde_json::Value;

use rbacscan::snapshot::Kind;

use super::live::{Kubeconfig, cluster, offline_report, scan_live, scan_recovering};
use super::test_server::{Fault, TestServer};

fn missing(report: &Value) -> Vec<(String, String)> {
    report["coverage"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_string(),
                m["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_truncated_page_is_asked_for_again() {
    scan_recovering(
        Fault::Truncated {
            resource: "roles",
            nth: 2,
        },
        "roles: the page is cut short (truncated on the way); retrying",
    );
}

/// The next page is asked for while a page is decoded. A page whose
/// `metadata` reads but whose items do not is asked for again, and the page
/// fetched ahead of it is not used in its place: nothing is lost or doubled.
#[test]
fn a_page_whose_items_do_not_decode_is_asked_for_again_and_the_page_ahead_dropped() {
    let (server, _) = scan_recovering(
        Fault::GarbledItem {
            resource: "rolebindings",
            nth: 2,
        },
        "rolebindings: items[0].metadata.name: invalid type: an integer, expected a string; retrying",
    );
    // Every page once, the bad one twice, and the page asked for ahead of
    // it once more.
    let pages = cluster().count(Kind::RoleBinding).div_ceil(2);
    let sent = (server.requests().iter())
        .filter(|r| r.resource() == Some("rolebindings"))
        .count();
    assert_eq!(sent, pages + 2);
}

#[test]
fn a_connection_reset_mid_page_is_retried() {
    let (_, r) = scan_recovering(
        Fault::ResetMidPage {
            resource: "clusterroles",
            nth: 3,
        },
        "clusterroles:",
    );
    assert!(r.stderr.contains("retrying"), "{}", r.stderr);
}

#[test]
fn a_200_whose_body_is_a_status_failure_is_a_missing_kind_not_an_empty_one() {
    let server = TestServer::serving(cluster())
        .fault(Fault::StatusInOk("serviceaccounts"))
        .start();
    let kc = Kubeconfig::for_server(&server);
    let r = scan_live(&kc, &[]);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    let m = missing(&r.json());
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].0, "ServiceAccount");
    assert!(
        m[0].1.starts_with("the server answered 200 with a Status failure (403 Forbidden): serviceaccounts is forbidden"),
        "{m:?}"
    );
}

#[test]
fn a_list_that_changes_between_pages_is_read_again_from_its_start() {
    let server = TestServer::serving(cluster())
        .fault(Fault::Mutate {
            resource: "rolebindings",
            after_pages: 1,
            times: 1,
        })
        .start();
    let kc = Kubeconfig::for_server(&server);
    let r = scan_live(&kc, &["-v"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let report = r.json();
    // The second reading is of the changed list: one RoleBinding fewer, none twice.
    let offline = offline_report();
    assert_eq!(
        report["counts"]["objects"]["RoleBinding"].as_u64().unwrap() + 1,
        offline["counts"]["objects"]["RoleBinding"]
            .as_u64()
            .unwrap()
    );
    assert_eq!(report["inputs"]["duplicates"], 0);
    assert!(
        r.stderr.contains("rolebindings: continue token expired")
            || r.stderr
                .contains("is of resourceVersion 4243, the list began at 4242"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_list_that_never_stops_changing_is_missing() {
    let server = TestServer::serving(cluster())
        .fault(Fault::Mutate {
            resource: "rolebindings",
            after_pages: 1,
            times: usize::MAX,
        })
        .start();
    let kc = Kubeconfig::for_server(&server);
    let r = scan_live(&kc, &[]);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    let m = missing(&r.json());
    assert_eq!(m[0].0, "RoleBinding");
    assert!(
        m[0].1
            .starts_with("the list kept changing while it was read"),
        "{m:?}"
    );
}

#[test]
fn a_continue_token_that_never_ends_the_list_is_cut_off() {
    let server = TestServer::serving(cluster())
        .fault(Fault::EndlessContinue("pods"))
        .start();
    let kc = Kubeconfig::for_server(&server);
    let r = scan_live(&kc, &[]);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    let m = missing(&r.json());
    assert_eq!(m[0].0, "Pod");
    assert!(m[0].1.contains("repeated a continue token"), "{m:?}");
    // The scan did not loop: a handful of page requests.
    let pods = server
        .requests()
        .iter()
        .filter(|q| q.resource() == Some("pods"))
        .count();
    assert!(pods < 10, "{pods} requests for pods");
}
