//! A pending ownership transfer: the Owner nominates a member, who accepts or declines
//! (self-serve transfer, SPEC §4). At most one per account and one per organization.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::membership::ScopeRef;
use crate::sid::UserSid;

/// How long a nominee has to accept an account's ownership.
pub const NOMINATION_LIFETIME_DAYS: i64 = 7;

/// The Owner's offer of ownership of an account or an organization (the scope) to one of its
/// people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerNomination {
    pub scope: ScopeRef,
    pub nominee: UserSid,
    pub nominated_by: UserSid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl OwnerNomination {
    /// A nomination made now, open for `lifetime_days`.
    pub fn new(
        scope: ScopeRef,
        nominee: UserSid,
        nominated_by: UserSid,
        now: DateTime<Utc>,
        lifetime_days: i64,
    ) -> Self {
        OwnerNomination {
            scope,
            nominee,
            nominated_by,
            created_at: now,
            expires_at: now + Duration::days(lifetime_days),
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
        let scope = ScopeRef::Account(crate::sid::AccountSid::generate());
        let n = OwnerNomination::new(scope, UserSid::generate(), UserSid::generate(), now, NOMINATION_LIFETIME_DAYS);
        assert!(n.ensure_open(now + Duration::days(7) - Duration::seconds(1)).is_ok());
        assert!(n.ensure_open(now + Duration::days(7)).is_err());
    }
}
