//! The tally of an audit log being read: requests counted by what they
//! were (user, groups, impersonator, verb, object or URL, reason) with
//! their count and last time, what was skipped and why, and the requests
//! already seen, by audit ID, so that each counts once whatever its stages
//! and whatever the order of the files.
//!
//! Memory grows with the distinct requests of the log (interned: each
//! string stored once), plus 24 bytes for each request's ID.
//!
//! Two tallies merge ([`Tally::merge`]), the second read after the first,
//! as if its events had been added after the first's: workers tally chunks
//! of a log, and the chunks are merged in order. [`Tally::finish`] counts
//! the requests still undecided and gives the [`Usage`].

use std::collections::{BTreeMap, BTreeSet};

use hashbrown::hash_map::Entry;
use hashbrown::{HashMap, HashSet};
use jiff::Timestamp;

use super::audit_id::AuditId;
use super::event::Event;
use super::intern::Interner;
use super::request::RequestRef;
use super::usage::{Key, Problem, Unparseable, Usage, Uses, Window};
use super::verdict::{Skip, Verdict};

/// Where a tally's unparseable lines stood ([`Tally::mark`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    count: u64,
    kept: usize,
}

/// How many unparseable positions are kept.
pub const UNPARSEABLE_KEPT: usize = 5;

type RandomState = foldhash::fast::RandomState;

/// The tally of the events read so far.
#[derive(Debug, Default)]
pub struct Tally {
    names: Names,
    /// Every request seen, by audit ID.
    requests: HashMap<AuditId, Seen, RandomState>,
    /// When each undecided request was received.
    pending: HashMap<AuditId, Timestamp, RandomState>,
    counted: u64,
    events_read: u64,
    window: Option<Window>,
    skipped: [u64; Skip::ALL.len()],
    unparseable: Vec<Unparseable>,
    /// (API group, resource) of every resource read seen, as interned strings.
    reads: HashSet<(u32, u32), RandomState>,
}

/// The interned strings, group lists and requests, with each request's uses.
#[derive(Debug, Default)]
struct Names {
    strings: Interner<Box<str>>,
    lists: Interner<Box<[u32]>>,
    keys: Interner<Key>,
    /// By key.
    uses: Vec<Uses>,
    /// A list of groups being interned.
    scratch: Vec<u32>,
}

/// What became of a request seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    /// The request's key, when counted or pending.
    key: u32,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Allowed, and counted under `key`.
    Counted,
    /// No event of it carried a decision yet: it will count under `key`
    /// unless one says otherwise.
    Pending,
    /// Not a use.
    Skipped(Skip),
}

impl Names {
    fn string(&mut self, s: &str) -> u32 {
        self.strings.intern(s)
    }

    fn optional(&mut self, s: Option<&str>) -> u32 {
        s.map_or(Key::NONE, |s| self.string(s))
    }

    /// The key of an event's request (which names a user: the verdict was
    /// not `NoUser`).
    fn key(&mut self, event: &Event<'_>) -> u32 {
        let Some(r) = RequestRef::of(event) else {
            return self.key_of(&Key::default());
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        scratch.extend(r.groups.iter().map(|g| self.string(g)));
        let groups = self.lists.intern(&scratch[..]);
        let impersonator_groups = if r.impersonator.is_some() {
            scratch.clear();
            scratch.extend(r.impersonator_groups.iter().map(|g| self.string(g)));
            self.lists.intern(&scratch[..])
        } else {
            Key::NONE
        };
        self.scratch = scratch;
        let key = Key {
            user: self.string(r.user),
            groups,
            impersonator: self.optional(r.impersonator),
            impersonator_groups,
            verb: self.string(r.verb),
            api_group: self.string(r.api_group),
            resource: self.string(r.resource),
            subresource: self.string(r.subresource),
            namespace: self.string(r.namespace),
            name: self.string(r.name),
            non_resource_url: self.optional(r.non_resource_url),
            reason: self.optional(r.reason),
        };
        self.key_of(&key)
    }

    fn key_of(&mut self, key: &Key) -> u32 {
        let k = self.keys.intern(key);
        if k as usize == self.uses.len() {
            self.uses.push(Uses {
                count: 0,
                last: Timestamp::MIN,
            });
        }
        k
    }

    /// What becomes of a request not decided before, given an event's
    /// verdict: counted under the event's key (a later stage may name what
    /// the first did not, such as the name of an object created), pending
    /// under it, or skipped.
    fn decide(&mut self, verdict: Verdict, event: &Event<'_>, at: Timestamp) -> Seen {
        match verdict {
            Verdict::Allowed => {
                let key = self.key(event);
                self.count(key, at);
                Seen {
                    key,
                    state: State::Counted,
                }
            }
            Verdict::Undecided => Seen {
                key: self.key(event),
                state: State::Pending,
            },
            Verdict::Skipped(skip) => Seen {
                key: Key::NONE,
                state: State::Skipped(skip),
            },
        }
    }

    fn count(&mut self, key: u32, at: Timestamp) {
        let uses = &mut self.uses[key as usize];
        uses.count += 1;
        uses.last = uses.last.max(at);
    }
}

impl Tally {
    /// An empty tally.
    pub fn new() -> Tally {
        Tally::default()
    }

