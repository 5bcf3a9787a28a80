//! What an audit log shows was used: each distinct request with how often
//! and when last, the window the log covers, what was skipped and why, and
//! the resources any read was seen of.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use jiff::Timestamp;

use super::request::RequestRef;
use super::verdict::Skip;

/// A request as a tally keys it: every field an interned string (or list
/// of groups), [`Key::NONE`] where absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Key {
    pub(super) user: u32,
    pub(super) groups: u32,
    pub(super) impersonator: u32,
    pub(super) impersonator_groups: u32,
    pub(super) verb: u32,
    pub(super) api_group: u32,
    pub(super) resource: u32,
    pub(super) subresource: u32,
    pub(super) namespace: u32,
    pub(super) name: u32,
    pub(super) non_resource_url: u32,
    pub(super) reason: u32,
}

impl Key {
    /// An absent field.
    pub(super) const NONE: u32 = u32::MAX;
}

impl From<&Key> for Key {
    fn from(k: &Key) -> Key {
        *k
    }
}

impl Default for Key {
    fn default() -> Key {
        let n = Key::NONE;
        Key {
            user: n,
            groups: n,
            impersonator: n,
            impersonator_groups: n,
            verb: n,
            api_group: n,
            resource: n,
            subresource: n,
            namespace: n,
            name: n,
            non_resource_url: n,
            reason: n,
        }
    }
}

/// How often a request was made, and when last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Uses {
    pub(super) count: u64,
    pub(super) last: Timestamp,
}

/// The time a log covers: its first and last request's reception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The earliest `requestReceivedTimestamp` read.
    pub first: Timestamp,
    /// The latest one.
    pub last: Timestamp,
}

/// What is wrong with an unparseable line or record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Problem {
    /// It is not JSON (or not JSON of the shape an audit record has).
    NotJson,
    /// It is JSON, but not an audit Event (no `auditID`, `stage` or `verb`,
    /// another `kind`, a field of the wrong type, no timestamp).
    NotAnEvent,
}

impl Problem {
    /// In words.
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::NotJson => "not JSON",
            Problem::NotAnEvent => "not an audit Event",
        }
    }
}

/// Where an unparseable line or record was: never what it held.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Unparseable {
    /// The file, as named.
    pub file: String,
    /// Its 1-based line (where the record starts).
    pub line: u64,
    /// What is wrong with it.
    pub problem: Problem,
}

impl fmt::Display for Unparseable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.problem.as_str())
    }
}

/// The figures of a usage besides its requests.
#[derive(Debug)]
pub(super) struct Totals {
    pub(super) window: Option<Window>,
    pub(super) events_read: u64,
    pub(super) requests_counted: u64,
    pub(super) skipped: BTreeMap<Skip, u64>,
    pub(super) unparseable: Vec<Unparseable>,
    pub(super) reads_seen: BTreeSet<(String, String)>,
}

/// What an audit log shows was used (a finished [`super::Tally`]).
pub struct Usage {
    strings: Vec<Box<str>>,
    /// Lists of groups, by index.
    groups: Vec<Box<[Box<str>]>>,
    /// The requests counted at least once, in the order of their fields.
    used: Vec<(Key, Uses)>,
    totals: Totals,
    /// Files found under directories given that are not audit logs.
    not_logs: Vec<String>,
}

/// One distinct request counted, borrowed from a [`Usage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Used<'a> {
    /// The request.
    pub request: RequestRef<'a>,
    /// How many times it was made (each request once, whatever its stages).
    pub count: u64,
    /// When it was last received.
    pub last: Timestamp,
}

