//! Notification preferences: which account roles receive which kind of notice (SPEC §3).

use serde::Serialize;

use crate::error::Error;
use crate::role::AccountRole;

/// A kind of notice the system sends about an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeCategory {
    Billing,
    Usage,
    Security,
    Service,
}

impl NoticeCategory {
    /// Every category, in display order.
    pub const ALL: [NoticeCategory; 4] =
        [NoticeCategory::Billing, NoticeCategory::Usage, NoticeCategory::Security, NoticeCategory::Service];

    /// The stable key for forms, APIs and storage.
    pub fn key(self) -> &'static str {
        match self {
            NoticeCategory::Billing => "billing",
            NoticeCategory::Usage => "usage",
            NoticeCategory::Security => "security",
            NoticeCategory::Service => "service",
        }
    }

    /// Parses a key.
    pub fn parse_key(s: &str) -> Result<Self, Error> {
        NoticeCategory::ALL
            .into_iter()
            .find(|c| c.key() == s)
            .ok_or_else(|| Error::invalid("category", format!("unknown notice category {s:?}")))
    }

    /// What a person reads on the preferences page.
    pub fn name(self) -> &'static str {
        match self {
            NoticeCategory::Billing => "Billing",
            NoticeCategory::Usage => "Usage alerts",
            NoticeCategory::Security => "Security",
            NoticeCategory::Service => "Service notices",
        }
    }

    /// What the category covers.
    pub fn description(self) -> &'static str {
        match self {
            NoticeCategory::Billing => "Invoices, failed payments, expiring cards.",
            NoticeCategory::Usage => "Usage thresholds and triggers.",
            NoticeCategory::Security => "Credential changes, suspicious activity.",
            NoticeCategory::Service => "Service changes and delays, such as campaign-vetting delays.",
        }
    }

    /// Who receives it until an administrator chooses otherwise.
    pub fn default_roles(self) -> Vec<AccountRole> {
        use AccountRole::*;
        match self {
            NoticeCategory::Billing => vec![Owner, Administrator, BillingManager],
            NoticeCategory::Usage => vec![Owner, Administrator, Developer],
            NoticeCategory::Security => vec![Owner, Administrator],
            NoticeCategory::Service => vec![Owner, Administrator, Developer],
        }
    }
}

/// Whether a member with `member_roles` receives a notice sent to `recipients`.
pub fn receives(member_roles: &[AccountRole], recipients: &[AccountRole]) -> bool {
    member_roles.iter().any(|r| recipients.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_round_trip_and_defaults_reach_the_owner() {
        for c in NoticeCategory::ALL {
            assert_eq!(NoticeCategory::parse_key(c.key()).unwrap(), c);
            assert!(c.default_roles().contains(&AccountRole::Owner));
        }
        assert!(NoticeCategory::parse_key("spam").is_err());
        assert!(NoticeCategory::Billing.default_roles().contains(&AccountRole::BillingManager));
        assert!(!NoticeCategory::Security.default_roles().contains(&AccountRole::Viewer));
    }

    #[test]
    fn a_member_receives_a_notice_when_any_role_is_chosen() {
        use AccountRole::*;
        assert!(receives(&[Developer, Viewer], &[Owner, Viewer]));
        assert!(!receives(&[Developer, Viewer], &[Owner, BillingManager]));
        assert!(!receives(&[], &[Owner]));
    }
}
