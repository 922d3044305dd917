//! A bounded key/value store whose entries expire.
//!
//! Every piece of per-flow state (sessions, interactions, codes, access
//! tokens) lives in one of these. Two guarantees hold whatever the traffic:
//! an entry is never returned after its expiry (measured on the injected
//! [`Clock`](crate::clock::Clock)), and the store never holds more than its
//! capacity (the oldest entries are evicted first).

use std::collections::VecDeque;
use std::hash::BuildHasher as _;

use hashbrown::{DefaultHashBuilder, HashTable};
use parking_lot::Mutex;

/// What an entry weighs, in bytes, for a store's byte budget. The default
/// counts the value's inline size; values holding strings a caller chose
/// (a `state`, a `nonce`) add their lengths.
pub trait Weigh {
    fn weight(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

impl Weigh for String {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + self.len()
    }
}

impl Weigh for i32 {}

impl Weigh for std::sync::Arc<str> {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + self.len()
    }
}

/// A shared value weighs what it holds (plus the pointer): stores of large
/// values hold them behind an `Arc`, so that a read clones no strings.
impl<T: Weigh> Weigh for std::sync::Arc<T> {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + (**self).weight()
    }
}

impl Weigh for serde_json::Value {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + self.to_string().len()
    }
}

/// Byte budget of a store unless its owner sets one.
pub const DEFAULT_BYTES: usize = 16 * 1024 * 1024;

/// A bounded map from string keys to values with a per-entry expiry.
#[derive(Debug)]
pub struct ExpiringStore<V> {
    capacity: usize,
    max_bytes: usize,
    inner: Mutex<Inner<V>>,
}

/// The entries in a hash table keyed by their key's hash (a hasher seeded at
/// random per store, so that keys a caller chooses, such as a `state`, cannot
/// be made to collide), and their insertion order as (hash, sequence,
/// expiry) triples: eviction finds an entry by its unique sequence number
/// and never copies a key, and a read's sweep sees from the queue alone
/// that the oldest entry has not expired (an entry's expiry never changes:
/// [`ExpiringStore::update`] keeps it, a new insertion gets a new number).
#[derive(Debug)]
struct Inner<V> {
    table: HashTable<Entry<V>>,
    hasher: DefaultHashBuilder,
    /// (key hash, seq, expiry) in insertion order, for eviction and sweeps;
    /// may hold triples of entries already removed, which are skipped and
    /// compacted away.
    order: VecDeque<(u64, u64, i64)>,
    next_seq: u64,
    /// Sum of the live entries' weights (key and value).
    bytes: usize,
}

#[derive(Debug)]
struct Entry<V> {
    key: String,
    value: V,
    expires_at_ms: i64,
    seq: u64,
    weight: usize,
}

impl<V> Inner<V> {
    fn hash(&self, key: &str) -> u64 {
        self.hasher.hash_one(key)
    }

    fn get(&self, key: &str) -> Option<&Entry<V>> {
        self.table.find(self.hash(key), |e| e.key == key)
    }

    /// Removes `key`, keeping the byte count true.
    fn remove(&mut self, key: &str) -> Option<Entry<V>> {
        let hash = self.hash(key);
        let (e, _) = self.table.find_entry(hash, |e| e.key == key).ok()?.remove();
        self.bytes = self.bytes.saturating_sub(e.weight);
        Some(e)
    }

    /// Removes the entry inserted as number `seq`, if still held.
    fn remove_seq(&mut self, hash: u64, seq: u64) {
        if let Ok(found) = self.table.find_entry(hash, |e| e.seq == seq) {
            let (e, _) = found.remove();
            self.bytes = self.bytes.saturating_sub(e.weight);
        }
    }

