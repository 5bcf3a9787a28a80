//! Work in three steps, the middle one on every core: each item is
//! prepared in order on the calling thread, mapped on whichever core is
//! free, and its result consumed in order on the calling thread, the three
//! interleaved. A result is consumed as soon as it and those before it are
//! ready, so few wait: at most `ahead` items are prepared and not yet
//! consumed.
//!
//! For work whose first step must run in order on one thread (it holds
//! state, such as a document's tables) and whose middle step is the costly
//! one.

use std::collections::VecDeque;

use super::{Watched, WhenDropped};

/// Runs `prepare`, `map` and `consume` on `items` (see the module's
/// documentation). The first error of `prepare` or `consume` stops the
/// work and is returned; a panic in any step reaches the caller. With a
/// single core, each item goes through the three steps before the next.
pub fn pipeline<I, P, R, E>(
    items: I,
    ahead: usize,
    mut prepare: impl FnMut(I::Item) -> Result<P, E>,
    map: impl Fn(P) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    I: Iterator,
    P: Send,
    R: Send,
{
    if super::threads() < 2 {
        for item in items {
            consume(map(prepare(item)?))?;
        }
        return Ok(());
    }
    let shared: Shared<P, R> = Watched::new(State {
        jobs: VecDeque::new(),
        results: VecDeque::new(),
        consumed: 0,
        done: false,
        worker_gone: false,
    });
    let ahead = ahead.max(1);
    super::beside(
        || shared.work(&map),
        || {
            // However this thread leaves, the worker is told to stop.
            let _stop = WhenDropped(&shared, |s| s.done = true);
            let mut items = items.peekable();
            let mut prepared = 0;
            loop {
                // Whatever is ready, in order.
                while let Some(r) = shared.ready() {
                    consume(r)?;
                }
                let consumed = shared.lock().consumed;
                if items.peek().is_some() && prepared - consumed < ahead {
                    let Some(item) = items.next() else { continue };
                    let job = prepare(item)?;
                    let mut s = shared.lock();
                    s.jobs.push_back((prepared, job));
                    s.results.push_back(None);
                    prepared += 1;
                    drop(s);
                    shared.notify();
                    continue;
                }
                let mut s = shared.lock();
                if items.peek().is_none() && s.consumed == prepared {
                    return Ok(());
                }
                if s.results.front().is_some_and(Option::is_some) {
                    continue;
                }
                // Help: map the next job nobody has taken; else wait.
                if let Some((at, job)) = s.jobs.pop_front() {
                    drop(s);
                    let r = map(job);
                    shared.put(at, r);
                    continue;
                }
                if s.worker_gone {
                    // It panicked with a job in hand: its panic is raised
                    // again once this thread returns.
                    return Ok(());
                }
                drop(shared.wait(s));
            }
        },
    )
}

/// What the calling thread shares with the worker.
type Shared<P, R> = Watched<State<P, R>>;

struct State<P, R> {
    /// Prepared and not taken, with their positions.
    jobs: VecDeque<(usize, P)>,
    /// From the first not consumed on: each result once mapped.
    results: VecDeque<Option<R>>,
    /// How many were consumed: the position of `results`' first.
    consumed: usize,
    /// Whether the worker must stop.
    done: bool,
    /// Whether the worker has ended.
    worker_gone: bool,
}

impl<P, R> Watched<State<P, R>> {
    /// The next result in order, if it is ready.
    fn ready(&self) -> Option<R> {
        let mut s = self.lock();
        if !s.results.front().is_some_and(Option::is_some) {
            return None;
        }
        s.consumed += 1;
        s.results.pop_front().flatten()
    }

    /// Puts the result of the job at `at`.
    fn put(&self, at: usize, r: R) {
        let mut s = self.lock();
        let i = at - s.consumed;
        s.results[i] = Some(r);
        drop(s);
        self.notify();
    }

    /// The worker: maps the first job nobody has taken, until told to stop.
    fn work(&self, map: &(impl Fn(P) -> R + Sync)) {
        // However it ends, the caller is told that the worker is gone.
        let _gone = WhenDropped(self, |s| s.worker_gone = true);
        loop {
            let (at, job) = {
                let mut s = self.lock();
                loop {
                    if s.done {
                        return;
                    }
                    if let Some(job) = s.jobs.pop_front() {
                        break job;
                    }
                    s = self.wait(s);
                }
            };
            let r = map(job);
            self.put(at, r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_item_is_prepared_mapped_and_consumed_once_in_order() {
        for (n, ahead) in [(0, 1), (1, 1), (2, 1), (7, 3), (500, 4), (500, 1000)] {
            let mapped = AtomicUsize::new(0);
            let mut prepared = Vec::new();
            let mut consumed = Vec::new();
            let outcome: Result<(), ()> = pipeline(
                0..n,
                ahead,
                |i| {
                    prepared.push(i);
                    Ok(i * 2)
                },
                |p| {
                    mapped.fetch_add(1, Ordering::Relaxed);
                    p + 1
                },
                |r| {
                    consumed.push(r);
                    Ok(())
                },
            );
            assert_eq!(outcome, Ok(()));
            assert_eq!(prepared, (0..n).collect::<Vec<_>>());
            assert_eq!(consumed, (0..n).map(|i| i * 2 + 1).collect::<Vec<_>>());
            assert_eq!(mapped.load(Ordering::Relaxed), n);
        }
    }

    #[test]
    fn at_most_ahead_items_wait_to_be_consumed() {
        let waiting = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let outcome: Result<(), ()> = pipeline(
            0..300,
            3,
            |i| {
                let now = waiting.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                Ok(i)
            },
            |p| p,
            |_| {
                waiting.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            },
        );
        assert_eq!(outcome, Ok(()));
        assert!(most.load(Ordering::SeqCst) <= 3);
    }

    #[test]
    fn the_first_error_stops_the_work() {
        let mut consumed = 0;
        let outcome = pipeline(
            0..1000,
            4,
            |i| if i == 500 { Err("prepare") } else { Ok(i) },
            |p| p,
            |_| {
                consumed += 1;
                Ok(())
            },
        );
        assert_eq!(outcome, Err("prepare"));
        assert!(consumed <= 500);
        let outcome = pipeline(
            0..1000,
            4,
            Ok,
            |p| p,
            |r| if r == 7 { Err(r) } else { Ok(()) },
        );
        assert_eq!(outcome, Err(7));
    }

    #[test]
    #[should_panic(expected = "mapping failed")]
    fn a_panic_while_mapping_reaches_the_caller() {
        let _: Result<(), ()> = pipeline(
            0..1000,
            2,
            Ok,
            |p: usize| {
                if p == 600 {
                    panic!("mapping failed");
                }
                p
            },
            |_| Ok(()),
        );
    }
}
