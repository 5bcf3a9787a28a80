//! Interning: each distinct value (a user name, a list of groups, a
//! request) stored once and named by its index, so that a tally's memory
//! grows with the distinct values of a log, not with its length.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;

/// Distinct values of `T`, each named by its index (in the order first
/// seen). Hashed with a per-process random seed: the values come from the
/// log, which a client may shape.
#[derive(Clone, Default)]
pub(super) struct Interner<T> {
    table: HashTable<u32>,
    items: Vec<T>,
    state: foldhash::fast::RandomState,
}

impl<T: Hash + Eq> Interner<T> {
    /// The index of `value`, stored as a `T` the first time.
    pub(super) fn intern<Q>(&mut self, value: &Q) -> u32
    where
        T: Borrow<Q> + for<'q> From<&'q Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.state.hash_one(value);
        let items = &self.items;
        if let Some(&i) = self
            .table
            .find(hash, |&i| items[i as usize].borrow() == value)
        {
            return i;
        }
        // More than 2³² distinct values would not fit in memory first.
        let i = self.items.len() as u32;
        self.items.push(T::from(value));
        let (items, state) = (&self.items, &self.state);
        self.table.insert_unique(hash, i, |&j| {
            state.hash_one(Borrow::<Q>::borrow(&items[j as usize]))
        });
        i
    }

    /// Every value, by index.
    pub(super) fn items(&self) -> &[T] {
        &self.items
    }

    /// The values, by index, without the table.
    pub(super) fn into_items(self) -> Vec<T> {
        self.items
    }
}

impl<T> std::fmt::Debug for Interner<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Interner({} values)", self.items.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_get_one_index() {
        let mut strings: Interner<Box<str>> = Interner::default();
        let a = strings.intern("alice");
        let b = strings.intern("bob");
        assert_eq!(strings.intern("alice"), a);
        assert_ne!(a, b);
        assert_eq!(&*strings.items()[b as usize], "bob");
        let mut lists: Interner<Box<[u32]>> = Interner::default();
        let l = lists.intern(&[1, 2][..]);
        assert_eq!(lists.intern(&[1, 2][..]), l);
        assert_ne!(lists.intern(&[2, 1][..]), l);
        for i in 0..10_000u32 {
            let n = strings.intern(i.to_string().as_str());
            assert_eq!(*strings.items()[n as usize], i.to_string());
        }
        assert_eq!(strings.items().len(), 10_002);
    }
}