    /// Adds one event, read after every event added so far. Fails, adding
    /// nothing, when it is not an audit Event ([`Event::is_event`]) or has
    /// no readable time.
    pub fn add(&mut self, event: &Event<'_>) -> Result<(), Problem> {
        if !event.is_event() {
            return Err(Problem::NotAnEvent);
        }
        let (Some(id), Some(at)) = (event.audit_id.as_deref(), event.at()) else {
            return Err(Problem::NotAnEvent);
        };
        self.events_read += 1;
        self.widen(Window {
            first: at,
            last: at,
        });
        if let Some(o) = &event.object_ref
            && super::request::READ_VERBS.contains(&event.verb.as_deref().unwrap_or_default())
        {
            let group = self
                .names
                .string(o.api_group.as_deref().unwrap_or_default());
            let resource = self.names.string(o.resource.as_deref().unwrap_or_default());
            self.reads.insert((group, resource));
        }
        let verdict = Verdict::of(event);
        let id = AuditId::of(id);
        let seen = match self.requests.entry(id) {
            // Decided already, or undecided again: nothing new.
            Entry::Occupied(seen)
                if seen.get().state != State::Pending || verdict == Verdict::Undecided =>
            {
                return Ok(());
            }
            Entry::Occupied(mut seen) => {
                self.pending.remove(&id);
                let decided = self.names.decide(verdict, event, at);
                *seen.get_mut() = decided;
                decided
            }
            Entry::Vacant(slot) => *slot.insert(self.names.decide(verdict, event, at)),
        };
        match seen.state {
            State::Counted => self.counted += 1,
            State::Pending => {
                self.pending.insert(id, at);
            }
            State::Skipped(skip) => self.skipped[skip as usize] += 1,
        }
        Ok(())
    }

    /// Counts a line or record that is not JSON or not an audit Event, at
    /// `line` of `file` (1-based); the first [`UNPARSEABLE_KEPT`] are kept.
    pub fn add_unparseable(&mut self, file: &str, line: u64, problem: Problem) {
        self.skipped[Skip::Unparseable as usize] += 1;
        if self.unparseable.len() < UNPARSEABLE_KEPT {
            self.unparseable.push(Unparseable {
                file: file.to_string(),
                line,
                problem,
            });
        }
    }

    /// The events read so far.
    pub fn events_read(&self) -> u64 {
        self.events_read
    }

    /// The lines or records counted as unparseable so far.
    pub fn unparseable_count(&self) -> u64 {
        self.skipped[Skip::Unparseable as usize]
    }

    /// The first unparseable positions (at most [`UNPARSEABLE_KEPT`]).
    pub fn unparseable(&self) -> &[Unparseable] {
        &self.unparseable
    }

    /// Where the unparseable lines stand now, for [`Tally::forget_since`].
    pub fn mark(&self) -> Mark {
        Mark {
            count: self.unparseable_count(),
            kept: self.unparseable.len(),
        }
    }

    /// Forgets the unparseable lines counted since `mark`, when what was
    /// read since held lines only, no Event: a file that turned out not to
    /// be a log.
    pub fn forget_since(&mut self, mark: Mark) {
        self.skipped[Skip::Unparseable as usize] = mark.count;
        self.unparseable.truncate(mark.kept);
    }

    fn widen(&mut self, w: Window) {
        self.window = Some(match self.window {
            None => w,
            Some(o) => Window {
                first: o.first.min(w.first),
                last: o.last.max(w.last),
            },
        });
    }

