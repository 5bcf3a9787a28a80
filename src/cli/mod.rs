//! Command-line arguments as clap reads them: the subcommands, their
//! arguments, the value enums and value parsers, and the version strings.
//! [`crate::config`] turns them into the validated configuration each
//! command runs with.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser, Subcommand};

use crate::access::query::{self, Endpoint, ResourceArg};
use crate::rbac::SubjectId;
use crate::report::Format;
use crate::report::answers::AnswerFormat;
use crate::source::live::DEFAULT_CHUNK_SIZE;
use crate::template::Severity;

mod values;

pub use values::{ColorChoice, DumpFormat, MergeFormat, PathsFormat};
use values::{parse_duration, parse_namespace, parse_node};

/// `-V`: the version, commit and build date.
pub const SHORT_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("RBACSCAN_COMMIT"),
    ", built ",
    env!("RBACSCAN_BUILD_DATE"),
    ")"
);

/// `--version`: also what the types and the bootstrap policy cover.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("RBACSCAN_COMMIT"),
    ", built ",
    env!("RBACSCAN_BUILD_DATE"),
    ")\n",
    "Kubernetes: RBAC rbac.authorization.k8s.io/v1 (every version since 1.8); API types of v1.33 (k8s-openapi 0.29)\n",
    "bootstrap policy known: kube-apiserver v1.28.7"
);

/// Kubernetes RBAC risk scanner: who can do what, exactly as the API server decides.
#[derive(Debug, Parser)]
#[command(
    name = "rbacscan",
    version = SHORT_VERSION,
    long_version = LONG_VERSION,
    about,
    propagate_version = true
)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Args {
    /// Checks what clap cannot: several clusters (`--context` twice,
    /// `--all-contexts`) are for `scan` alone, and without the options that
    /// are about one cluster (a baseline, a snapshot file, a metrics file).
    pub fn check(&self) -> Result<(), clap::Error> {
        use clap::CommandFactory;
        let several = |s: &SourceArgs| s.all_contexts || s.context.len() > 1;
        let (name, source) = match &self.command {
            Command::Scan(s) => {
                if several(&s.source) {
                    let one_cluster = [
                        ("--baseline", s.baseline.is_some()),
                        ("--fail-on-new", s.fail_on_new.is_some()),
                        ("--save-snapshot", s.save_snapshot.is_some()),
                        ("--metrics-file", s.metrics_file.is_some()),
                    ];
                    if let Some((flag, _)) = one_cluster.iter().find(|(_, given)| *given) {
                        return Err(Args::command().error(
                            clap::error::ErrorKind::ArgumentConflict,
                            format!("{flag} is about one cluster and cannot be used when scanning several (--context given more than once, or --all-contexts); scan each cluster on its own (a CronJob per cluster), then `rbacscan merge` the reports"),
                        ));
                    }
                }
                return Ok(());
            }
            Command::Pods(p) => ("pods", &p.scan.source),
            Command::Dump(d) => ("dump", &d.source),
            Command::WhoCan(a) => ("who-can", &a.source),
            Command::Access(a) => ("access", &a.source),
            Command::Paths(a) => ("paths", &a.source),
            Command::Unused(a) => ("unused", &a.source),
            _ => return Ok(()),
        };
        if several(source) {
            return Err(Args::command().error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("`{name}` reads one cluster: give --context once (only `scan` takes several contexts, or --all-contexts)"),
            ));
        }
        Ok(())
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a cluster (the current kubeconfig context unless -f or --demo) and report hot pods, risky subjects, bindings and roles.
    Scan(ScanArgs),
    /// Show the pods: which ServiceAccount tokens each container can read, what they are worth, what amplifies them, and each node's blast radius. Hot pods (tokens at or above --min-severity, default HIGH) unless --privileged or --min-severity say otherwise.
    Pods(PodsArgs),
    /// Collect what a scan reads into one snapshot file, which `scan -f` reads back with identical findings.
    Dump(DumpArgs),
    /// Who the API server's RBAC authorizer would allow one request: every subject, with the binding → role → rule that allows it. RESOURCE as `kubectl auth can-i` writes it (pods, pods/exec, deployments.apps, *), or a URL path (/metrics). Without -n the request carries no namespace, so only ClusterRoleBindings can allow it.
    WhoCan(WhoCanArgs),
    /// What one identity may do, per namespace and cluster-wide, with where each rule comes from (its groups included); --diff-with compares two identities.
    Access(AccessArgs),
    /// Every subject and pod with a route to cluster-admin-equivalent power (or to --to), shortest first, each step explained.
    Paths(PathsArgs),
    /// What each subject's grants were used for in the API server's audit log, and what was never used (the risky part first), with a proposal of Roles and bindings that keeps every request of the window, proven by replaying them. Reads the log (JSON lines, an Event array, or EKS's CloudWatch export; plain or gzip) and the cluster (-f, --demo, or live).
    Unused(UnusedArgs),
    /// Print the built-in risk template (to customise it and pass it with --template).
    Template,
    /// Print the version, commit, build date, the Kubernetes versions rbacscan reads, and the built-in template's version.
    Version,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell), e.g. `rbacscan completions bash > /etc/bash_completion.d/rbacscan`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `rbacscan man > rbacscan.1`.
    Man,
    /// Print the JSON Schema (draft 2020-12) of the report that `-o json` writes.
    Schema {
        /// The schema of the fleet report (`scan` of several contexts, `merge`) instead.
        #[arg(long, conflicts_with = "unused")]
        fleet: bool,
        /// The schema of the `unused` report instead.
        #[arg(long)]
        unused: bool,
    },
    /// Merge the JSON reports of many clusters (each from its own scan, e.g. a nightly CronJob per cluster) into one fleet view: each cluster's status and problems, the worst findings across them, and which reports are partial or stale. Exit 3 when one is.
    Merge(MergeArgs),
}

