//! The bodies the native API answers with, as types: each handler builds one, and the OpenAPI
//! document describes it from the same type (schemars), so the server and its description
//! cannot drift apart. Times are RFC 3339; SIDs carry their prefix's pattern. This file holds
//! the pages, the error and the account console's bodies; `org_bodies.rs` the Admin Center's.

use gatehouse_app::{ApiKeyView, NominationView};
use gatehouse_domain::account::Account;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::billing::{Invoice, PaymentMethod};
use gatehouse_domain::invitation::Invitation;
use gatehouse_domain::membership::Member;
use gatehouse_domain::page::Page as DomainPage;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::user::User;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

pub(super) fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339()
}

pub(super) fn keys(roles: &[AccountRole]) -> Vec<String> {
    roles.iter().map(|r| r.key().to_owned()).collect()
}

/// A page of a list: its items, and the cursor of the next page (`after=`), if one follows.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "{T}Page")]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    pub(crate) fn of<U>(page: &DomainPage<U>, item: impl Fn(&U) -> T) -> Self {
        Page { items: page.items.iter().map(item).collect(), next_after: page.next_after.clone() }
    }

    pub(crate) fn all(items: Vec<T>) -> Self {
        Page { items, next_after: None }
    }
}

/// A list answered whole.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "{T}List")]
pub(crate) struct List<T> {
    pub items: Vec<T>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct AccountSettingsBody {
    pub require_two_factor: bool,
    pub require_https_webhooks: bool,
    pub require_public_key_validation: bool,
}

/// An account.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AccountBody {
    #[schemars(pattern(r"^AC[0-9a-f]{32}$"))]
    pub sid: String,
    pub friendly_name: String,
    #[schemars(extend("enum" = ["active", "suspended", "closed"]))]
    pub status: String,
    pub organization_sid: Option<String>,
    pub parent_account_sid: Option<String>,
    pub settings: AccountSettingsBody,
    pub date_created: String,
    pub date_updated: String,
}

impl From<&Account> for AccountBody {
    fn from(a: &Account) -> Self {
        AccountBody {
            sid: a.sid.to_string(),
            friendly_name: a.name.clone(),
            status: a.status.as_str().to_owned(),
            organization_sid: a.organization_sid.as_ref().map(ToString::to_string),
            parent_account_sid: a.parent_sid.as_ref().map(ToString::to_string),
            settings: AccountSettingsBody {
                require_two_factor: a.settings.require_two_factor,
                require_https_webhooks: a.settings.require_https_webhooks,
                require_public_key_validation: a.settings.require_public_key_validation,
            },
            date_created: time(a.created_at),
            date_updated: time(a.updated_at),
        }
    }
}

/// Who the credentials are: an API key (with its account) or a signed-in user.
#[derive(Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum MeBody {
    ApiKey { api_key_sid: String, account: AccountBody },
    User { user_sid: String, email: String, name: String },
}

/// An audit event.
#[derive(Serialize, JsonSchema)]
pub(crate) struct EventBody {
    pub sid: String,
    pub date: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub source_ip: Option<String>,
    pub details: Value,
}

impl From<&AuditEvent> for EventBody {
    fn from(e: &AuditEvent) -> Self {
        EventBody {
            sid: e.sid.to_string(),
            date: time(e.occurred_at),
            actor: e.actor.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            source_ip: e.source_ip.clone(),
            details: e.details.clone(),
        }
    }
}

/// A person, as lists of people name them.
#[derive(Serialize, JsonSchema)]
pub(crate) struct PersonBody {
    pub user_sid: String,
    pub email: String,
    pub name: String,
}

impl From<&User> for PersonBody {
    fn from(u: &User) -> Self {
        PersonBody { user_sid: u.sid.to_string(), email: u.email.to_string(), name: u.name.clone() }
    }
}

/// A user of an account with their roles.
#[derive(Serialize, JsonSchema)]
pub(crate) struct MemberBody {
    pub user_sid: String,
    pub email: String,
    pub name: String,
    pub roles: Vec<String>,
    pub last_login: Option<String>,
}

impl From<&Member> for MemberBody {
    fn from(m: &Member) -> Self {
        MemberBody {
            user_sid: m.user.sid.to_string(),
            email: m.user.email.to_string(),
            name: m.user.name.clone(),
            roles: keys(&m.roles),
            last_login: m.user.last_login_at.map(time),
        }
    }
}

/// A change of a user's roles.
#[derive(Serialize, JsonSchema)]
pub(crate) struct RolesChangeBody {
    pub user_sid: String,
    pub roles: Vec<String>,
    pub previous_roles: Vec<String>,
}

impl RolesChangeBody {
    pub(crate) fn new(user: &impl ToString, after: &[AccountRole], before: &[AccountRole]) -> Self {
        RolesChangeBody { user_sid: user.to_string(), roles: keys(after), previous_roles: keys(before) }
    }
}