impl Usage {
    pub(super) fn new(
        strings: Vec<Box<str>>,
        lists: Vec<Box<[u32]>>,
        keys: Vec<Key>,
        uses: Vec<Uses>,
        totals: Totals,
    ) -> Usage {
        let groups = (lists.iter())
            .map(|l| l.iter().map(|&s| strings[s as usize].clone()).collect())
            .collect();
        // The order of the strings, and of the lists of groups, once: the
        // requests are then sorted by numbers.
        let mut by_string: Vec<u32> = (0..strings.len() as u32).collect();
        by_string.sort_unstable_by_key(|&s| &strings[s as usize]);
        let mut rank = vec![0u32; strings.len()];
        for (r, &s) in by_string.iter().enumerate() {
            rank[s as usize] = r as u32;
        }
        let of = |s: u32| {
            if s == Key::NONE {
                None
            } else {
                Some(rank[s as usize])
            }
        };
        let mut by_list: Vec<u32> = (0..lists.len() as u32).collect();
        by_list.sort_unstable_by(|&a, &b| {
            let ranks = |l: u32| lists[l as usize].iter().map(|&s| rank[s as usize]);
            ranks(a).cmp(ranks(b))
        });
        let mut list_rank = vec![0u32; lists.len()];
        for (r, &l) in by_list.iter().enumerate() {
            list_rank[l as usize] = r as u32;
        }
        let mut used: Vec<(Key, Uses)> = (keys.into_iter().zip(uses))
            .filter(|(_, u)| u.count > 0)
            .collect();
        used.sort_unstable_by_key(|(k, _)| {
            let rank_of = |l: u32| (l != Key::NONE).then(|| list_rank[l as usize]);
            let groups = rank_of(k.groups);
            (
                (
                    of(k.user),
                    groups,
                    of(k.impersonator),
                    rank_of(k.impersonator_groups),
                    of(k.verb),
                    of(k.api_group),
                ),
                (
                    of(k.resource),
                    of(k.subresource),
                    of(k.namespace),
                    of(k.name),
                ),
                (of(k.non_resource_url), of(k.reason)),
            )
        });
        Usage {
            strings,
            groups,
            used,
            totals,
            not_logs: Vec::new(),
        }
    }

    fn string(&self, s: u32) -> Option<&str> {
        (s != Key::NONE).then(|| &*self.strings[s as usize])
    }

    fn request(&self, k: &Key) -> RequestRef<'_> {
        let s = |s| self.string(s).unwrap_or_default();
        RequestRef {
            user: s(k.user),
            groups: match k.groups {
                Key::NONE => &[],
                g => &self.groups[g as usize],
            },
            impersonator: self.string(k.impersonator),
            impersonator_groups: match k.impersonator_groups {
                Key::NONE => &[],
                g => &self.groups[g as usize],
            },
            verb: s(k.verb),
            api_group: s(k.api_group),
            resource: s(k.resource),
            subresource: s(k.subresource),
            namespace: s(k.namespace),
            name: s(k.name),
            non_resource_url: self.string(k.non_resource_url),
            reason: self.string(k.reason),
        }
    }

    /// Every distinct request counted, ordered by user, groups,
    /// impersonator, verb, API group, resource, subresource, namespace,
    /// name, URL and reason.
    pub fn used(&self) -> impl ExactSizeIterator<Item = Used<'_>> {
        self.used.iter().map(|(k, u)| Used {
            request: self.request(k),
            count: u.count,
            last: u.last,
        })
    }

    /// Files found under the directories given that are not audit logs,
    /// and were left out (as their reader names them).
    pub fn not_logs(&self) -> &[String] {
        &self.not_logs
    }

    /// Names the files left out as not audit logs.
    pub fn set_not_logs(&mut self, files: Vec<String>) {
        self.not_logs = files;
    }

    /// The time the log covers; `None` when no event was read.
    pub fn window(&self) -> Option<Window> {
        self.totals.window
    }

    /// Audit events read (every stage of every request, counted or not).
    pub fn events_read(&self) -> u64 {
        self.totals.events_read
    }

    /// Requests counted as uses (the sum of the counts of [`Usage::used`]).
    pub fn requests_counted(&self) -> u64 {
        self.totals.requests_counted
    }

    /// What was not counted, by reason: requests (each once, whatever its
    /// stages), and for [`Skip::Unparseable`] lines or records. Reasons
    /// with none are left out.
    pub fn skipped(&self) -> &BTreeMap<Skip, u64> {
        &self.totals.skipped
    }

    /// The first unparseable lines or records read (at most
    /// [`super::tally::UNPARSEABLE_KEPT`]), in reading order.
    pub fn unparseable(&self) -> &[Unparseable] {
        &self.totals.unparseable
    }

    /// (API group, resource) of every resource any read (`get`, `list`,
    /// `watch`) event was seen of, allowed or not: a resource missing here
    /// may be one whose reads the audit policy does not record.
    pub fn reads_seen(&self) -> &BTreeSet<(String, String)> {
        &self.totals.reads_seen
    }

    /// Whether any read of `resource` in `api_group` was seen.
    pub fn had_reads(&self, api_group: &str, resource: &str) -> bool {
        (self.totals.reads_seen).contains(&(api_group.to_string(), resource.to_string()))
    }
}

impl fmt::Debug for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Usage")
            .field("used", &self.used().collect::<Vec<_>>())
            .field("totals", &self.totals)
            .finish()
    }
}