/// Output options of the questions (`who-can`, `access`, `paths`), their
/// formats `F` ([`AnswerFormat`], or [`PathsFormat`] for `paths`).
#[derive(Debug, clap::Args)]
pub struct AnswerArgs<F: clap::ValueEnum + Clone + Send + Sync + 'static = AnswerFormat> {
    /// Output format: a table, JSON, or the answer's subgraph as Graphviz DOT or Mermaid (`paths`: also BloodHound OpenGraph JSON or a Neo4j Cypher script).
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub format: F,
    /// Write the answer to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<String>,
    /// Lay tables out at N columns (default: the terminal's width, else COLUMNS, else 160).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,
    /// Tables without their header row.
    #[arg(long)]
    pub no_headers: bool,
}

/// Arguments of `who-can`.
#[derive(Debug, clap::Args)]
pub struct WhoCanArgs {
    /// The verb (get, list, create, escalate, ...), or * (the literal verb, which only a * rule allows). Compared exactly, as the authorizer compares it: GET is not get (a warning says so).
    #[arg(value_parser = query::parse_verb)]
    pub verb: String,
    /// The resource as kubectl writes it (pods, po, pods/exec, deployments.apps, leases.coordination.k8s.io, *), or a non-resource URL starting with /. Compared exactly: Pods is not pods (a warning says so).
    #[arg(value_parser = query::parse_resource)]
    pub resource: ResourceArg,
    /// The object's name, for a request about one object.
    pub name: Option<String>,
    /// Ask about a request in this namespace (ClusterRoleBindings and the namespace's RoleBindings apply).
    #[arg(short = 'n', long = "namespace", value_name = "NS", value_parser = parse_namespace)]
    pub namespace: Option<String>,
    /// A request in no namespace, as `kubectl auth can-i -A` asks (the default without -n): only ClusterRoleBindings can allow it.
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output.
    #[command(flatten)]
    pub answer: AnswerArgs,
}