    /// Drops entries expired for over [`SWEEP_GRACE_MS`] from the oldest
    /// end, at most [`SWEEP_STEP`] per call, and stops at the first that is
    /// not: the queue's expiry tells, without a look into the table. Called
    /// on every read, it keeps a store whose entries share one lifetime near
    /// its live size instead of creeping up to its capacity; the grace lets
    /// a late caller still hear "expired" rather than "unknown".
    fn sweep_front(&mut self, now_ms: i64) {
        let now_ms = now_ms.saturating_sub(SWEEP_GRACE_MS);
        for _ in 0..SWEEP_STEP {
            let Some(&(hash, seq, expires_at_ms)) = self.order.front() else {
                return;
            };
            if expires_at_ms > now_ms {
                return;
            }
            self.remove_seq(hash, seq);
            self.order.pop_front();
        }
    }
}

/// Most entries a [`presized`](ExpiringStore::presized) store makes room for at once.
const PRESIZE_MAX: usize = 1 << 16;

/// Entries examined per read by [`Inner::sweep_front`].
const SWEEP_STEP: usize = 4;

/// How long after its expiry an entry may still be swept away by others' reads.
const SWEEP_GRACE_MS: i64 = 60_000;

impl<V: Clone + Weigh> ExpiringStore<V> {
    /// A store holding at most `capacity` live entries weighing
    /// [`DEFAULT_BYTES`] in all.
    pub fn new(capacity: usize) -> Self {
        Self::with_budget(capacity, DEFAULT_BYTES)
    }

    /// A store holding at most `capacity` live entries weighing `max_bytes`
    /// in all (keys included): whatever callers send, the oldest entries go
    /// first.
    pub fn with_budget(capacity: usize, max_bytes: usize) -> Self {
        Self::sized(capacity, max_bytes, 0)
    }

    /// Like [`with_budget`](Self::with_budget), with room made at once for
    /// the capacity (up to 65,536 entries), for the stores every
    /// login writes: a table that grows is copied whole at each doubling, a
    /// pause for every request behind it and ~2 µs per login over a fresh
    /// server's first seconds (`bench/pinned.sh`'s profile). Each such store
    /// costs its table's control bytes (one per slot) at start.
    pub fn presized(capacity: usize, max_bytes: usize) -> Self {
        Self::sized(capacity, max_bytes, capacity.clamp(1, PRESIZE_MAX))
    }