    /// Adds `later`, read after everything in `self`: the result is the
    /// tally of `self`'s events followed by `later`'s. A request decided in
    /// both is kept as `self` decided it; one undecided in `self` takes
    /// `later`'s decision.
    pub fn merge(&mut self, later: Tally) {
        let Tally {
            names: theirs,
            requests,
            pending,
            counted,
            events_read,
            window,
            skipped,
            unparseable,
            reads,
        } = later;
        // Their strings, lists and keys, in ours.
        let strings: Vec<u32> = (theirs.strings.items().iter())
            .map(|s| self.names.string(s))
            .collect();
        let lists: Vec<u32> = (theirs.lists.items().iter())
            .map(|l| {
                let mapped: Vec<u32> = l.iter().map(|&s| strings[s as usize]).collect();
                self.names.lists.intern(&mapped[..])
            })
            .collect();
        let string = |s: u32| {
            if s == Key::NONE {
                Key::NONE
            } else {
                strings[s as usize]
            }
        };
        let list = |l: u32| {
            if l == Key::NONE {
                Key::NONE
            } else {
                lists[l as usize]
            }
        };
        let keys: Vec<u32> = (theirs.keys.items().iter().zip(&theirs.uses))
            .map(|(k, uses)| {
                let mapped = Key {
                    user: string(k.user),
                    groups: list(k.groups),
                    impersonator: string(k.impersonator),
                    impersonator_groups: list(k.impersonator_groups),
                    verb: string(k.verb),
                    api_group: string(k.api_group),
                    resource: string(k.resource),
                    subresource: string(k.subresource),
                    namespace: string(k.namespace),
                    name: string(k.name),
                    non_resource_url: string(k.non_resource_url),
                    reason: string(k.reason),
                };
                let key = self.names.key_of(&mapped);
                let ours = &mut self.names.uses[key as usize];
                ours.count += uses.count;
                if uses.count > 0 {
                    ours.last = ours.last.max(uses.last);
                }
                key
            })
            .collect();
        self.counted += counted;
        for (ours, theirs) in self.skipped.iter_mut().zip(skipped) {
            *ours += theirs;
        }
        self.events_read += events_read;
        if let Some(w) = window {
            self.widen(w);
        }
        let room = UNPARSEABLE_KEPT.saturating_sub(self.unparseable.len());
        self.unparseable.extend(unparseable.into_iter().take(room));
        self.reads.extend(
            reads
                .into_iter()
                .map(|(g, r)| (strings[g as usize], strings[r as usize])),
        );
        // Their requests: a request decided on both sides keeps our
        // decision, and theirs is taken back from the counts.
        for (id, seen) in requests {
            let seen = Seen {
                key: if seen.key == Key::NONE {
                    Key::NONE
                } else {
                    keys[seen.key as usize]
                },
                state: seen.state,
            };
            match self.requests.entry(id) {
                Entry::Vacant(slot) => {
                    slot.insert(seen);
                    if seen.state == State::Pending
                        && let Some(&at) = pending.get(&id)
                    {
                        self.pending.insert(id, at);
                    }
                }
                Entry::Occupied(mut ours) => match (ours.get().state, seen.state) {
                    (_, State::Pending) => {}
                    (State::Pending, _) => {
                        self.pending.remove(&id);
                        *ours.get_mut() = seen;
                    }
                    (_, State::Counted) => {
                        let uses = &mut self.names.uses[seen.key as usize];
                        uses.count -= 1;
                        self.counted -= 1;
                    }
                    (_, State::Skipped(skip)) => self.skipped[skip as usize] -= 1,
                },
            }
        }
    }