/// Arguments of `access`.
#[derive(Debug, clap::Args)]
pub struct AccessArgs {
    /// The identity: user:NAME, group:NAME, sa:NAMESPACE/NAME, or system:serviceaccount:NAMESPACE:NAME.
    #[arg(value_parser = query::parse_subject)]
    pub subject: SubjectId,
    /// Compare with this identity: what each may do that the other may not.
    #[arg(long, value_name = "SUBJECT", value_parser = query::parse_subject)]
    pub diff_with: Option<SubjectId>,
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output.
    #[command(flatten)]
    pub answer: AnswerArgs,
}

/// Arguments of `paths`.
#[derive(Debug, clap::Args)]
pub struct PathsArgs {
    /// Only the route from this subject (user:NAME, group:NAME, sa:NAMESPACE/NAME) or pod (pod/NAMESPACE/NAME).
    #[arg(long, value_name = "FROM", value_parser = query::parse_endpoint)]
    pub from: Option<Endpoint>,
    /// Routes to this instead of cluster-admin-equivalent power: a ServiceAccount (sa:NAMESPACE/NAME), a namespace's Secrets (secrets/NAMESPACE), a node (node/NAME), a cloud identity a ServiceAccount is federated with (cloud for any, cloud:ID for one: an IAM role ARN, a Google service account, an Azure client id), or cluster-admin.
    #[arg(long, value_name = "TO", value_parser = query::parse_endpoint)]
    pub to: Option<Endpoint>,
    /// Only routes of at most N steps.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_hops: Option<u32>,
    /// Also show routes whose every step is granted by the Kubernetes bootstrap policy (its controllers' own roles): by default they are counted in one line, not listed.
    #[arg(long)]
    pub include_defaults: bool,
    /// The default now (kept so that existing scripts work): routes of the bootstrap policy alone are left out unless --include-defaults.
    #[arg(long, hide = true, conflicts_with = "include_defaults")]
    pub exclude_defaults: bool,
    /// The cluster runs on this platform (eks, gke, aks, openshift, kubeadm): routes granted by its own roles and bindings alone are counted like the bootstrap policy's, as `scan --platform` does. Repeatable.
    #[arg(long, value_enum, value_name = "PLATFORM")]
    pub platform: Vec<crate::rbac::platforms::Platform>,
    /// Operator catalog to use instead of the built-in one (operators.yaml): the controllers that act for the writers of their custom resources.
    #[arg(long, value_name = "FILE")]
    pub operators: Option<String>,
    /// Also give the smallest set of grants to remove (whole bindings, or rules within roles) that closes every listed route, with the routes each removal closes. Bootstrap defaults, memberships and pods' tokens are never removed. The graph is built again without them to check that no route is left.
    #[arg(long)]
    pub cut: bool,
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output.
    #[command(flatten)]
    pub answer: AnswerArgs<PathsFormat>,
}

/// Where the objects come from, and how to report progress. Without -f or
/// --demo, the cluster of the current kubeconfig context is listed.
#[derive(Debug, clap::Args)]
pub struct SourceArgs {
    /// Read a cluster dump instead of a live cluster: a file (YAML or JSON, `kubectl get ... -o yaml|json`, `rbacscan dump`), a directory, or - for stdin. Repeatable.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "PATH",
        help_heading = "Input"
    )]
    pub files: Vec<String>,
    /// Scan the demo cluster bundled with rbacscan (examples/demo-cluster.yaml).
    #[arg(long, conflicts_with = "files", help_heading = "Input")]
    pub demo: bool,
    /// Kubeconfig file to use instead of KUBECONFIG or ~/.kube/config (in a pod, the pod's ServiceAccount is used when there is none).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["files", "demo"], help_heading = "Live cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use instead of the current one. `scan` takes it more than once, to scan several clusters at once (one section per cluster).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["files", "demo"], action = ArgAction::Append, help_heading = "Live cluster")]
    pub context: Vec<String>,
    /// `scan` only: scan every context of the kubeconfig at once, one section per cluster; a cluster that cannot be scanned is reported as such (exit 3) and the others' results are kept.
    #[arg(long, conflicts_with_all = ["files", "demo", "context"], help_heading = "Live cluster")]
    pub all_contexts: bool,
    /// Longest wait for one API response (e.g. 30s, 1m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30s", help_heading = "Live cluster")]
    pub request_timeout: Duration,
    /// Longest the whole collection may take; lists not finished by then are reported as missing.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "5m", help_heading = "Live cluster")]
    pub deadline: Duration,
    /// Objects per page when listing.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CHUNK_SIZE, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Live cluster")]
    pub chunk_size: u32,
    /// Also list Secrets, metadata only (names and the ServiceAccount of legacy token secrets; never data), to tell which secret mounts expose ServiceAccount tokens. Needs `list` on secrets.
    #[arg(long, conflicts_with_all = ["files", "demo"], help_heading = "Live cluster")]
    pub secret_metadata: bool,
    /// Show requests, pages, retries and time per resource type on stderr (-vv: every page).
    #[arg(short = 'v', long = "verbose", action = ArgAction::Count, help_heading = "Progress")]
    pub verbose: u8,
    /// No progress spinner and no warnings on stderr (errors are still printed).
    #[arg(
        short = 'q',
        long,
        conflicts_with = "verbose",
        help_heading = "Progress"
    )]
    pub quiet: bool,
}

