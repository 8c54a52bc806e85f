//! The client's in-memory copy of what every send reads from its device store: session records,
//! remote identities, sender keys, settings (the sender-key memory) and cached device lists.
//!
//! Why it can be trusted: the [`Client`](super::Client) is the only writer of this state in its store
//! while it runs. Its Signal state, settings and device lists are written only by the client's own
//! send, receive, retry, pairing and notification paths, all of which go through [`DeviceCache`]: batches
//! through [`super::commit::Committer`] (which [`absorbs`](DeviceCache::admit) them when they are
//! queued, before they are committed), device lists through [`DeviceCache::save_device_list`] and
//! [`DeviceCache::delete_device_list`], wipes through [`DeviceCache::invalidate`]. The gateway and the
//! MCP server read history and contacts through [`Client::store`](super::Client::store) but write none
//! of the cached kinds. Two clients running over the same device store at once are not supported (they
//! would fork the ratchets even without a cache).
//!
//! Entries hold what the store will hold once every queued batch is committed, so a send encrypts
//! against the ratchets of the sends queued before it. If a commit fails, the committer drops the whole
//! cache and bumps its generation; a step that read the cache before that (its generation is older) is
//! refused when it tries to queue its changes, so nothing derived from uncommitted state is stored or
//! sent. A miss loads from the store and keeps the value only if nothing was written or dropped
//! meanwhile.
//!
//! Bounded: past [`MAX_ENTRIES`] of one kind, the entries whose value the store already holds (loaded
//! from it, or written by a batch that has committed) are dropped; they are read again on their next
//! use. Entries of batches still queued are never dropped: the store does not have them yet. So a client
//! that talks to many peers holds a few thousand records at most, not one per peer it ever met.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

use super::lock;
use crate::crypto::PublicKey;
use crate::jid::Jid;
use crate::signal::group::SenderKeyRecord;
use crate::signal::session::SessionRecord;
use crate::signal::{ProtocolAddress, SenderKeyName};
use crate::store::{Changes, DeviceList, Store, StoreError};

/// Most entries of one kind before the committed ones are dropped.
const MAX_ENTRIES: usize = 1024;

/// Known values per key (`None`: known to be absent from the store), each with the sequence number of
/// the batch that wrote it (0: read from or written straight to the store).
#[derive(Debug)]
struct Known<K, V> {
    entries: HashMap<K, (Option<V>, u64)>,
    /// The size at which the next eviction runs: past [`MAX_ENTRIES`], and past twice what the last one
    /// had to keep, so a cache full of queued entries is not scanned on every insert.
    evict_at: usize,
}

impl<K, V> Default for Known<K, V> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            evict_at: MAX_ENTRIES,
        }
    }
}

impl<K: Eq + Hash, V> Known<K, V> {
    fn get(&self, key: &K) -> Option<&Option<V>> {
        self.entries.get(key).map(|(value, _)| value)
    }