    fn sized(capacity: usize, max_bytes: usize, room: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            max_bytes,
            inner: Mutex::new(Inner {
                table: HashTable::with_capacity(room),
                hasher: DefaultHashBuilder::default(),
                order: VecDeque::with_capacity(room),
                next_seq: 0,
                bytes: 0,
            }),
        }
    }

    /// Inserts or replaces `key`, valid until `expires_at_ms`.
    pub fn insert(&self, key: String, value: V, expires_at_ms: i64) {
        let weight = ENTRY_OVERHEAD + key.len() + value.weight();
        let mut inner = self.inner.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let hash = inner.hash(&key);
        inner.order.push_back((hash, seq, expires_at_ms));
        inner.bytes += weight;
        let entry = Entry {
            key,
            value,
            expires_at_ms,
            seq,
            weight,
        };
        // One probe finds the key's slot, held or free.
        let Inner {
            table, hasher, bytes, ..
        } = &mut *inner;
        match table.entry(hash, |e| e.key == entry.key, |e| hasher.hash_one(e.key.as_str())) {
            hashbrown::hash_table::Entry::Occupied(mut held) => {
                *bytes = bytes.saturating_sub(held.get().weight);
                *held.get_mut() = entry;
            }
            hashbrown::hash_table::Entry::Vacant(free) => {
                free.insert(entry);
            }
        }
        while inner.table.len() > self.capacity || (inner.bytes > self.max_bytes && inner.table.len() > 1) {
            let Some((old_hash, old_seq, _)) = inner.order.pop_front() else {
                break;
            };
            inner.remove_seq(old_hash, old_seq);
        }
        if inner.order.len() > inner.table.len().saturating_mul(2) + 16 {
            let Inner { table, order, .. } = &mut *inner;
            order.retain(|&(h, s, _)| table.find(h, |e| e.seq == s).is_some());
        }
    }

    /// The value for `key` if present and not expired at `now_ms`.
    pub fn get(&self, key: &str, now_ms: i64) -> Option<V> {
        let mut inner = self.inner.lock();
        let found = match inner.get(key) {
            Some(e) if e.expires_at_ms > now_ms => Some(e.value.clone()),
            Some(_) => {
                inner.remove(key);
                None
            }
            None => None,
        };
        inner.sweep_front(now_ms);
        found
    }

    /// Like [`get`](Self::get), but tells an expired entry from an unknown one
    /// (an expired entry is removed).
    pub fn lookup(&self, key: &str, now_ms: i64) -> Lookup<V> {
        let mut inner = self.inner.lock();
        let found = match inner.get(key) {
            Some(e) if e.expires_at_ms > now_ms => Lookup::Live(e.value.clone()),
            Some(_) => {
                inner.remove(key);
                Lookup::Expired
            }
            None => Lookup::Missing,
        };
        inner.sweep_front(now_ms);
        found
    }

    /// Removes `key` and returns its value if it was present and not expired.
    pub fn take(&self, key: &str, now_ms: i64) -> Option<V> {
        let mut inner = self.inner.lock();
        let e = inner.remove(key);
        inner.sweep_front(now_ms);
        e.filter(|e| e.expires_at_ms > now_ms).map(|e| e.value)
    }

    /// Removes `key`: its value if live, or how long ago it expired (an
    /// expired entry stays readable as such for a grace period after its
    /// expiry, unless evicted first).
    pub fn take_checked(&self, key: &str, now_ms: i64) -> Taken<V> {
        let mut inner = self.inner.lock();
        let e = inner.remove(key);
        inner.sweep_front(now_ms);
        match e {
            Some(e) if e.expires_at_ms > now_ms => Taken::Live(e.value),
            Some(e) => Taken::Expired {
                ms_ago: now_ms - e.expires_at_ms,
            },
            None => Taken::Missing,
        }
    }

    /// Removes `key` whatever its state.
    pub fn remove(&self, key: &str) {
        self.inner.lock().remove(key);
    }

    /// Applies `f` to the live value of `key`, keeping its expiry; returns
    /// `None` if absent or expired. The entry is weighed again afterwards.
    pub fn update<R>(&self, key: &str, now_ms: i64, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        let mut inner = self.inner.lock();
        let hash = inner.hash(key);
        let Inner { table, bytes, .. } = &mut *inner;
        let found = table.find_entry(hash, |e| e.key == key).ok()?;
        if found.get().expires_at_ms <= now_ms {
            let (e, _) = found.remove();
            *bytes = bytes.saturating_sub(e.weight);
            return None;
        }
        let e = found.into_mut();
        let out = f(&mut e.value);
        let (old, new) = (e.weight, ENTRY_OVERHEAD + key.len() + e.value.weight());
        e.weight = new;
        *bytes = bytes.saturating_sub(old) + new;
        Some(out)
    }

    /// Drops every expired entry.
    pub fn purge_expired(&self, now_ms: i64) {
        let mut inner = self.inner.lock();
        let Inner { table, bytes, .. } = &mut *inner;
        table.retain(|e| {
            let keep = e.expires_at_ms > now_ms;
            if !keep {
                *bytes = bytes.saturating_sub(e.weight);
            }
            keep
        });
    }

    /// Number of entries currently held (expired ones included until purged).
    pub fn len(&self) -> usize {
        self.inner.lock().table.len()
    }

    /// Bytes currently held, as weighed for the budget.
    pub fn bytes(&self) -> usize {
        self.inner.lock().bytes
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes everything.
    pub fn clear(&self) {
        let mut inner = self.inner.lock();
        inner.table.clear();
        inner.order.clear();
        inner.bytes = 0;
    }
}

/// What an entry costs besides its key and value: the table slot and the
/// order queue's (hash, sequence, expiry) triple.
const ENTRY_OVERHEAD: usize = 64;

/// The result of [`ExpiringStore::take_checked`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken<V> {
    Live(V),
    /// Expired this many milliseconds ago.
    Expired {
        ms_ago: i64,
    },
    Missing,
}