    /// The usage: the tally, with every request still undecided (seen only
    /// at `RequestReceived`, or a watch still open at the end of the log)
    /// counted as allowed.
    pub fn finish(mut self) -> Usage {
        let pending = std::mem::take(&mut self.pending);
        for (id, at) in pending {
            if let Some(seen) = self.requests.get(&id)
                && seen.state == State::Pending
            {
                self.names.count(seen.key, at);
                self.counted += 1;
            }
        }
        drop(self.requests);
        let strings = self.names.strings.into_items();
        let reads_seen: BTreeSet<(String, String)> = (self.reads.iter())
            .map(|&(g, r)| {
                (
                    strings[g as usize].to_string(),
                    strings[r as usize].to_string(),
                )
            })
            .collect();
        let skipped: BTreeMap<Skip, u64> = (Skip::ALL.iter().zip(self.skipped))
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| (*s, n))
            .collect();
        Usage::new(
            strings,
            self.names.lists.into_items(),
            self.names.keys.into_items(),
            self.names.uses,
            super::usage::Totals {
                window: self.window,
                events_read: self.events_read,
                requests_counted: self.counted,
                skipped,
                unparseable: self.unparseable,
                reads_seen,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Request;

    const A: &str = "ad209ce1-9e24-4c34-9c35-f8aa61d4f2a4";
    const B: &str = "0a3a2f5e-1111-4c34-9c35-f8aa61d4f2a4";
    const SA: &str = r#""user":{"username":"system:serviceaccount:shop:ci","groups":["system:serviceaccounts","system:serviceaccounts:shop","system:authenticated"]}"#;
    const ALLOW: &str = r#""annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"ci/shop\" of Role \"ci\" to ServiceAccount \"ci/shop\""}"#;
    const FORBID: &str = r#""annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}"#;

    /// An event of request `id` at `stage`, received at second `t` of the
    /// day, with `fields` (the user, objectRef, status, annotations).
    fn event(id: &str, stage: &str, t: u32, fields: &str) -> String {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"{stage}","requestURI":"/api/v1/namespaces/shop/pods","verb":"list","objectRef":{{"resource":"pods","namespace":"shop","apiVersion":"v1"}},"requestReceivedTimestamp":"2024-05-01T10:00:{t:02}.000001Z","stageTimestamp":"2024-05-01T10:00:{t:02}.500000Z",{fields}}}"#
        )
    }

    fn tally(events: &[String]) -> Tally {
        let mut t = Tally::new();
        for e in events {
            t.add(&serde_json::from_str(e).unwrap()).unwrap();
        }
        t
    }

    /// The requests counted, as (request, count).
    fn used(u: &Usage) -> Vec<(Request, u64)> {
        u.used()
            .map(|used| (used.request.to_request(used.last), used.count))
            .collect()
    }

    fn skipped(u: &Usage, s: Skip) -> u64 {
        u.skipped().get(&s).copied().unwrap_or(0)
    }

    fn received_and_complete(id: &str, t: u32, status: &str, annotations: &str) -> [String; 2] {
        [
            event(id, "RequestReceived", t, SA),
            event(
                id,
                "ResponseComplete",
                t,
                &format!(
                    r#"{SA},"responseStatus":{{"metadata":{{}},"code":{status}}},{annotations}"#
                ),
            ),
        ]
    }

    #[test]
    fn both_stages_of_a_request_count_once() {
        let u = tally(&received_and_complete(A, 1, "200", ALLOW)).finish();
        assert_eq!(u.events_read(), 2);
        assert_eq!(u.requests_counted(), 1);
        let used = used(&u);
        assert_eq!(used.len(), 1);
        let (r, count) = &used[0];
        assert_eq!(*count, 1);
        assert_eq!(r.user, "system:serviceaccount:shop:ci");
        assert_eq!(
            (&*r.verb, &*r.resource, &*r.namespace),
            ("list", "pods", "shop")
        );
        assert_eq!(
            r.reason.as_deref(),
            Some(
                r#"RBAC: allowed by RoleBinding "ci/shop" of Role "ci" to ServiceAccount "ci/shop""#
            )
        );
        assert_eq!(
            r.at,
            "2024-05-01T10:00:01.000001Z".parse::<Timestamp>().unwrap()
        );
        assert!(u.skipped().is_empty());
        assert!(u.had_reads("", "pods"));
    }

