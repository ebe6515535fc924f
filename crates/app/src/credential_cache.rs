//! Machine credentials checked from memory: the API keys (with their account), SCIM tokens and
//! OAuth apps a node has read, kept for at most `ttl` and only while the store's credential
//! epoch has not moved ([`gatehouse_domain::store::Store::credential_epoch`]: at once when this
//! node commits a revocation or rotation, within half a second when another node does). The
//! secret is still compared on every request; only the database read is saved. Bounded: at
//! `capacity` entries, an arbitrary one makes room.
//!
//! It also holds the uses waiting to be written: a credential's `last_used_at` (and a session's
//! `last_seen_at`) is recorded at most once a [`USE_RESOLUTION`] per credential, by
//! [`crate::App::record_credential_uses`] in one transaction off the request path.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use gatehouse_domain::account::Account;
use gatehouse_domain::api_key::ApiKey;
use gatehouse_domain::oauth::OAuthApp;
use gatehouse_domain::scim::ScimToken;
use gatehouse_domain::sid::{ApiKeySid, OAuthAppSid, ScimTokenSid};

/// How often a credential's use is written, at most.
pub(crate) const USE_RESOLUTION: chrono::Duration = chrono::Duration::seconds(60);

/// A credential whose last use is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Use {
    ApiKey(ApiKeySid),
    ScimToken(ScimTokenSid),
    OAuthApp(OAuthAppSid),
    /// A session, by the hash of its token.
    Session(String),
}

/// How many credentials a node keeps by default, and for how long.
pub const DEFAULT_CAPACITY: usize = 10_000;
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// A credential as last read from the store.
#[derive(Debug, Clone)]
pub(crate) enum Cached {
    ApiKey {
        key: Box<ApiKey>,
        account: Box<Account>,
    },
    ScimToken(Box<ScimToken>),
    /// An app, with its account when an account owns it (its status decides, as for keys).
    OAuthApp {
        app: Box<OAuthApp>,
        account: Option<Box<Account>>,
    },
}

impl Cached {
    fn mark_used(&mut self, at: DateTime<Utc>) {
        let last = match self {
            Cached::ApiKey { key, .. } => &mut key.last_used_at,
            Cached::ScimToken(t) => &mut t.last_used_at,
            Cached::OAuthApp { app, .. } => &mut app.last_used_at,
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
    /// Uses not yet written, with the latest time of each.
    uses: Mutex<HashMap<Use, DateTime<Utc>>>,
}

impl CredentialCache {
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        CredentialCache {
            capacity,
            ttl,
            entries: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            uses: Mutex::new(HashMap::new()),
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

    /// Notes that the credential cached under `key` (if it is) was used at `at`, last recorded
    /// at `last`: when that was a [`USE_RESOLUTION`] ago or more, the use waits to be written and
    /// the cached copy remembers it, so the next uses within the minute are not noted again.
    pub(crate) fn note_use(&self, key: Option<&str>, used: Use, last: Option<DateTime<Utc>>, at: DateTime<Utc>) {
        if last.is_some_and(|t| at - t < USE_RESOLUTION) {
            return;
        }
        if let Some(key) = key
            && let Ok(mut entries) = self.entries.lock()
            && let Some(e) = entries.get_mut(key)
        {
            e.value.mark_used(at);
        }
        if let Ok(mut uses) = self.uses.lock() {
            let latest = uses.entry(used).or_insert(at);
            *latest = (*latest).max(at);
        }
    }

    /// The uses waiting to be written, leaving none.
    pub(crate) fn take_uses(&self) -> Vec<(Use, DateTime<Utc>)> {
        self.uses.lock().map(|mut uses| uses.drain().collect()).unwrap_or_default()
    }

    /// Puts back uses that could not be written, unless newer ones came meanwhile.
    pub(crate) fn restore_uses(&self, back: Vec<(Use, DateTime<Utc>)>) {
        if let Ok(mut uses) = self.uses.lock() {
            for (used, at) in back {
                uses.entry(used).or_insert(at);
            }
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
    fn a_use_waits_to_be_written_once_a_minute_and_the_cached_copy_remembers_it() {
        let cache = CredentialCache::new(2, Duration::from_secs(60));
        cache.put("a".into(), 1, token());
        let sid = ScimTokenSid::generate();
        let at = Utc::now();
        cache.note_use(Some("a"), Use::ScimToken(sid.clone()), None, at);
        match cache.get("a", 1) {
            Some(Cached::ScimToken(t)) => assert_eq!(t.last_used_at, Some(at)),
            other => panic!("{other:?}"),
        }
        let later = at + chrono::Duration::seconds(59);
        cache.note_use(Some("a"), Use::ScimToken(sid.clone()), Some(at), later);
        assert_eq!(cache.take_uses(), vec![(Use::ScimToken(sid.clone()), at)], "within the minute: not again");
        assert!(cache.take_uses().is_empty(), "taken once");

        let minute = at + USE_RESOLUTION;
        cache.note_use(None, Use::ScimToken(sid.clone()), Some(at), minute);
        cache.restore_uses(vec![(Use::ScimToken(sid.clone()), at)]);
        assert_eq!(cache.take_uses(), vec![(Use::ScimToken(sid), minute)], "a failed write never hides a newer use");
    }
}
