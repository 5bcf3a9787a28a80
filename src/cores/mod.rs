//! Pure work split over the machine's cores, with results in the order a
//! single thread would give them: callers see no difference but the time.
//! Built on `std::thread::scope` (no pool, no global state); a panic in a
//! worker is raised again in the caller.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

mod in_turn;
mod pipeline;

pub use in_turn::map_in_turn;
pub use pipeline::pipeline;

/// Runs `a` and `b` at the same time (on one thread when the machine has a
/// single core), and returns both results.
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    if threads() < 2 {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let b = scope.spawn(b);
        let ra = a();
        let rb = b.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (ra, rb)
    })
}

/// `items.iter().map(f).collect()`, with the items cut into one contiguous
/// run per core when there are at least `min_per_thread` items for each
/// (below that, a thread costs more than it saves).
pub fn map<T, R, F>(items: &[T], min_per_thread: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let threads = threads().min(items.len() / min_per_thread.max(1));
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    let mut runs = items.chunks(chunk);
    let first = runs.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let workers: Vec<_> = runs
            .map(|run| scope.spawn(move || run.iter().map(f).collect::<Vec<R>>()))
            .collect();
        // The first run on this thread, straight into the vector of all the
        // results: only the other runs' results are moved.
        let mut out = Vec::with_capacity(items.len());
        out.extend(first.iter().map(f));
        for w in workers {
            out.extend(w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

/// `items.into_iter().map(f).collect()`, cut like [`map`]: for work that
/// takes its items apart rather than copying from them.
pub fn map_owned<T, R, F>(mut items: Vec<T>, min_per_thread: usize, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    let threads = threads().min(items.len() / min_per_thread.max(1));
    if threads < 2 {
        return items.into_iter().map(f).collect();
    }
    let (total, chunk) = (items.len(), items.len().div_ceil(threads));
    // Runs cut from the back, then put back in order: the first is what
    // is left of `items`.
    let mut runs: Vec<Vec<T>> = Vec::with_capacity(threads);
    while items.len() > chunk {
        runs.push(items.split_off(items.len() - chunk));
    }
    runs.reverse();
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = runs
            .into_iter()
            .map(|run| scope.spawn(move || run.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        // The first run (what is left of `items`) on this thread, as in
        // [`map`].
        let mut out = Vec::with_capacity(total);
        out.extend(items.into_iter().map(f));
        for w in workers {
            out.extend(w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

/// Maps batches of items with `f` on every core while `produce` is still
/// making them, then hands the results to `consume`, batch by batch, in the
/// order the batches were made.
///
/// `produce` runs on the calling thread and passes each batch to the
/// function it is given; a worker thread maps batches as they come. If
/// `produce` fails, its error is returned and nothing is consumed. Else
/// `consume` gets what `produce` returned and an iterator over (batch,
/// results): pulling from it maps on the calling thread the next batch the
/// worker has not taken, or waits for the worker's. Once `consume` returns,
/// the worker takes no more batches. At most `ahead` batches are mapped
/// and not yet consumed at any time (at least one), which bounds the memory
/// of results waiting. With a single core, everything runs on the calling
/// thread, one step after the other.
pub fn map_as_produced<T, R, H, E, P, F, C>(
    ahead: usize,
    produce: P,
    f: F,
    consume: C,
) -> Result<(), E>
where
    T: Send + Sync,
    R: Send,
    P: FnOnce(&mut dyn FnMut(Vec<T>)) -> Result<H, E>,
    F: Fn(&T) -> R + Sync,
    C: FnOnce(H, &mut dyn Iterator<Item = (Arc<Vec<T>>, Vec<R>)>) -> Result<(), E>,
{
    if threads() < 2 {
        let mut batches = Vec::new();
        let head = produce(&mut |batch| batches.push(Arc::new(batch)))?;
        let mut mapped = batches.into_iter().map(|batch| {
            let results = batch.iter().map(&f).collect();
            (batch, results)
        });
        return consume(head, &mut mapped);
    }
    let shared = Watched::new(Queue {
        batches: Vec::new(),
        results: Vec::new(),
        next: 0,
        given: 0,
        ahead: ahead.max(1),
        produced: false,
        stop: false,
        worker_gone: false,
    });
    beside(
        || shared.work(&f),
        || {
            // However this thread leaves (a panic in `produce`, `f` or
            // `consume` included), the worker is told to stop.
            let _stop = WhenDropped(&shared, |s| s.stop = true);
            let head = produce(&mut |batch| {
                let mut q = shared.lock();
                q.batches.push(Arc::new(batch));
                q.results.push(None);
                shared.notify();
            })?;
            shared.lock().produced = true;
            shared.notify();
            let mut in_order = InOrder {
                shared: &shared,
                f: &f,
                at: 0,
            };
            consume(head, &mut in_order)
        },
    )
}

/// Runs `caller` on this thread while `worker` runs on another, then waits
/// for the worker: a panic in either reaches the caller with its own
/// message (not the scope's "a scoped thread panicked"). `caller` must see
/// to it that the worker ends once it does.
fn beside<W, C, R>(worker: W, caller: C) -> R
where
    W: FnOnce() + Send,
    C: FnOnce() -> R,
{
    std::thread::scope(|scope| {
        let worker = scope.spawn(worker);
        let r = caller();
        worker
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        r
    })
}

/// The state [`map_as_produced`] shares with its worker.
type Shared<T, R> = Watched<Queue<T, R>>;

/// Batches made so far and their results.
struct Queue<T, R> {
    batches: Vec<Arc<Vec<T>>>,
    /// By batch: its results, once mapped and until consumed.
    results: Vec<Option<Vec<R>>>,
    /// The first batch no thread has taken.
    next: usize,
    /// The batches given to the consumer so far.
    given: usize,
    /// How far beyond `given` batches may be taken.
    ahead: usize,
    /// Whether every batch is made.
    produced: bool,
    /// Whether the worker must take no more batches.
    stop: bool,
    /// Whether the worker has ended (it panicked, or there is nothing left).
    worker_gone: bool,
}

impl<T, R> Watched<Queue<T, R>> {
    /// The worker: maps the next batch nobody has taken, until told to
    /// stop or every batch is taken.
    fn work(&self, f: &(impl Fn(&T) -> R + Sync)) {
        // However it ends, the caller is told that the worker is gone.
        let _gone = WhenDropped(self, |s| s.worker_gone = true);
        loop {
            let (at, batch) = {
                let mut q = self.lock();
                loop {
                    if q.stop || (q.produced && q.next == q.batches.len()) {
                        return;
                    }
                    if q.next < q.batches.len() && q.next < q.given + q.ahead {
                        break;
                    }
                    q = self.wait(q);
                }
                q.next += 1;
                (q.next - 1, Arc::clone(&q.batches[q.next - 1]))
            };
            let results = batch.iter().map(f).collect();
            self.lock().results[at] = Some(results);
            self.notify();
        }
    }
}

/// The batches of [`map_as_produced`] and their results, in order.
struct InOrder<'s, T, R, F> {
    shared: &'s Shared<T, R>,
    f: &'s F,
    /// The next batch to give.
    at: usize,
}

impl<T, R, F: Fn(&T) -> R> Iterator for InOrder<'_, T, R, F> {
    type Item = (Arc<Vec<T>>, Vec<R>);

    fn next(&mut self) -> Option<Self::Item> {
        let mut q = self.shared.lock();
        let at = self.at;
        if at == q.batches.len() {
            return None;
        }
        self.at += 1;
        // The batch given now is no longer waiting: one more may be taken.
        q.given = self.at;
        self.shared.notify();
        loop {
            if let Some(results) = q.results[at].take() {
                return Some((Arc::clone(&q.batches[at]), results));
            }
            // Not taken yet, or taken by a worker that is gone: mapped here.
            if q.next == at || q.worker_gone {
                q.next = q.next.max(at + 1);
                let batch = Arc::clone(&q.batches[at]);
                drop(q);
                let results = batch.iter().map(self.f).collect();
                return Some((batch, results));
            }
            // The worker is on it: rather than wait, map the next batch
            // nobody has taken, and keep its results for later.
            if q.next < q.batches.len() && q.next < q.given + q.ahead {
                let later = q.next;
                q.next += 1;
                let batch = Arc::clone(&q.batches[later]);
                drop(q);
                let results = batch.iter().map(self.f).collect();
                q = self.shared.lock();
                q.results[later] = Some(results);
                continue;
            }
            q = self.shared.wait(q);
        }
    }
}

/// State shared between threads, and a signal for its changes.
struct Watched<S> {
    state: Mutex<S>,
    /// Signalled whenever the state changes.
    changed: Condvar,
}

impl<S> Watched<S> {
    fn new(state: S) -> Watched<S> {
        Watched {
            state: Mutex::new(state),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, S> {
        // A panic while the lock is held is raised again by the scope that
        // joins the threads; the state is never left half-changed.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, state: MutexGuard<'a, S>) -> MutexGuard<'a, S> {
        self.changed
            .wait(state)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes whoever waits for a change.
    fn notify(&self) {
        self.changed.notify_all();
    }
}

/// Changes the state, and wakes whoever waits, when dropped: however the
/// thread that holds it leaves (a panic included).
struct WhenDropped<'s, S>(&'s Watched<S>, fn(&mut S));

impl<S> Drop for WhenDropped<'_, S> {
    fn drop(&mut self) {
        (self.1)(&mut self.0.lock());
        self.0.notify();
    }
}

/// The cores this process may use.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// How many of `n` items each thread takes when they are cut into one run
/// per thread (at least one).
pub fn per_thread(n: usize) -> usize {
    n.div_ceil(threads()).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_the_order_of_the_items() {
        let items: Vec<u64> = (0..10_000).collect();
        let squares = map(&items, 10, |&i| i * i);
        assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
        // Too few items for a thread each: the same, on one thread.
        assert_eq!(map(&items[..5], 10, |&i| i + 1), [1, 2, 3, 4, 5]);
        assert_eq!(map(&[] as &[u64], 1, |&i| i), Vec::<u64>::new());
    }

    #[test]
    fn owned_results_come_in_the_order_of_the_items() {
        for n in [0, 1, 5, 999, 1000, 1001, 10_000] {
            let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            let expected: Vec<usize> = items.iter().map(|s| s.len() * 7 + n).collect();
            assert_eq!(
                map_owned(items, 10, |s| s.len() * 7 + n),
                expected,
                "{n} items"
            );
        }
    }

    #[test]
    fn join_returns_both_results() {
        assert_eq!(join(|| 1 + 1, || "b"), (2, "b"));
    }

    #[test]
    #[should_panic(expected = "worker failed")]
    fn a_panic_in_a_worker_reaches_the_caller() {
        let items: Vec<u32> = (0..1000).collect();
        map(&items, 1, |&i| {
            if i == 999 {
                panic!("worker failed");
            }
            i
        });
    }

    /// Produces `batches` batches of `size` numbers, counting up.
    fn counting(
        batches: usize,
        size: u64,
    ) -> impl FnOnce(&mut dyn FnMut(Vec<u64>)) -> Result<&'static str, String> {
        move |feed| {
            for b in 0..batches as u64 {
                feed((b * size..(b + 1) * size).collect());
            }
            Ok("head")
        }
    }

    #[test]
    fn batches_made_while_mapped_are_consumed_in_order_each_mapped_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        for (batches, size) in [(0, 1), (1, 1), (1, 500), (7, 1), (40, 300)] {
            let calls = AtomicUsize::new(0);
            let mut seen: Vec<(u64, u64)> = Vec::new();
            let outcome = map_as_produced(
                3,
                counting(batches, size),
                |&i| {
                    calls.fetch_add(1, Ordering::Relaxed);
                    i * 3
                },
                |head, results| {
                    assert_eq!(head, "head");
                    for (batch, mapped) in results {
                        assert_eq!(batch.len(), mapped.len());
                        seen.extend(batch.iter().copied().zip(mapped));
                    }
                    Ok(())
                },
            );
            assert_eq!(outcome, Ok(()));
            let total = batches as u64 * size;
            let expected: Vec<(u64, u64)> = (0..total).map(|i| (i, i * 3)).collect();
            assert_eq!(seen, expected, "{batches} batches of {size}");
            assert_eq!(calls.load(Ordering::Relaxed), total as usize);
        }
    }

    #[test]
    fn nothing_is_consumed_when_producing_fails() {
        let produce = |feed: &mut dyn FnMut(Vec<u64>)| -> Result<(), String> {
            feed(vec![1, 2, 3]);
            feed(vec![4]);
            Err("truncated".into())
        };
        let outcome = map_as_produced(2, produce, |&i| i, |_, _| panic!("consumed"));
        assert_eq!(outcome, Err("truncated".to_string()));
    }

    #[test]
    fn consuming_may_stop_early_and_its_error_is_returned() {
        let outcome = map_as_produced(
            4,
            counting(50, 100),
            |&i| i,
            |_, results| {
                let first = results.next().map(|(batch, _)| batch[0]);
                Err(format!("stopped after the batch from {first:?}"))
            },
        );
        assert_eq!(outcome, Err("stopped after the batch from Some(0)".into()));
    }

    #[test]
    #[should_panic(expected = "mapping failed")]
    fn a_panic_while_mapping_batches_reaches_the_caller() {
        let _ = map_as_produced(
            1,
            counting(20, 100),
            |&i| {
                if i == 1234 {
                    panic!("mapping failed");
                }
                i
            },
            |_, results| {
                results.for_each(drop);
                Ok(())
            },
        );
    }

    #[test]
    #[should_panic(expected = "producing failed")]
    fn a_panic_while_producing_reaches_the_caller() {
        let produce = |feed: &mut dyn FnMut(Vec<u64>)| -> Result<(), String> {
            for b in 0..10 {
                feed(vec![b; 100]);
            }
            panic!("producing failed");
        };
        let _ = map_as_produced(1, produce, |&i| i, |_, _| Ok(()));
    }
}