    /// Keeps `value` for `key`, written by batch `seq`; then, if the kind grew too large, drops what the
    /// store holds (written by batches up to `committed`).
    fn insert(&mut self, key: K, value: Option<V>, seq: u64, committed: u64) {
        self.entries.insert(key, (value, seq));
        if self.entries.len() > self.evict_at {
            self.entries.retain(|_, (_, written)| *written > committed);
            self.evict_at = MAX_ENTRIES.max(self.entries.len() * 2);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
}

#[derive(Debug, Default)]
struct CacheState {
    /// Bumped when the cache is dropped after a failed commit or a wipe.
    generation: u64,
    /// Bumped by every write of a cached kind, so a miss whose load raced a write does not keep what it loaded.
    writes: u64,
    /// Why the cache was last dropped, for the steps refused because they read it before.
    last_failure: Option<StoreError>,
    /// The sequence number of the last admitted batch.
    admitted: u64,
    /// Every batch up to this sequence number is committed.
    committed: u64,
    sessions: Known<ProtocolAddress, SessionRecord>,
    identities: Known<ProtocolAddress, PublicKey>,
    sender_keys: Known<SenderKeyName, SenderKeyRecord>,
    settings: Known<String, Vec<u8>>,
    device_lists: Known<Jid, DeviceList>,
}

impl CacheState {
    /// Takes in batch `seq`'s writes.
    fn absorb(&mut self, changes: &Changes, seq: u64) {
        let touches_cache = !(changes.identities.is_empty()
            && changes.deleted_sessions.is_empty()
            && changes.sessions.is_empty()
            && changes.deleted_sender_keys.is_empty()
            && changes.sender_keys.is_empty()
            && changes.deleted_device_lists.is_empty()
            && changes.device_lists.is_empty()
            && changes.settings.is_empty());
        if !touches_cache {
            // A status update or a message alone: misses loading meanwhile may keep what they load.
            return;
        }
        self.writes += 1;
        let committed = self.committed;
        // Same order as `TransactionalStore::apply`: deletions of a kind before its upserts.
        for (address, identity) in &changes.identities {
            self.identities
                .insert(address.clone(), Some(*identity), seq, committed);
        }
        for address in &changes.deleted_sessions {
            self.sessions.insert(address.clone(), None, seq, committed);
        }
        for (address, record) in &changes.sessions {
            self.sessions
                .insert(address.clone(), Some(record.clone()), seq, committed);
        }
        for name in &changes.deleted_sender_keys {
            self.sender_keys.insert(name.clone(), None, seq, committed);
        }
        for (name, record) in &changes.sender_keys {
            self.sender_keys
                .insert(name.clone(), Some(record.clone()), seq, committed);
        }
        for user in &changes.deleted_device_lists {
            self.device_lists.insert(user.clone(), None, seq, committed);
        }
        for list in &changes.device_lists {
            self.device_lists
                .insert(list.user.clone(), Some(list.clone()), seq, committed);
        }
        for (key, value) in &changes.settings {
            self.settings
                .insert(key.clone(), Some(value.clone()), seq, committed);
        }
    }

    fn clear(&mut self) {
        self.generation += 1;
        self.writes += 1;
        self.sessions.clear();
        self.identities.clear();
        self.sender_keys.clear();
        self.settings.clear();
        self.device_lists.clear();
    }
}

/// See the [module docs](self).
#[derive(Debug, Default)]
pub(super) struct DeviceCache {
    state: Mutex<CacheState>,
}

/// Holds the cache while an admitted step is queued.
pub(super) struct Admitted<'a> {
    _state: MutexGuard<'a, CacheState>,
    seq: u64,
}

impl Admitted<'_> {
    /// The batch's sequence number: report it to [`DeviceCache::committed`] once it is stored.
    pub(super) fn seq(&self) -> u64 {
        self.seq
    }
}

/// A step refused because it read the cache before a failed commit dropped it.
#[derive(Debug)]
pub(super) struct Stale(pub(super) StoreError);

