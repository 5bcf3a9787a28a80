//! Pure work split over the machine's cores, with results in the order a
//! single thread would give them: callers see no difference but the time.
//! Built on `std::thread::scope` (no pool, no global state); a panic in a
//! worker is raised again in the caller.

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
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|run| scope.spawn(move || run.iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
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
    // Runs cut from the back, then put back in order.
    let mut runs: Vec<Vec<T>> = Vec::with_capacity(threads);
    while items.len() > chunk {
        runs.push(items.split_off(items.len() - chunk));
    }
    runs.push(items);
    runs.reverse();
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = runs
            .into_iter()
            .map(|run| scope.spawn(move || run.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out = Vec::with_capacity(total);
        for w in workers {
            out.extend(w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

/// The cores this process may use.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
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
}