/// An invitation to an account.
#[derive(Serialize, JsonSchema)]
pub(crate) struct InvitationBody {
    pub sid: String,
    pub email: String,
    pub roles: Vec<String>,
    #[schemars(extend("enum" = ["pending", "accepted", "revoked", "expired"]))]
    pub state: String,
    pub invited_by: Option<String>,
    pub date_created: String,
    pub date_expires: String,
}

impl From<&Invitation> for InvitationBody {
    fn from(i: &Invitation) -> Self {
        InvitationBody {
            sid: i.sid.to_string(),
            email: i.email.to_string(),
            roles: keys(&i.roles),
            state: i.state(chrono::Utc::now()).to_owned(),
            invited_by: i.invited_by.as_ref().map(ToString::to_string),
            date_created: time(i.created_at),
            date_expires: time(i.expires_at),
        }
    }
}

/// An offer of an account's or an organization's ownership.
#[derive(Serialize, JsonSchema)]
pub(crate) struct OfferBody {
    pub nominee: PersonBody,
    pub nominated_by: String,
    pub date_expires: String,
}

/// The pending ownership offer, or `null`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct OwnershipBody {
    pub offer: Option<OfferBody>,
}

impl From<Option<NominationView>> for OwnershipBody {
    fn from(offer: Option<NominationView>) -> Self {
        let offer = offer.map(|n| OfferBody {
            nominee: PersonBody::from(&n.nominee),
            nominated_by: n.nominated_by.sid.to_string(),
            date_expires: time(n.nomination.expires_at),
        });
        OwnershipBody { offer }
    }
}

/// An API key (never its secret).
#[derive(Serialize, JsonSchema)]
pub(crate) struct KeyBody {
    pub sid: String,
    pub friendly_name: String,
    pub created_by: Option<PersonBody>,
    pub date_created: String,
    pub date_last_used: Option<String>,
    /// What the key may do (a restricted key's own permissions, or a standard key's).
    pub permissions: Vec<String>,
    pub restricted: bool,
}

impl From<&ApiKeyView> for KeyBody {
    fn from(k: &ApiKeyView) -> Self {
        KeyBody {
            sid: k.key.sid.to_string(),
            friendly_name: k.key.name.clone(),
            created_by: k.created_by.as_ref().map(PersonBody::from),
            date_created: time(k.key.created_at),
            date_last_used: k.key.last_used_at.map(time),
            permissions: k.key.permissions().iter().map(|p| p.name().to_owned()).collect(),
            restricted: k.key.restricted_to.is_some(),
        }
    }
}

/// A new API key with its secret, shown in this answer only.
#[derive(Serialize, JsonSchema)]
pub(crate) struct NewKeyBody {
    pub sid: String,
    pub friendly_name: String,
    pub secret: String,
    pub date_created: String,
    pub permissions: Vec<String>,
}

/// A renamed API key.
#[derive(Serialize, JsonSchema)]
pub(crate) struct RenamedKeyBody {
    pub sid: String,
    pub friendly_name: String,
}

/// Which roles receive a category of notices.
#[derive(Serialize, JsonSchema)]
pub(crate) struct NoticeBody {
    #[schemars(extend("enum" = ["billing", "usage", "security", "service"]))]
    pub category: String,
    pub roles: Vec<String>,
}

/// A payment method (a card as brand and last four digits, or a PayPal address).
#[derive(Serialize, JsonSchema)]
pub(crate) struct PaymentMethodBody {
    pub sid: String,
    pub label: String,
    pub details: Value,
    pub is_default: bool,
    pub date_created: String,
}

impl From<&PaymentMethod> for PaymentMethodBody {
    fn from(m: &PaymentMethod) -> Self {
        PaymentMethodBody {
            sid: m.sid.to_string(),
            label: m.label(),
            details: serde_json::to_value(&m.details).unwrap_or(Value::Null),
            is_default: m.is_default,
            date_created: time(m.created_at),
        }
    }
}

/// An invoice.
#[derive(Serialize, JsonSchema)]
pub(crate) struct InvoiceBody {
    pub sid: String,
    pub period: String,
    pub amount_cents: i64,
    pub currency: String,
    #[schemars(extend("enum" = ["open", "paid", "void"]))]
    pub status: String,
    pub date_issued: String,
}

impl From<&Invoice> for InvoiceBody {
    fn from(i: &Invoice) -> Self {
        InvoiceBody {
            sid: i.sid.to_string(),
            period: i.period.clone(),
            amount_cents: i.amount_cents,
            currency: i.currency.clone(),
            status: i.status.as_str().to_owned(),
            date_issued: time(i.issued_at),
        }
    }
}

/// An error: a stable `code`, a sentence, the HTTP status, and the field at fault, if one is.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ErrorBody {
    #[schemars(extend("enum" = ["not_found", "forbidden", "invalid", "conflict", "precondition_failed", "unauthenticated", "internal", "no_route"]))]
    pub code: &'static str,
    pub message: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// On a 403: the permission the credentials lack (the *Why?*).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_permission: Option<&'static str>,
}