impl DeviceCache {
    fn lock(&self) -> MutexGuard<'_, CacheState> {
        lock(&self.state)
    }

    /// The generation a step reads under: pass it to [`Self::admit`] with the step's changes.
    pub(super) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Takes `changes` into the cache, unless the cache was dropped since generation `read_at`
    /// (`None`: the step read nothing cached). Hand the changes to the committer before dropping the
    /// returned guard, so steps queue in the order they entered the cache.
    pub(super) fn admit(&self, changes: &Changes, read_at: Option<u64>) -> Result<Admitted<'_>, Stale> {
        let mut state = self.lock();
        if let Some(read_at) = read_at
            && read_at != state.generation
        {
            let reason = state
                .last_failure
                .clone()
                .unwrap_or(StoreError::Missing("the device cache was dropped"));
            return Err(Stale(reason));
        }
        state.admitted += 1;
        let seq = state.admitted;
        state.absorb(changes, seq);
        Ok(Admitted { _state: state, seq })
    }

    /// Every batch up to `seq` is committed: their entries may be dropped when the cache is full.
    pub(super) fn committed(&self, seq: u64) {
        let mut state = self.lock();
        state.committed = state.committed.max(seq);
    }

    /// Drops everything (a commit failed with `reason`, or the device was wiped) and runs `drain`
    /// under the same lock, so no step can queue between the two.
    pub(super) fn invalidate<T>(&self, reason: Option<StoreError>, drain: impl FnOnce() -> T) -> T {
        let mut state = self.lock();
        state.clear();
        if reason.is_some() {
            state.last_failure = reason;
        }
        drain()
    }

    /// A known value, or the one `load` reads from the store (kept if nothing was written meanwhile).
    async fn read<K, V>(
        &self,
        pick: fn(&mut CacheState) -> &mut Known<K, V>,
        key: &K,
        load: impl Future<Output = Result<Option<V>, StoreError>>,
    ) -> Result<Option<V>, StoreError>
    where
        K: Eq + Hash + Clone,
        V: Clone,
    {
        let writes = {
            let mut state = self.lock();
            if let Some(known) = pick(&mut state).get(key) {
                return Ok(known.clone());
            }
            state.writes
        };
        let loaded = load.await?;
        let mut state = self.lock();
        if state.writes == writes {
            let committed = state.committed;
            pick(&mut state).insert(key.clone(), loaded.clone(), 0, committed);
        }
        Ok(loaded)
    }

    pub(super) async fn session(
        &self,
        store: &dyn Store,
        address: &ProtocolAddress,
    ) -> Result<Option<SessionRecord>, StoreError> {
        self.read(|s| &mut s.sessions, address, store.load_session(address))
            .await
    }

    pub(super) async fn identity(
        &self,
        store: &dyn Store,
        address: &ProtocolAddress,
    ) -> Result<Option<PublicKey>, StoreError> {
        self.read(|s| &mut s.identities, address, store.remote_identity(address))
            .await
    }

    pub(super) async fn sender_key(
        &self,
        store: &dyn Store,
        name: &SenderKeyName,
    ) -> Result<Option<SenderKeyRecord>, StoreError> {
        self.read(|s| &mut s.sender_keys, name, store.load_sender_key(name))
            .await
    }

    pub(super) async fn setting(&self, store: &dyn Store, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|s| &mut s.settings, &key.to_owned(), store.setting(key))
            .await
    }

    pub(super) async fn device_list(
        &self,
        store: &dyn Store,
        user: &Jid,
    ) -> Result<Option<DeviceList>, StoreError> {
        self.read(|s| &mut s.device_lists, user, store.device_list(user))
            .await
    }

    /// Stores a fetched device list and caches it. On a failed write the cache forgets the user too,
    /// so both ask the server again next time.
    pub(super) async fn save_device_list(
        &self,
        store: &dyn Store,
        list: &DeviceList,
    ) -> Result<(), StoreError> {
        let saved = store.save_device_list(list).await;
        let mut state = self.lock();
        state.writes += 1;
        let value = saved.is_ok().then(|| list.clone());
        let committed = state.committed;
        state.device_lists.insert(list.user.clone(), value, 0, committed);
        saved
    }

    /// Forgets a user's device list in the store and here (even when the store write fails: then the
    /// next send asks the server, which is what a missing entry means).
    pub(super) async fn delete_device_list(&self, store: &dyn Store, user: &Jid) -> Result<(), StoreError> {
        let deleted = store.delete_device_list(user).await;
        let mut state = self.lock();
        state.writes += 1;
        let committed = state.committed;
        state.device_lists.insert(user.clone(), None, 0, committed);
        deleted
    }
}

#[cfg(test)]
mod tests {
    use pollster::block_on;

    use super::*;
    use crate::store::{ContactStore, ListedDevice, MemoryStore, SettingsStore};

    fn list(user: &Jid, devices: &[u16]) -> DeviceList {
        DeviceList {
            user: user.clone(),
            devices: devices
                .iter()
                .map(|&device| ListedDevice {
                    device,
                    key_index: None,
                })
                .collect(),
            fetched_at: 1,
        }
    }

    #[test]
    fn admitted_changes_are_read_before_they_are_stored() {
        let store = MemoryStore::empty();
        let cache = DeviceCache::default();
        assert_eq!(block_on(cache.setting(&store, "k")).unwrap(), None);
        let mut changes = Changes::new();
        changes.settings.push(("k".into(), b"v".to_vec()));
        drop(cache.admit(&changes, Some(cache.generation())).unwrap());
        assert_eq!(block_on(cache.setting(&store, "k")).unwrap(), Some(b"v".to_vec()));
        assert_eq!(
            block_on(store.setting("k")).unwrap(),
            None,
            "the cache wrote nothing"
        );
    }

