//! SIDs: two uppercase letters and 32 lowercase hex digits, as Twilio's are (SPEC §1).
//! Generated from UUIDv7 so they are time-ordered and indexes stay compact.

use crate::error::Error;

macro_rules! sid_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The two-letter prefix of this kind of SID.
            pub const PREFIX: &'static str = $prefix;

            /// A new, time-ordered SID.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, uuid::Uuid::now_v7().simple()))
            }

            /// Parses and validates a SID of this kind.
            pub fn parse(s: &str) -> Result<Self, Error> {
                if is_sid(s, $prefix) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(Error::invalid(
                        $field,
                        format!("must be {} followed by 32 lowercase hex digits", $prefix),
                    ))
                }
            }

            /// The SID as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(s: $name) -> String {
                s.0
            }
        }
    };
}

fn is_sid(s: &str, prefix: &str) -> bool {
    s.len() == 34 && s.starts_with(prefix) && s[2..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

sid_type!(/// A login identity.
    UserSid, "US", "user_sid");
sid_type!(/// A company.
    OrganizationSid, "OR", "organization_sid");
sid_type!(/// A DNS name an organization proves it owns.
    DomainSid, "DN", "domain_sid");
sid_type!(/// An account (project), possibly a subaccount.
    AccountSid, "AC", "account_sid");
sid_type!(/// An invitation to an organization or account.
    InvitationSid, "IV", "invitation_sid");
sid_type!(/// An API key of an account.
    ApiKeySid, "SK", "api_key_sid");
sid_type!(/// A role, built-in or custom.
    RoleSid, "IX", "role_sid");
sid_type!(/// A role assignment: identity × role × scope.
    RoleAssignmentSid, "IY", "role_assignment_sid");
sid_type!(/// A group of users of one organization.
    GroupSid, "GR", "group_sid");
sid_type!(/// An append-only audit record.
    AuditEventSid, "AE", "audit_event_sid");
sid_type!(/// An email in the outbox.
    EmailSid, "EM", "email_sid");
sid_type!(/// A payment method on file for an account.
    PaymentMethodSid, "PM", "payment_method_sid");
sid_type!(/// An invoice of an account.
    InvoiceSid, "IN", "invoice_sid");
sid_type!(/// The stored report of one offboarding (a user removed from or deleted by an organization).
    OffboardingSid, "OB", "offboarding_sid");
sid_type!(/// An organization's request to import an account or to be given access to one.
    AccountRequestSid, "AR", "account_request_sid");
sid_type!(/// An organization's SCIM bearer token.
    ScimTokenSid, "ST", "scim_token_sid");
sid_type!(/// An organization's OAuth app (its client id).
    OAuthAppSid, "OQ", "client_id");
sid_type!(/// A public key an account registered for Public Key Client Validation (Twilio's Credentials).
    CredentialSid, "CR", "credential_sid");

impl RoleSid {
    /// A built-in role's fixed SID: `IX` + 28 zeros + the four-digit code.
    pub(crate) fn builtin(code: u16) -> Self {
        Self(format!("IX{:032}", code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_sids_parse_and_are_time_ordered() {
        let a = UserSid::generate();
        let b = UserSid::generate();
        assert!(a.as_str().starts_with("US"));
        assert_eq!(a.as_str().len(), 34);
        assert_eq!(UserSid::parse(a.as_str()), Ok(a.clone()));
        assert!(a < b, "UUIDv7 SIDs sort by creation time");
    }

    #[test]
    fn malformed_sids_are_rejected_with_the_field_named() {
        for bad in [
            "",
            "US",
            "us0123456789abcdef0123456789abcdef",
            "US0123456789ABCDEF0123456789ABCDEF",
            "AC0123456789abcdef0123456789abcdef",
            "US0123456789abcdef0123456789abcde",
            "US0123456789abcdef0123456789abcdeg",
        ] {
            match UserSid::parse(bad) {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "user_sid"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn builtin_role_sids_have_the_fixed_shape() {
        assert_eq!(RoleSid::builtin(102).as_str(), "IX00000000000000000000000000000102");
        assert!(RoleSid::parse(RoleSid::builtin(203).as_str()).is_ok());
    }
}
