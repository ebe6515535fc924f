//! A pending ownership transfer: the Owner nominates a member, who accepts or declines
//! (self-serve transfer, SPEC §4). At most one per account.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::sid::{AccountSid, UserSid};

/// How long a nominee has to accept.
pub const NOMINATION_LIFETIME_DAYS: i64 = 7;

/// The Owner's offer of ownership to a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerNomination {
    pub account_sid: AccountSid,
    pub nominee: UserSid,
    pub nominated_by: UserSid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl OwnerNomination {
    /// A nomination made now.
    pub fn new(account_sid: AccountSid, nominee: UserSid, nominated_by: UserSid, now: DateTime<Utc>) -> Self {
        OwnerNomination {
            account_sid,
            nominee,
            nominated_by,
            created_at: now,
            expires_at: now + Duration::days(NOMINATION_LIFETIME_DAYS),
        }
    }

    /// Refuses acceptance after the deadline.
    pub fn ensure_open(&self, now: DateTime<Utc>) -> Result<(), Error> {
        if self.expires_at <= now {
            Err(Error::Precondition("This ownership offer has expired. Ask the Owner to nominate you again.".into()))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nomination_is_open_for_seven_days() {
        let now = Utc::now();
        let n = OwnerNomination::new(AccountSid::generate(), UserSid::generate(), UserSid::generate(), now);
        assert!(n.ensure_open(now + Duration::days(7) - Duration::seconds(1)).is_ok());
        assert!(n.ensure_open(now + Duration::days(7)).is_err());
    }
}