    #[test]
    fn a_step_that_read_before_an_invalidation_is_refused() {
        let store = MemoryStore::empty();
        let cache = DeviceCache::default();
        let read_at = cache.generation();
        let mut changes = Changes::new();
        changes.settings.push(("k".into(), b"v".to_vec()));
        drop(cache.admit(&changes, Some(read_at)).unwrap());
        let drained = cache.invalidate(Some(StoreError::Invalid("disk full")), || 3);
        assert_eq!(drained, 3);
        let refused = cache.admit(&changes, Some(read_at));
        assert!(matches!(refused, Err(Stale(StoreError::Invalid("disk full")))));
        // The dropped value is read from the store again (where it never arrived).
        assert_eq!(block_on(cache.setting(&store, "k")).unwrap(), None);
        // Steps that read afterwards are admitted.
        assert!(cache.admit(&changes, Some(cache.generation())).is_ok());
    }

    fn setting_batch(key: &str, value: &[u8]) -> Changes {
        let mut changes = Changes::new();
        changes.settings.push((key.to_owned(), value.to_vec()));
        changes
    }

    #[test]
    fn past_the_bound_committed_entries_are_dropped_and_queued_ones_kept() {
        let store = MemoryStore::empty();
        let cache = DeviceCache::default();
        let first = MAX_ENTRIES + 10;
        // Queued, never committed: all kept past the bound (the store has none of them).
        let mut last_seq = 0;
        for n in 0..first {
            last_seq = cache
                .admit(&setting_batch(&format!("old{n}"), b"1"), None)
                .unwrap()
                .seq();
        }
        assert_eq!(cache.lock().settings.len(), first);
        assert_eq!(
            block_on(cache.setting(&store, "old0")).unwrap(),
            Some(b"1".to_vec())
        );
        // Committed (stored, as the committer does, then reported).
        for n in 0..first {
            block_on(store.save_setting(&format!("old{n}"), b"1")).unwrap();
        }
        cache.committed(last_seq);
        // New queued entries: at the next eviction the committed ones go, the queued ones stay.
        let mut added = 0;
        while cache.lock().settings.len() > added {
            drop(
                cache
                    .admit(&setting_batch(&format!("new{added}"), b"2"), None)
                    .unwrap(),
            );
            added += 1;
            assert!(added <= 2 * first, "no eviction happened");
        }
        assert_eq!(cache.lock().settings.len(), added);
        // Every value still reads right: dropped ones from the store, queued ones from the cache.
        for n in [0, first / 2, first - 1] {
            assert_eq!(
                block_on(cache.setting(&store, &format!("old{n}"))).unwrap(),
                Some(b"1".to_vec())
            );
        }
        assert_eq!(block_on(store.setting("new0")).unwrap(), None);
        assert_eq!(
            block_on(cache.setting(&store, "new0")).unwrap(),
            Some(b"2".to_vec())
        );
    }

    #[test]
    fn device_lists_follow_writes_and_deletions() {
        let store = MemoryStore::empty();
        let cache = DeviceCache::default();
        let user = Jid::parse("15550002222@s.whatsapp.net").unwrap();
        assert_eq!(block_on(cache.device_list(&store, &user)).unwrap(), None);
        block_on(cache.save_device_list(&store, &list(&user, &[0, 3]))).unwrap();
        assert_eq!(
            block_on(cache.device_list(&store, &user)).unwrap(),
            Some(list(&user, &[0, 3]))
        );
        assert_eq!(
            block_on(store.device_list(&user)).unwrap(),
            Some(list(&user, &[0, 3]))
        );
        block_on(cache.delete_device_list(&store, &user)).unwrap();
        assert_eq!(block_on(cache.device_list(&store, &user)).unwrap(), None);
        assert_eq!(block_on(store.device_list(&user)).unwrap(), None);
    }
}
