//! Snapshots other than the served one, for planners who view them (`?snapshot=NAME`).
//!
//! A snapshot is loaded from the store on first use into the same in-memory [`Served`]
//! structure as the served one (on a store connection of its own, so requests that need
//! the store are not held up) and kept among the most recently used, at most
//! [`ServeOptions::keep_snapshots`](super::ServeOptions) of them: each costs about as much
//! memory as the served snapshot (a few hundred MB for a million addresses). Requests for a
//! snapshot being loaded wait for that one load; a failed load (an unknown name) is not
//! kept. An evicted snapshot is freed when the last request using it ends.
//!
//! Every loaded snapshot gets a generation number of its own (from the counter of the
//! served ones), so tile cache keys, which hold the generation, never mix snapshots.

use super::snapshot::Served;
use super::Current;
use crate::store::{Store, StoreError};
use std::sync::Arc;

/// A slot of a snapshot: empty while it loads.
pub type Slot = Arc<tokio::sync::OnceCell<Arc<Current>>>;

/// Values by name, most recently used first, at most `capacity` of them.
#[derive(Debug)]
pub struct Recent<V> {
    capacity: usize,
    entries: Vec<(String, V)>,
}

impl<V: Clone> Recent<V> {
    pub fn new(capacity: usize) -> Recent<V> {
        Recent {
            capacity: capacity.max(1),
            entries: Vec::new(),
        }
    }

    /// The value of `name`, now the most recently used.
    pub fn get(&mut self, name: &str) -> Option<V> {
        let k = self.entries.iter().position(|(n, _)| n == name)?;
        let e = self.entries.remove(k);
        let v = e.1.clone();
        self.entries.insert(0, e);
        Some(v)
    }

    /// The value of `name`, without marking it used.
    pub fn peek(&self, name: &str) -> Option<&V> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Puts `v` first; returns the values that no longer fit (the least recently used).
    pub fn put(&mut self, name: &str, v: V) -> Vec<V> {
        self.entries.retain(|(n, _)| n != name);
        self.entries.insert(0, (name.to_string(), v));
        self.entries
            .split_off(self.capacity.min(self.entries.len()))
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    }

    /// Takes `name` out when `remove(its value)` is true.
    pub fn remove_if(&mut self, name: &str, remove: impl Fn(&V) -> bool) {
        self.entries.retain(|(n, v)| n != name || !remove(v));
    }

    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(n, _)| n.as_str()).collect()
    }
}

/// Loads snapshot `name` from the store at `url` on a connection of its own.
pub fn load(url: &str, name: &str, generation: u64) -> Result<Current, StoreError> {
    let mut store = Store::open(url)?;
    let served = Served::load(&mut store, Some(name))?;
    tracing::info!(snapshot = %name, units = served.units.len(), seconds = served.load_seconds, "another snapshot loaded for viewing");
    Ok(Current {
        served: Arc::new(served),
        generation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_goes_first() {
        let mut r: Recent<u32> = Recent::new(2);
        assert!(r.put("a", 1).is_empty());
        assert!(r.put("b", 2).is_empty());
        assert_eq!(r.names(), ["b", "a"]);
        // using a makes b the oldest
        assert_eq!(r.get("a"), Some(1));
        assert_eq!(r.put("c", 3), vec![2]);
        assert_eq!(r.names(), ["c", "a"]);
        assert_eq!(r.get("b"), None);
        assert_eq!(r.peek("a"), Some(&1));
        // putting a name again replaces it
        assert!(r.put("a", 4).is_empty());
        assert_eq!(r.names(), ["a", "c"]);
        r.remove_if("a", |v| *v == 1);
        assert_eq!(r.names(), ["a", "c"]);
        r.remove_if("a", |v| *v == 4);
        assert_eq!(r.names(), ["c"]);
        // a capacity of 0 is taken as 1
        let mut one: Recent<u32> = Recent::new(0);
        one.put("x", 1);
        assert_eq!(one.put("y", 2), vec![1]);
    }
}
