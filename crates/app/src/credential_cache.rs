//! Machine credentials checked from memory: the API keys (with their account), SCIM tokens and
//! OAuth apps a node has read, kept for at most `ttl` and only while the store's credential
//! epoch has not moved ([`gatehouse_domain::store::Store::credential_epoch`]: at once when this
//! node commits a revocation or rotation, within half a second when another node does). The
//! secret is still compared on every request; only the database read is saved. Bounded: at
//! `capacity` entries, an arbitrary one makes room.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use gatehouse_domain::account::Account;
use gatehouse_domain::api_key::ApiKey;
use gatehouse_domain::oauth::OAuthApp;
use gatehouse_domain::scim::ScimToken;

/// How many credentials a node keeps by default, and for how long.
pub const DEFAULT_CAPACITY: usize = 10_000;
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// A credential as last read from the store.
#[derive(Debug, Clone)]
pub(crate) enum Cached {
    ApiKey { key: Box<ApiKey>, account: Box<Account> },
    ScimToken(Box<ScimToken>),
    OAuthApp(Box<OAuthApp>),
}

impl Cached {
    fn mark_used(&mut self, at: DateTime<Utc>) {
        let last = match self {
            Cached::ApiKey { key, .. } => &mut key.last_used_at,
            Cached::ScimToken(t) => &mut t.last_used_at,
            Cached::OAuthApp(a) => &mut a.last_used_at,
        };
        *last = Some(at);
    }
}

struct Entry {
    epoch: u64,
    stored: Instant,
    value: Cached,
}

/// The cache; see the module documentation.
pub(crate) struct CredentialCache {
    capacity: usize,
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CredentialCache {
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        CredentialCache {
            capacity,
            ttl,
            entries: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The credential under `key` if it was read under `epoch` less than `ttl` ago.
    pub(crate) fn get(&self, key: &str, epoch: u64) -> Option<Cached> {
        let found = self.entries.lock().ok().and_then(|mut entries| {
            let fresh = entries.get(key).is_some_and(|e| e.epoch == epoch && e.stored.elapsed() < self.ttl);
            if fresh {
                entries.get(key).map(|e| e.value.clone())
            } else {
                entries.remove(key);
                None
            }
        });
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `value`, read under `epoch` (the epoch taken *before* reading, so a change that
    /// lands meanwhile makes it stale at once).
    pub(crate) fn put(&self, key: String, epoch: u64, value: Cached) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= self.capacity
            && !entries.contains_key(&key)
            && let Some(victim) = entries.keys().next().cloned()
        {
            entries.remove(&victim);
        }
        entries.insert(key, Entry { epoch, stored: Instant::now(), value });
    }

    /// Notes a recorded use, so the next hit does not record it again within the minute.
    pub(crate) fn mark_used(&self, key: &str, at: DateTime<Utc>) {
        if let Ok(mut entries) = self.entries.lock()
            && let Some(e) = entries.get_mut(key)
        {
            e.value.mark_used(at);
        }
    }

    /// Lookups answered from memory, and those that went to the store.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_domain::scim::ScimToken;
    use gatehouse_domain::sid::{OrganizationSid, ScimTokenSid};

    fn token() -> Cached {
        Cached::ScimToken(Box::new(ScimToken {
            sid: ScimTokenSid::generate(),
            organization_sid: OrganizationSid::generate(),
            name: "okta".into(),
            token_hash: "h".into(),
            created_by: None,
            created_at: Utc::now(),
            last_used_at: None,
            revoked_at: None,
        }))
    }

    #[test]
    fn an_entry_lives_for_its_epoch_and_ttl_within_the_capacity() {
        let cache = CredentialCache::new(2, Duration::from_secs(60));
        cache.put("a".into(), 1, token());
        assert!(cache.get("a", 1).is_some());
        assert!(cache.get("a", 2).is_none(), "another epoch: stale");
        assert!(cache.get("a", 1).is_none(), "and forgotten");
        for k in ["a", "b", "c"] {
            cache.put(k.into(), 1, token());
        }
        assert_eq!(cache.entries.lock().unwrap().len(), 2, "never above the capacity");
        assert_eq!(cache.counts(), (1, 2));

        let short = CredentialCache::new(10, Duration::from_millis(0));
        short.put("a".into(), 1, token());
        assert!(short.get("a", 1).is_none(), "past its ttl");
        let none = CredentialCache::new(0, Duration::from_secs(60));
        none.put("a".into(), 1, token());
        assert!(none.get("a", 1).is_none(), "capacity 0 keeps nothing");
    }

    #[test]
    fn a_recorded_use_is_remembered() {
        let cache = CredentialCache::new(2, Duration::from_secs(60));
        cache.put("a".into(), 1, token());
        let at = Utc::now();
        cache.mark_used("a", at);
        match cache.get("a", 1) {
            Some(Cached::ScimToken(t)) => assert_eq!(t.last_used_at, Some(at)),
            other => panic!("{other:?}"),
        }
    }
}