/// The result of [`ExpiringStore::lookup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<V> {
    Live(V),
    Expired,
    Missing,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_capacity_holds() {
        let store: ExpiringStore<i32> = ExpiringStore::new(3);
        store.insert("a".into(), 1, 100);
        assert_eq!(store.get("a", 50), Some(1));
        assert_eq!(store.lookup("a", 100), Lookup::Expired);
        assert_eq!(store.lookup("a", 100), Lookup::Missing);
        store.insert("a".into(), 1, 100);
        assert_eq!(store.get("a", 100), None);
        for i in 0..10 {
            store.insert(format!("k{i}"), i, 1000);
        }
        assert_eq!(store.len(), 3);
        assert_eq!(store.get("k9", 0), Some(9));
        assert_eq!(store.get("k0", 0), None);
        assert_eq!(store.take("k9", 0), Some(9));
        assert_eq!(store.take("k9", 0), None);
    }

    #[test]
    fn the_byte_budget_holds_whatever_the_entries_weigh() {
        let store: ExpiringStore<String> = ExpiringStore::with_budget(1_000_000, 1 << 20);
        for i in 0..2000 {
            store.insert(format!("k{i}-{}", "s".repeat(30_000)), "v".repeat(30_000), 1000);
        }
        assert!(store.bytes() <= 1 << 20, "{}", store.bytes());
        assert!(store.len() >= 5, "{}", store.len());
        // The newest is kept; updates and removals keep the count true.
        let newest = format!("k1999-{}", "s".repeat(30_000));
        assert!(store.get(&newest, 0).is_some());
        store.update(&newest, 0, |v| v.push_str(&"w".repeat(10_000)));
        store.remove(&newest);
        store.clear();
        assert_eq!(store.bytes(), 0);
        store.insert("a".into(), "b".into(), 10);
        store.purge_expired(20);
        assert_eq!(store.bytes(), 0);
    }

    #[test]
    fn eviction_takes_the_oldest_live_entry_not_a_replaced_one() {
        let store: ExpiringStore<i32> = ExpiringStore::new(2);
        store.insert("a".into(), 1, 1000);
        store.insert("b".into(), 2, 1000);
        // "a" again: its first insertion is stale in the order queue.
        store.insert("a".into(), 3, 1000);
        store.insert("c".into(), 4, 1000);
        assert_eq!(store.get("b", 0), None, "b was the oldest live entry");
        assert_eq!(store.get("a", 0), Some(3));
        assert_eq!(store.get("c", 0), Some(4));
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn order_queue_stays_bounded_under_churn() {
        let store: ExpiringStore<i32> = ExpiringStore::new(10);
        for i in 0..10_000 {
            let k = format!("k{}", i % 5);
            store.insert(k.clone(), i, 1000);
            store.remove(&k);
        }
        assert!(store.inner.lock().order.len() <= 36);
    }

    #[test]
    fn reads_sweep_expired_entries_from_the_old_end() {
        let store: ExpiringStore<i32> = ExpiringStore::new(1000);
        for i in 0..100 {
            store.insert(format!("old{i}"), i, 100);
        }
        store.insert("young".into(), 0, 1_000_000);
        // Each read past the expiry drops a few of the oldest entries…
        // (not before they have been expired for the grace period)…
        assert_eq!(store.get("young", 200), Some(0));
        assert_eq!(store.len(), 101);
        for _ in 0..30 {
            assert_eq!(store.get("young", 100 + SWEEP_GRACE_MS + 1), Some(0));
        }
        // …until only the live one is left; the live one is never dropped.
        assert_eq!(store.len(), 1);
        // An expired entry still reads as expired, not as unknown, when asked for.
        store.insert("late".into(), 1, 300);
        assert_eq!(store.lookup("late", 400), Lookup::Expired);
        store.insert("later".into(), 2, 300);
        assert_eq!(store.take_checked("later", 450), Taken::Expired { ms_ago: 150 });
        assert_eq!(store.take_checked("later", 450), Taken::Missing);
    }
}
