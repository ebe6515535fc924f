//! An organization's request about an account it does not control (SPEC §1): to **import** it
//! (it becomes a managed account once its Owner confirms) or to be given **access** to it (it
//! stays independent; the requesting admin gets the Administrator role once the Owner accepts).
//! Pending until the Owner answers; expires after the organization's invitation lifetime.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::sid::{AccountRequestSid, AccountSid, OrganizationSid, UserSid};

/// What the organization asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountRequestKind {
    Import,
    Access,
}

impl AccountRequestKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountRequestKind::Import => "import",
            AccountRequestKind::Access => "access",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "import" => Ok(AccountRequestKind::Import),
            "access" => Ok(AccountRequestKind::Access),
            _ => Err(Error::invalid("kind", "must be import or access")),
        }
    }
}

/// Where a request stands (`expired` is derived from `expires_at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountRequestStatus {
    Pending,
    Accepted,
    Declined,
    Cancelled,
    /// Access the organization gave up.
    Relinquished,
}

impl AccountRequestStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountRequestStatus::Pending => "pending",
            AccountRequestStatus::Accepted => "accepted",
            AccountRequestStatus::Declined => "declined",
            AccountRequestStatus::Cancelled => "cancelled",
            AccountRequestStatus::Relinquished => "relinquished",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, Error> {
        [
            AccountRequestStatus::Pending,
            AccountRequestStatus::Accepted,
            AccountRequestStatus::Declined,
            AccountRequestStatus::Cancelled,
            AccountRequestStatus::Relinquished,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| Error::invalid("status", "unknown account request status"))
    }
}

/// One request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRequest {
    pub sid: AccountRequestSid,
    pub organization_sid: OrganizationSid,
    pub account_sid: AccountSid,
    pub kind: AccountRequestKind,
    pub requested_by: Option<UserSid>,
    pub status: AccountRequestStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AccountRequest {
    /// A pending request made now, open for `lifetime_days`.
    pub fn new(
        organization_sid: OrganizationSid,
        account_sid: AccountSid,
        kind: AccountRequestKind,
        requested_by: Option<UserSid>,
        lifetime_days: i64,
        now: DateTime<Utc>,
    ) -> Self {
        AccountRequest {
            sid: AccountRequestSid::generate(),
            organization_sid,
            account_sid,
            kind,
            requested_by,
            status: AccountRequestStatus::Pending,
            created_at: now,
            expires_at: now + Duration::days(lifetime_days),
            updated_at: now,
        }
    }

    /// Whether a pending request has run out of time.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.status == AccountRequestStatus::Pending && self.expires_at <= now
    }

    /// The state to show: the status, or `expired`.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        if self.expired(now) { "expired" } else { self.status.as_str() }
    }

    /// Refuses an answer to a request that is no longer pending or has expired.
    pub fn ensure_open(&self, now: DateTime<Utc>) -> Result<(), Error> {
        if self.status != AccountRequestStatus::Pending {
            return Err(Error::Conflict(format!("This request was already {}.", self.status.as_str())));
        }
        if self.expired(now) {
            return Err(Error::Precondition("This request has expired. The organization can ask again.".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_expire_and_answer_once() {
        let now = Utc::now();
        let mut r = AccountRequest::new(
            OrganizationSid::generate(),
            AccountSid::generate(),
            AccountRequestKind::Import,
            None,
            7,
            now,
        );
        assert_eq!(r.state(now), "pending");
        assert!(r.ensure_open(now).is_ok());
        assert_eq!(r.state(now + Duration::days(7)), "expired");
        assert!(matches!(r.ensure_open(now + Duration::days(7)), Err(Error::Precondition(_))));
        r.status = AccountRequestStatus::Declined;
        assert!(matches!(r.ensure_open(now), Err(Error::Conflict(_))));
        for s in ["pending", "accepted", "declined", "cancelled", "relinquished"] {
            assert_eq!(AccountRequestStatus::parse(s).unwrap().as_str(), s);
        }
        assert_eq!(AccountRequestKind::parse("access"), Ok(AccountRequestKind::Access));
    }
}
