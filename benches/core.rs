//! Benchmarks of the pure core, stage by stage, on generated clusters:
//! decoding a kubectl-style JSON dump, RBAC resolution, template matching,
//! token exposure, the whole analysis (every check), and rendering the
//! JSON and table reports.
//!
//! ```sh
//! cargo bench --bench core                      # 1,000 and 10,000 pods
//! RBACSCAN_BENCH_PODS=100000 cargo bench --bench core
//! ```
//!
//! The cluster has the proportions of `benches/generate-realistic.py` (per
//! 100 pods: 2 namespaces, 50 ServiceAccounts, 20 Roles and RoleBindings, 2
//! ClusterRoles and ClusterRoleBindings; Deployment replicas sharing a
//! ServiceAccount, automount off on some, a few privileged or with a
//! hostPath, Secret env and volumes, about 8% of Roles risky), drawn from
//! a fixed seed, so every run measures the same input.

use std::sync::{Mutex, OnceLock};

#[path = "common/cluster.rs"]
mod cluster;

use rbacscan::access::Access;
use rbacscan::access::graph::AccessGraph;
use rbacscan::findings::{self, AnalysisOptions};
use rbacscan::rbac::Rbac;
use rbacscan::report::{Report, json, table};
use rbacscan::selection::{self, Filter, View};
use rbacscan::snapshot::Snapshot;
use rbacscan::source::Provenance;
use rbacscan::source::files::Loader;
use rbacscan::template::Template;
use rbacscan::workloads::exposure;

fn main() {
    divan::main();
}

/// The sizes measured: 1,000 and 10,000 pods, or `RBACSCAN_BENCH_PODS`.
fn sizes() -> Vec<usize> {
    match std::env::var("RBACSCAN_BENCH_PODS") {
        Ok(v) => v.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) => vec![1_000, 10_000],
    }
}

/// Sizes already made of one input, each kept for the whole run.
type Cache<T> = OnceLock<Mutex<Vec<(usize, &'static T)>>>;

/// What `make` gives for `pods` pods, made once per size.
fn cached<T: Sync>(cache: &'static Cache<T>, pods: usize, make: impl FnOnce() -> T) -> &'static T {
    let mut made = cache
        .get_or_init(Default::default)
        .lock()
        .expect("no bench panicked holding the cache");
    if let Some((_, value)) = made.iter().find(|(n, _)| *n == pods) {
        return value;
    }
    let value: &'static T = Box::leak(Box::new(make()));
    made.push((pods, value));
    value
}

/// The generated dump of `pods` pods.
fn dump(pods: usize) -> &'static str {
    static DUMPS: Cache<String> = OnceLock::new();
    cached::<String>(&DUMPS, pods, || cluster::generate(pods))
}

/// The generated cluster of `pods` pods, decoded.
fn snapshot(pods: usize) -> &'static Snapshot {
    static SNAPSHOTS: Cache<Snapshot> = OnceLock::new();
    cached(&SNAPSHOTS, pods, || load(dump(pods)).0)
}

fn load(text: &str) -> (Snapshot, Provenance) {
    let mut loader = Loader::new();
    loader
        .add_text("bench.json", text)
        .expect("the generated dump loads");
    let loaded = loader.finish().expect("the generated dump loads");
    (loaded.snapshot, loaded.provenance)
}

/// Decoding the JSON dump into a snapshot.
#[divan::bench(args = sizes())]
fn decode(bencher: divan::Bencher, pods: usize) {
    let text = dump(pods);
    bencher
        .counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| load(divan::black_box(text)));
}

/// RBAC resolution: every binding's role, aggregation, implicit groups.
#[divan::bench(args = sizes())]
fn resolve(bencher: divan::Bencher, pods: usize) {
    let s = snapshot(pods);
    bencher.bench(|| Rbac::resolve(divan::black_box(s)));
}

/// Which tokens every pod exposes, and its amplifiers.
#[divan::bench(args = sizes())]
fn token_exposure(bencher: divan::Bencher, pods: usize) {
    let s = snapshot(pods);
    let workloads = s.clone().take_workloads();
    bencher.bench(|| exposure::expose(divan::black_box(s), &workloads));
}

/// The access graph: RBAC index, capability nodes and attack steps.
#[divan::bench(args = sizes())]
fn access_graph(bencher: divan::Bencher, pods: usize) {
    let s = snapshot(pods);
    let rbac = Rbac::resolve(s);
    let exposures = exposure::expose(s, &s.clone().take_workloads());
    bencher.bench(|| rbacscan::access::build_graph(s, &rbac, &exposures));
}

/// Template matching: every role profiled, every subject, binding and
/// role's risks.
#[divan::bench(args = sizes())]
fn template_matching(bencher: divan::Bencher, pods: usize) {
    let s = snapshot(pods);
    let template = Template::builtin();
    let exposures = exposure::expose(s, &s.clone().take_workloads());
    bencher
        .with_inputs(|| {
            let rbac = Rbac::resolve(s);
            let graph = AccessGraph::build_index(s, &rbac, &exposures);
            (rbac, graph)
        })
        .bench_values(|(rbac, graph)| Access::with(rbac, graph, &template));
}

/// The whole analysis: everything above, rating, pod views and every check.
#[divan::bench(args = sizes())]
fn findings(bencher: divan::Bencher, pods: usize) {
    let s = snapshot(pods);
    let template = Template::builtin();
    let options = AnalysisOptions::default();
    // Each run takes the pods' workloads out of its own copy.
    bencher.with_inputs(|| s.clone()).bench_values(|mut s| {
        let analysis = findings::analyze(&mut s, &template, &options);
        (analysis, s)
    });
}

fn report(pods: usize) -> Report {
    let mut s = snapshot(pods).clone();
    let template = Template::builtin();
    let analysis = findings::analyze(&mut s, &template, &AnalysisOptions::default());
    let selection = selection::select(analysis, &Filter::default(), &View::Scan);
    Report::new(&s, load(dump(pods)).1, &template, selection)
}

/// Rendering the JSON report.
#[divan::bench(args = sizes())]
fn render_json(bencher: divan::Bencher, pods: usize) {
    let report = report(pods);
    bencher.bench(|| json::write(&report, std::io::sink()));
}

/// Rendering the tables.
#[divan::bench(args = sizes())]
fn render_table(bencher: divan::Bencher, pods: usize) {
    let report = report(pods);
    let style = table::TableStyle {
        color: false,
        width: Some(200),
        limit: Some(20),
        wide: false,
        no_headers: false,
    };
    bencher.bench(|| table::write(&report, style, std::io::sink()));
}
