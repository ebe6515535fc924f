//! Brute-force protection shared across nodes: failure counters in the database per target,
//! per target from one address, and per address at a much higher threshold, with growing
//! lock-outs (see `Throttle::after_failure`). One person's failures never lock out another
//! person behind the same address (an office NAT, a proxy).

use chrono::{DateTime, Utc};
use gatehouse_domain::security::{THROTTLE_FREE_FAILURES, THROTTLE_FREE_FAILURES_PER_ADDRESS, Throttle};
use gatehouse_domain::store::Tx;
use gatehouse_domain::{Error, Result};

/// One counter an attempt counts against, with the failures it allows before locking.
pub(crate) struct Key {
    name: String,
    free: i32,
    /// Whether a success clears it (the target's counters; not the address's).
    cleared_by_success: bool,
}

/// The keys an attempt counts against: the target (an email or user), the target from this
/// address, and the address alone.
pub(crate) fn keys(action: &str, target: &str, ip: Option<&str>) -> Vec<Key> {
    let mut keys =
        vec![Key { name: target_key(action, target), free: THROTTLE_FREE_FAILURES, cleared_by_success: true }];
    if let Some(ip) = ip {
        keys.push(Key {
            name: format!("{action}:pair:{ip}:{target}"),
            free: THROTTLE_FREE_FAILURES,
            cleared_by_success: true,
        });
        keys.push(Key {
            name: format!("{action}:ip:{ip}"),
            free: THROTTLE_FREE_FAILURES_PER_ADDRESS,
            cleared_by_success: false,
        });
    }
    keys
}

/// The counter of one target, whatever the address (a password reset clears it).
pub(crate) fn target_key(action: &str, target: &str) -> String {
    format!("{action}:target:{target}")
}

/// Refuses the attempt while any key is locked, saying how long to wait.
pub(crate) async fn ensure_allowed(tx: &mut dyn Tx, keys: &[Key], now: DateTime<Utc>) -> Result<()> {
    for key in keys {
        if let Some(wait) = tx.throttle(&key.name).await?.and_then(|t| t.wait(now)) {
            let secs = wait.num_seconds().max(1);
            return Err(Error::Precondition(format!("Too many attempts. Try again in {secs} seconds.")));
        }
    }
    Ok(())
}

/// Counts one failure against every key.
pub(crate) async fn record_failure(tx: &mut dyn Tx, keys: &[Key], now: DateTime<Utc>) -> Result<()> {
    for key in keys {
        let previous = tx.throttle(&key.name).await?;
        tx.save_throttle(&Throttle::after_failure(previous, &key.name, key.free, now)).await?;
    }
    Ok(())
}

/// Forgets the failures of the target after a success (the address keeps its record).
pub(crate) async fn record_success(tx: &mut dyn Tx, keys: &[Key]) -> Result<()> {
    for key in keys.iter().filter(|k| k.cleared_by_success) {
        tx.clear_throttle(&key.name).await?;
    }
    Ok(())
}
