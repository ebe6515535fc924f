//! Invitations to an account: an email address, the roles it will get, a single-use link that
//! expires. Accepting creates the member (and, for a new person, the login).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::role::{AccountRole, OrgRole};
use crate::sid::{AccountSid, InvitationSid, OrganizationSid, UserSid};
use crate::user::Email;

/// How long an invitation link works unless an organization sets otherwise (SPEC: 7 days).
pub const DEFAULT_INVITATION_LIFETIME_DAYS: i64 = 7;

/// What became of an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
}

impl InvitationStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::Revoked => "revoked",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "pending" => Ok(InvitationStatus::Pending),
            "accepted" => Ok(InvitationStatus::Accepted),
            "revoked" => Ok(InvitationStatus::Revoked),
            _ => Err(Error::invalid("status", "must be pending, accepted or revoked")),
        }
    }
}

/// An invitation to join an account with roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub sid: InvitationSid,
    pub account_sid: AccountSid,
    pub email: Email,
    /// The roles the invitee gets: never Owner (SPEC §2 rules applied when created).
    pub roles: Vec<AccountRole>,
    pub invited_by: Option<UserSid>,
    /// SHA-256 of the link's token; a resend replaces it, so the old link stops working.
    #[serde(skip)]
    pub token_hash: String,
    pub status: InvitationStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Invitation {
    /// A new pending invitation valid for `lifetime`.
    pub fn new(
        account_sid: AccountSid,
        email: Email,
        roles: Vec<AccountRole>,
        invited_by: Option<UserSid>,
        token_hash: String,
        now: DateTime<Utc>,
        lifetime: Duration,
    ) -> Self {
        Invitation {
            sid: InvitationSid::generate(),
            account_sid,
            email,
            roles,
            invited_by,
            token_hash,
            status: InvitationStatus::Pending,
            created_at: now,
            expires_at: now + lifetime,
            updated_at: now,
        }
    }

    /// Whether the link has run out (a pending invitation past its expiry).
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.status == InvitationStatus::Pending && self.expires_at <= now
    }

    /// What a person sees: pending, expired, accepted or revoked.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        if self.expired(now) { "expired" } else { self.status.as_str() }
    }

    /// Refuses to accept an invitation that is not pending or has expired, saying why.
    pub fn ensure_acceptable(&self, now: DateTime<Utc>) -> Result<(), Error> {
        match self.status {
            InvitationStatus::Accepted => Err(Error::Precondition("This invitation was already accepted.".into())),
            InvitationStatus::Revoked => {
                Err(Error::Precondition("This invitation was withdrawn. Ask the account's administrator.".into()))
            }
            InvitationStatus::Pending if self.expired(now) => Err(Error::Precondition(
                "This invitation has expired. Ask the account's administrator to send it again.".into(),
            )),
            InvitationStatus::Pending => Ok(()),
        }
    }

    /// The roles as stored: comma-separated keys.
    pub fn roles_text(&self) -> String {
        self.roles.iter().map(|r| r.key()).collect::<Vec<_>>().join(",")
    }

    /// Parses stored roles.
    pub fn parse_roles(text: &str) -> Result<Vec<AccountRole>, Error> {
        text.split(',').filter(|s| !s.is_empty()).map(AccountRole::parse_key).collect()
    }
}

/// An invitation to become a managed user of an organization with an organization role.
/// Only for addresses in a domain the organization verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgInvitation {
    pub sid: InvitationSid,
    pub organization_sid: OrganizationSid,
    pub email: Email,
    /// Administrator or Standard User (the Owner role moves only by transfer).
    pub role: OrgRole,
    pub invited_by: Option<UserSid>,
    #[serde(skip)]
    pub token_hash: String,
    pub status: InvitationStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OrgInvitation {
    /// Whether the link has run out.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.status == InvitationStatus::Pending && self.expires_at <= now
    }

    /// pending, expired, accepted or revoked.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        if self.expired(now) { "expired" } else { self.status.as_str() }
    }

    /// Refuses an invitation that is not pending or has expired, saying why.
    pub fn ensure_acceptable(&self, now: DateTime<Utc>) -> Result<(), Error> {
        match self.status {
            InvitationStatus::Accepted => Err(Error::Precondition("This invitation was already accepted.".into())),
            InvitationStatus::Revoked => {
                Err(Error::Precondition("This invitation was withdrawn. Ask the organization's administrator.".into()))
            }
            InvitationStatus::Pending if self.expired(now) => Err(Error::Precondition(
                "This invitation has expired. Ask the organization's administrator to send it again.".into(),
            )),
            InvitationStatus::Pending => Ok(()),
        }
    }
}

/// The organization roles an invitation may carry.
pub fn parse_invited_org_role(key: &str) -> Result<OrgRole, Error> {
    match key {
        "administrator" => Ok(OrgRole::Administrator),
        "standard_user" => Ok(OrgRole::StandardUser),
        _ => Err(Error::invalid("role", "choose Administrator or Standard User")),
    }
}

/// The stored form of an invited organization role.
pub fn org_role_key(role: OrgRole) -> &'static str {
    match role {
        OrgRole::Owner => "owner",
        OrgRole::Administrator => "administrator",
        OrgRole::StandardUser => "standard_user",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invitation(now: DateTime<Utc>) -> Invitation {
        Invitation::new(
            AccountSid::generate(),
            Email::parse("dana@example.com").unwrap(),
            vec![AccountRole::Developer, AccountRole::Viewer],
            None,
            "hash".into(),
            now,
            Duration::days(DEFAULT_INVITATION_LIFETIME_DAYS),
        )
    }

    #[test]
    fn an_invitation_expires_after_its_lifetime_and_then_cannot_be_accepted() {
        let now = Utc::now();
        let inv = invitation(now);
        assert_eq!(inv.state(now), "pending");
        assert!(inv.ensure_acceptable(now + Duration::days(6)).is_ok());
        assert_eq!(inv.state(now + Duration::days(7)), "expired");
        assert!(
            matches!(inv.ensure_acceptable(now + Duration::days(7)), Err(Error::Precondition(m)) if m.contains("expired"))
        );
        let accepted = Invitation { status: InvitationStatus::Accepted, ..inv.clone() };
        assert_eq!(accepted.state(now + Duration::days(30)), "accepted", "only pending ones expire");
        assert!(accepted.ensure_acceptable(now).is_err());
        assert!(Invitation { status: InvitationStatus::Revoked, ..inv }.ensure_acceptable(now).is_err());
    }

    #[test]
    fn organization_invitations_carry_administrator_or_standard_user() {
        assert_eq!(parse_invited_org_role("administrator").unwrap(), OrgRole::Administrator);
        assert_eq!(parse_invited_org_role(org_role_key(OrgRole::StandardUser)).unwrap(), OrgRole::StandardUser);
        assert!(parse_invited_org_role("owner").is_err(), "the Owner moves only by transfer");
    }

    #[test]
    fn roles_round_trip_through_their_stored_form() {
        let inv = invitation(Utc::now());
        assert_eq!(inv.roles_text(), "developer,viewer");
        assert_eq!(Invitation::parse_roles("developer,viewer").unwrap(), inv.roles);
        assert!(Invitation::parse_roles("developer,king").is_err());
        for s in ["pending", "accepted", "revoked"] {
            assert_eq!(InvitationStatus::parse(s).unwrap().as_str(), s);
        }
    }
}
