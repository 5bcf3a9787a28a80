//! Few items of very uneven cost, each taken by the first thread free.

use std::sync::{Mutex, PoisonError};

/// `items.into_iter().map(f).collect()`, for a few items of very uneven
/// cost (the checks): each thread takes the next item nobody has taken as
/// soon as it is done with its last, so a long item does not hold back the
/// run of items that [`super::map_owned`] would have cut with it. The
/// calling thread is one of the workers; results are in the items' order.
pub fn map_in_turn<T, R, F>(items: Vec<T>, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    let threads = super::threads().min(items.len());
    if threads < 2 {
        return items.into_iter().map(f).collect();
    }
    let left = Mutex::new(items.into_iter().enumerate());
    let work = || {
        let mut done = Vec::new();
        loop {
            let next = left.lock().unwrap_or_else(PoisonError::into_inner).next();
            let Some((at, item)) = next else { break };
            done.push((at, f(item)));
        }
        done
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut done = work();
        for w in others {
            done.extend(w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        done
    });
    done.sort_unstable_by_key(|&(at, _)| at);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_the_order_of_the_items_whatever_their_cost() {
        let items: Vec<u64> = (0..200).collect();
        let out = map_in_turn(items.clone(), |i| {
            if i % 50 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            i * 3
        });
        assert_eq!(out, items.iter().map(|i| i * 3).collect::<Vec<_>>());
    }

    #[test]
    fn every_item_is_taken_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = AtomicUsize::new(0);
        let out = map_in_turn(vec!["a".to_string(); 37], |s| {
            calls.fetch_add(1, Ordering::Relaxed);
            s.len()
        });
        assert_eq!((out.len(), calls.into_inner()), (37, 37));
        assert!(map_in_turn(Vec::<u8>::new(), |b| b).is_empty());
    }

    #[test]
    #[should_panic(expected = "an item failed")]
    fn a_panic_in_an_item_is_raised_in_the_caller() {
        map_in_turn((0..8).collect(), |i: u32| {
            assert!(i != 5, "an item failed");
            i
        });
    }
}