    #[test]
    fn a_watch_counts_once_open_or_closed() {
        let watch = |id, stage, t| {
            let fields = format!(r#"{SA},"responseStatus":{{"metadata":{{}},"code":200}},{ALLOW}"#);
            event(id, stage, t, &fields).replace(r#""verb":"list""#, r#""verb":"watch""#)
        };
        let u = tally(&[
            event(A, "RequestReceived", 1, SA).replace(r#""verb":"list""#, r#""verb":"watch""#),
            watch(A, "ResponseStarted", 1),
            watch(B, "ResponseStarted", 2),
            watch(A, "ResponseComplete", 1),
        ])
        .finish();
        assert_eq!(u.requests_counted(), 2);
        let used = used(&u);
        assert_eq!(used.len(), 1);
        assert_eq!(used[0].1, 2);
        assert_eq!(used[0].0.verb, "watch");
        assert_eq!(
            used[0].0.at,
            "2024-05-01T10:00:02.000001Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn a_request_seen_only_when_received_counts_when_the_tally_is_finished() {
        let t = tally(&[event(A, "RequestReceived", 1, SA)]);
        assert_eq!(t.counted, 0);
        let u = t.finish();
        assert_eq!(u.requests_counted(), 1);
        // Its reason is unknown: the authorizer had not run.
        assert_eq!(used(&u)[0].0.reason, None);
    }

    #[test]
    fn denied_requests_are_not_uses_whatever_their_stages_or_order() {
        let forbid = received_and_complete(A, 1, "403", FORBID);
        let plain_403 = received_and_complete(B, 2, "403", r#""annotations":{}"#);
        for events in [
            vec![forbid[0].clone(), forbid[1].clone()],
            vec![forbid[1].clone(), forbid[0].clone()],
            vec![forbid[1].clone()],
            plain_403.to_vec(),
            vec![plain_403[1].clone(), plain_403[0].clone()],
        ] {
            let u = tally(&events).finish();
            assert_eq!(u.requests_counted(), 0, "{events:?}");
            assert_eq!(u.used().len(), 0);
            assert_eq!(skipped(&u, Skip::Denied), 1);
            // A denied read is still a read the policy records.
            assert!(u.had_reads("", "pods"));
        }
    }

    #[test]
    fn the_deciding_stage_gives_the_request_its_name() {
        let create = |stage, name: &str, fields: &str| {
            event(A, stage, 1, &format!("{SA}{fields}"))
                .replace(r#""verb":"list""#, r#""verb":"create""#)
                .replace(
                    r#""namespace":"shop","#,
                    &format!(r#""namespace":"shop",{name}"#),
                )
        };
        let received = create("RequestReceived", "", "");
        let complete = create(
            "ResponseComplete",
            r#""name":"web-1","#,
            &format!(r#","responseStatus":{{"code":201}},{ALLOW}"#),
        );
        for events in [
            [received.clone(), complete.clone()],
            [complete.clone(), received.clone()],
        ] {
            let u = tally(&events).finish();
            let used = used(&u);
            assert_eq!(used.len(), 1);
            assert_eq!(used[0].0.name, "web-1");
        }
    }

    #[test]
    fn merged_tallies_equal_one_tally_of_the_same_events() {
        let mut events: Vec<String> = Vec::new();
        events.extend(received_and_complete(A, 1, "200", ALLOW));
        events.extend(received_and_complete(B, 2, "403", FORBID));
        events.push(event("c-not-a-uuid", "RequestReceived", 3, SA));
        events.push(event(
            "d",
            "ResponseComplete",
            4,
            r#""user":{"username":"system:anonymous"},"responseStatus":{"code":401}"#,
        ));
        let whole = tally(&events).finish();
        for split in 0..=events.len() {
            for swap in [false, true] {
                let (first, second) = events.split_at(split);
                let (first, second) = if swap {
                    (second, first)
                } else {
                    (first, second)
                };
                let mut t = tally(first);
                t.merge(tally(second));
                let merged = t.finish();
                assert_eq!(
                    used(&merged),
                    used(&whole),
                    "split at {split}, swapped {swap}"
                );
                assert_eq!(merged.requests_counted(), whole.requests_counted());
                assert_eq!(merged.skipped(), whole.skipped());
                assert_eq!(merged.events_read(), whole.events_read());
                assert_eq!(merged.window(), whole.window());
                assert_eq!(merged.reads_seen(), whole.reads_seen());
            }
        }
        assert_eq!(whole.requests_counted(), 2);
        assert_eq!(skipped(&whole, Skip::Denied), 1);
        assert_eq!(skipped(&whole, Skip::Unauthenticated), 1);
        let w = whole.window().unwrap();
        assert_eq!(
            w.first,
            "2024-05-01T10:00:01.000001Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            w.last,
            "2024-05-01T10:00:04.000001Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn the_first_unparseable_positions_are_kept_and_all_counted() {
        let mut t = Tally::new();
        for line in 1..=7 {
            t.add_unparseable("a.log", line, Problem::NotJson);
        }
        let mut later = Tally::new();
        later.add_unparseable("b.log", 1, Problem::NotAnEvent);
        t.merge(later);
        let u = t.finish();
        assert_eq!(skipped(&u, Skip::Unparseable), 8);
        let lines: Vec<u64> = u.unparseable().iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 5]);
        assert_eq!(u.unparseable()[0].to_string(), "a.log:1: not JSON");
        let mut t = Tally::new();
        assert_eq!(
            t.add(&serde_json::from_str(r#"{"apiVersion":"v1","kind":"Pod"}"#).unwrap()),
            Err(Problem::NotAnEvent)
        );
        assert_eq!(t.events_read(), 0);
    }
}
