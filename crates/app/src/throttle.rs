//! Brute-force protection shared across nodes: failure counters in the database per user and
//! per source address, with growing lock-outs (see `Throttle::after_failure`).

use chrono::{DateTime, Utc};
use gatehouse_domain::security::Throttle;
use gatehouse_domain::store::Tx;
use gatehouse_domain::{Error, Result};

/// The keys an attempt counts against: the target (an email or user) and the source address.
pub(crate) fn keys(action: &str, target: &str, ip: Option<&str>) -> Vec<String> {
    let mut keys = vec![format!("{action}:target:{target}")];
    if let Some(ip) = ip {
        keys.push(format!("{action}:ip:{ip}"));
    }
    keys
}

/// Refuses the attempt while any key is locked, saying how long to wait.
pub(crate) async fn ensure_allowed(tx: &mut dyn Tx, keys: &[String], now: DateTime<Utc>) -> Result<()> {
    for key in keys {
        if let Some(wait) = tx.throttle(key).await?.and_then(|t| t.wait(now)) {
            let secs = wait.num_seconds().max(1);
            return Err(Error::Precondition(format!("Too many attempts. Try again in {secs} seconds.")));
        }
    }
    Ok(())
}

/// Counts one failure against every key.
pub(crate) async fn record_failure(tx: &mut dyn Tx, keys: &[String], now: DateTime<Utc>) -> Result<()> {
    for key in keys {
        let previous = tx.throttle(key).await?;
        tx.save_throttle(&Throttle::after_failure(previous, key, now)).await?;
    }
    Ok(())
}

/// Forgets the failures of the target after a success (the address keeps its record).
pub(crate) async fn record_success(tx: &mut dyn Tx, keys: &[String]) -> Result<()> {
    if let Some(target_key) = keys.first() {
        tx.clear_throttle(target_key).await?;
    }
    Ok(())
}