/// Arguments of `dump`.
#[derive(Debug, clap::Args)]
pub struct DumpArgs {
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Format of the snapshot: a JSON List (the default) or the same as YAML; `scan -f` reads both.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = DumpFormat::Json)]
    pub format: DumpFormat,
    /// Write the snapshot to FILE (atomically) instead of standard output.
    #[arg(long = "output-file", value_name = "FILE")]
    pub output_file: Option<String>,
}

/// Arguments of `unused`.
#[derive(Debug, clap::Args)]
pub struct UnusedArgs {
    /// The API server's audit log: a file (one Event per line, as the log backend writes it; a JSON array or EventList; EKS's CloudWatch export), plain or gzip, or a directory of them (rotated files in any order). Repeatable.
    #[arg(long = "audit-log", value_name = "PATH", required = true)]
    pub audit_logs: Vec<PathBuf>,
    /// Also report bootstrap defaults (the bootstrap policy's bindings) and the control plane's own users.
    #[arg(long)]
    pub include_defaults: bool,
    /// Risk template to rate unused permissions with instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub template: Option<String>,
    /// Write each subject's proposal to DIR/NAME.yaml, as YAML `kubectl apply -f` takes (the directory is created; nothing is applied).
    #[arg(long, value_name = "DIR")]
    pub proposal_dir: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub format: crate::report::unused::UnusedFormat,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<String>,
    /// Lay tables out at N columns (default: the terminal's width, else COLUMNS, else 160).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Arguments of `merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// JSON reports of `rbacscan scan -o json`, one or more per cluster (of several of one cluster, the newest is kept).
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = MergeFormat::Table)]
    pub format: MergeFormat,
    /// Write the fleet report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<String>,
    /// A report whose lists were read longer ago than this is stale (e.g. 36h, 2d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "36h")]
    pub stale_after: Duration,
    /// Exit with code 1 if any cluster has a finding at or above this severity.
    #[arg(long, value_name = "LEVEL")]
    pub fail_on: Option<Severity>,
    /// How tables are laid out.
    #[command(flatten)]
    pub layout: LayoutArgs,
    /// No warnings on stderr (errors are still printed).
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Arguments of `scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Also write the collected objects to FILE as an `rbacscan dump` snapshot.
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<String>,
    /// Risk template to use instead of the built-in one (rbacscan or KubiScan format).
    #[arg(long, value_name = "FILE")]
    pub template: Option<String>,
    /// Operator catalog to use instead of the built-in one (operators.yaml): the controllers that act for the writers of their custom resources.
    #[arg(long, value_name = "FILE")]
    pub operators: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<String>,
    /// Also write the scan's counts to FILE (atomically) in the Prometheus text format, for node-exporter's textfile collector.
    #[arg(long, value_name = "FILE")]
    pub metrics_file: Option<String>,
    /// Only findings that apply in this namespace (cluster-wide ones apply everywhere). Repeatable.
    #[arg(short = 'n', long = "namespace", value_name = "NS", value_parser = parse_namespace)]
    pub namespaces: Vec<String>,
    /// Every namespace (the default without -n).
    #[arg(short = 'A', long, conflicts_with = "namespaces")]
    pub all_namespaces: bool,
    /// Only findings at or above this severity (LOW, MEDIUM, HIGH, CRITICAL); also the hot-pod threshold (default HIGH).
    #[arg(long, value_name = "LEVEL")]
    pub min_severity: Option<Severity>,
    /// Also show findings that involve only the Kubernetes bootstrap policy (objects labelled kubernetes.io/bootstrapping=rbac-defaults that match the policy rbacscan knows). By default they are counted in one line, not listed, and do not count for --fail-on.
    #[arg(long)]
    pub include_defaults: bool,
    /// The default now (kept so that existing scripts work): bootstrap-policy findings are left out unless --include-defaults.
    #[arg(long, hide = true, conflicts_with = "include_defaults")]
    pub exclude_defaults: bool,
    /// The cluster runs on this platform (eks, gke, aks, openshift, kubeadm): its own roles and bindings (by the documented list: name prefix, cluster-scoped or in its system namespaces, bound only to its own identities) are taken as defaults like the bootstrap policy's. Repeatable.
    #[arg(long, value_enum, value_name = "PLATFORM")]
    pub platform: Vec<crate::rbac::platforms::Platform>,
    /// Treat this namespace as privileged, in addition to the template's (default kube-system). Repeatable.
    #[arg(long, value_name = "NS", value_parser = parse_namespace)]
    pub privileged_namespace: Vec<String>,
    /// Exit with code 1 if any finding the report shows is at or above this severity (bootstrap-policy findings only with --include-defaults).
    #[arg(long, value_name = "LEVEL")]
    pub fail_on: Option<Severity>,
    /// A previous JSON report of `scan`: each finding is marked new or unchanged, and those gone are listed as resolved.
    #[arg(long, value_name = "REPORT")]
    pub baseline: Option<String>,
    /// Exit with code 1 if a finding not in the --baseline report is at or above this severity.
    #[arg(long, value_name = "LEVEL", requires = "baseline")]
    pub fail_on_new: Option<Severity>,
    /// A --baseline file that does not exist yet (the first nightly run) is not an error: the scan is not compared, and says so.
    #[arg(long, requires = "baseline")]
    pub baseline_optional: bool,
    /// Findings accepted by an owner, for a reason, until a date (YAML, see the README): suppressed, counted, and kept in JSON with their exception.
    #[arg(long, value_name = "FILE")]
    pub exceptions: Option<String>,
    /// How tables are laid out.
    #[command(flatten)]
    pub layout: LayoutArgs,
}

/// How reports for people are laid out (`scan`, `pods`, `merge`).
#[derive(Debug, clap::Args)]
pub struct LayoutArgs {
    /// Colour the table.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Lay the table out at N columns (default: the terminal's width, else COLUMNS, else 160).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,
    /// Show at most N rows per section (the most severe; for a fleet, of its worst findings), then a line saying how many more.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: u64,
    /// Show every row of every section (no --limit).
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
    /// Tables without their header row.
    #[arg(long)]
    pub no_headers: bool,
}

/// Arguments of `pods`.
#[derive(Debug, clap::Args)]
pub struct PodsArgs {
    /// Everything `scan` takes.
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Only pods on this node (`-` for pods not scheduled yet). Repeatable.
    #[arg(long, value_name = "NODE", value_parser = parse_node)]
    pub node: Vec<String>,
    /// Only pods with an escape amplifier (privileged, hostPID, sensitive hostPath, dangerous capability), whatever their tokens are worth unless --min-severity is given.
    #[arg(long)]
    pub privileged: bool,
    /// One row per workload (a controller, its template and the pods it owns, running or to come) above the bare pods; -o wide names each workload's pods.
    #[arg(long)]
    pub by_workload: bool,
}
