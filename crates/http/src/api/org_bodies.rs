//! The Admin Center's answer bodies (organizations, their users, domains, invitations, account
//! requests, offboarding), as types the OpenAPI document is derived from (see `bodies.rs`).

use std::collections::BTreeMap;

use gatehouse_app::{AccountRequestView, OffboardingPreview, OrgUserView};
use gatehouse_domain::account_request::AccountRequest;
use gatehouse_domain::domains::Domain;
use gatehouse_domain::invitation::{OrgInvitation, org_role_key};
use gatehouse_domain::membership::OrgUser;
use gatehouse_domain::offboarding::OffboardingReport;
use gatehouse_domain::organization::Organization;
use gatehouse_domain::role::OrgRole;
use gatehouse_domain::user::User;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::bodies::{AccountBody, keys, time};

/// An organization.
#[derive(Serialize, JsonSchema)]
pub(crate) struct OrgBody {
    #[schemars(pattern(r"^OR[0-9a-f]{32}$"))]
    pub sid: String,
    pub friendly_name: String,
    pub require_two_factor: bool,
    pub invitation_lifetime_days: i32,
    pub deprovisioning_keeps_keys: bool,
    pub auto_join: bool,
    pub date_created: String,
    pub date_updated: String,
}

impl From<&Organization> for OrgBody {
    fn from(o: &Organization) -> Self {
        OrgBody {
            sid: o.sid.to_string(),
            friendly_name: o.name.clone(),
            require_two_factor: o.require_two_factor,
            invitation_lifetime_days: o.invitation_lifetime_days,
            deprovisioning_keeps_keys: o.deprovision_keeps_keys,
            auto_join: o.auto_join,
            date_created: time(o.created_at),
            date_updated: time(o.updated_at),
        }
    }
}

/// A user as the Admin Center lists them.
#[derive(Serialize, JsonSchema)]
pub(crate) struct UserBody {
    #[schemars(pattern(r"^US[0-9a-f]{32}$"))]
    pub sid: String,
    pub email: String,
    pub name: String,
    #[schemars(extend("enum" = ["active", "deactivated", "deleted"]))]
    pub status: String,
    pub managed: bool,
    pub require_two_factor: bool,
    pub last_login: Option<String>,
}

impl From<&User> for UserBody {
    fn from(u: &User) -> Self {
        UserBody {
            sid: u.sid.to_string(),
            email: u.email.to_string(),
            name: u.name.clone(),
            status: u.status.as_str().to_owned(),
            managed: u.organization_sid.is_some(),
            require_two_factor: u.require_two_factor,
            last_login: u.last_login_at.map(time),
        }
    }
}

fn org_role(r: Option<OrgRole>) -> Option<String> {
    r.map(|r| org_role_key(r).to_owned())
}

/// A user of the organization: managed, or a guest of its accounts; with their organization role.
#[derive(Serialize, JsonSchema)]
pub(crate) struct OrgUserBody {
    #[serde(flatten)]
    pub user: UserBody,
    #[schemars(extend("enum" = ["owner", "administrator", "standard_user", null]))]
    pub organization_role: Option<String>,
}

impl From<&OrgUser> for OrgUserBody {
    fn from(u: &OrgUser) -> Self {
        let mut user = UserBody::from(&u.user);
        user.managed = u.managed;
        OrgUserBody { user, organization_role: org_role(u.org_role) }
    }
}

/// A user's roles on one account.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AccountRolesBody {
    pub account: AccountBody,
    pub roles: Vec<String>,
}

/// A user of the organization with their roles on its accounts.
#[derive(Serialize, JsonSchema)]
pub(crate) struct OrgUserViewBody {
    #[serde(flatten)]
    pub user: OrgUserBody,
    pub accounts: Vec<AccountRolesBody>,
}

impl From<&OrgUserView> for OrgUserViewBody {
    fn from(v: &OrgUserView) -> Self {
        let mut user = UserBody::from(&v.user);
        user.managed = v.managed;
        OrgUserViewBody {
            user: OrgUserBody { user, organization_role: org_role(v.org_role) },
            accounts: v
                .accounts
                .iter()
                .map(|(a, roles)| AccountRolesBody { account: AccountBody::from(a), roles: keys(roles) })
                .collect(),
        }
    }
}

/// A user added to an account.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AddedBody {
    pub account_sid: String,
    pub user_sid: String,
    pub roles: Vec<String>,
}

/// A domain and the TXT record that proves it.
#[derive(Serialize, JsonSchema)]
pub(crate) struct DomainBody {
    pub sid: String,
    pub domain_name: String,
    #[schemars(extend("enum" = ["pending", "verified", "failed"]))]
    pub status: String,
    pub record_name: String,
    pub record_value: String,
    pub last_error: Option<String>,
    pub date_verified: Option<String>,
    pub date_checked: Option<String>,
    pub date_created: String,
}

impl From<&Domain> for DomainBody {
    fn from(d: &Domain) -> Self {
        DomainBody {
            sid: d.sid.to_string(),
            domain_name: d.name.clone(),
            status: d.status.as_str().to_owned(),
            record_name: d.record_name(),
            record_value: d.record_value(),
            last_error: d.last_error.clone(),
            date_verified: d.verified_at.map(time),
            date_checked: d.checked_at.map(time),
            date_created: time(d.created_at),
        }
    }
}

/// An invitation to the organization.
#[derive(Serialize, JsonSchema)]
pub(crate) struct OrgInvitationBody {
    pub sid: String,
    pub email: String,
    #[schemars(extend("enum" = ["administrator", "standard_user"]))]
    pub role: String,
    #[schemars(extend("enum" = ["pending", "accepted", "revoked", "expired"]))]
    pub state: String,
    pub invited_by: Option<String>,
    pub date_created: String,
    pub date_expires: String,
}

impl From<&OrgInvitation> for OrgInvitationBody {
    fn from(i: &OrgInvitation) -> Self {
        OrgInvitationBody {
            sid: i.sid.to_string(),
            email: i.email.to_string(),
            role: org_role_key(i.role).to_owned(),
            state: i.state(chrono::Utc::now()).to_owned(),
            invited_by: i.invited_by.as_ref().map(ToString::to_string),
            date_created: time(i.created_at),
            date_expires: time(i.expires_at),
        }
    }
}

/// An organization's request to import an account or to have access to it.
#[derive(Serialize, JsonSchema)]
pub(crate) struct RequestBody {
    pub sid: String,
    pub organization_sid: String,
    pub account_sid: String,
    #[schemars(extend("enum" = ["import", "access"]))]
    pub kind: String,
    #[schemars(extend("enum" = ["pending", "accepted", "declined", "cancelled", "relinquished", "expired"]))]
    pub state: String,
    pub requested_by: Option<String>,
    pub date_created: String,
    pub date_expires: String,
}

impl From<&AccountRequest> for RequestBody {
    fn from(r: &AccountRequest) -> Self {
        RequestBody {
            sid: r.sid.to_string(),
            organization_sid: r.organization_sid.to_string(),
            account_sid: r.account_sid.to_string(),
            kind: r.kind.as_str().to_owned(),
            state: r.state(chrono::Utc::now()).to_owned(),
            requested_by: r.requested_by.as_ref().map(ToString::to_string),
            date_created: time(r.created_at),
            date_expires: time(r.expires_at),
        }
    }
}

/// An account's Owner, as a request shows them.
#[derive(Serialize, JsonSchema)]
pub(crate) struct OwnerBody {
    pub sid: String,
    pub email: String,
    pub name: String,
}

/// A request with its account, the account's Owner and the organization's name.
#[derive(Serialize, JsonSchema)]
pub(crate) struct RequestViewBody {
    #[serde(flatten)]
    pub request: RequestBody,
    pub account: AccountBody,
    pub owner: Option<OwnerBody>,
    pub organization_name: String,
}

impl From<&AccountRequestView> for RequestViewBody {
    fn from(v: &AccountRequestView) -> Self {
        RequestViewBody {
            request: RequestBody::from(&v.request),
            account: AccountBody::from(&v.account),
            owner: v.owner.as_ref().map(|o| OwnerBody {
                sid: o.sid.to_string(),
                email: o.email.to_string(),
                name: o.name.clone(),
            }),
            organization_name: v.organization.name.clone(),
        }
    }
}

/// The pending request about an account, for its Owner (`null` for anyone else).
#[derive(Serialize, JsonSchema)]
pub(crate) struct PendingRequestBody {
    pub request: Option<RequestViewBody>,
}

/// An offboarding's report.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ReportBody {
    pub sid: String,
    pub organization_sid: String,
    pub user_sid: String,
    #[schemars(extend("enum" = ["removed", "deleted"]))]
    pub kind: String,
    pub actor: String,
    pub details: Value,
    pub date_created: String,
}

impl From<&OffboardingReport> for ReportBody {
    fn from(r: &OffboardingReport) -> Self {
        ReportBody {
            sid: r.sid.to_string(),
            organization_sid: r.organization_sid.to_string(),
            user_sid: r.user_sid.to_string(),
            kind: r.kind.as_str().to_owned(),
            actor: r.actor.clone(),
            details: r.details.clone(),
            date_created: time(r.created_at),
        }
    }
}

/// An owned account in an offboarding preview, with the subaccounts that follow it.
#[derive(Serialize, JsonSchema)]
pub(crate) struct OwnedAccountBody {
    #[serde(flatten)]
    pub account: AccountBody,
    pub subaccounts_following: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct MembershipBody {
    pub account_sid: String,
    pub friendly_name: String,
    pub roles: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct PreviewKeyBody {
    pub sid: String,
    pub friendly_name: String,
    pub account_sid: String,
    pub account_name: Option<String>,
    pub last_used: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct SessionBody {
    pub date_created: String,
    pub last_seen: String,
    pub ip: Option<String>,
}

/// An invitation the user sent: to an account, or to the organization.
#[derive(Serialize, JsonSchema)]
pub(crate) struct SentInvitationBody {
    pub sid: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_sid: Option<String>,
}

/// Everything removing or deleting a user would touch.
#[derive(Serialize, JsonSchema)]
pub(crate) struct PreviewBody {
    pub user: UserBody,
    pub organization_role: Option<String>,
    pub owned_accounts: Vec<OwnedAccountBody>,
    pub memberships: Vec<MembershipBody>,
    pub keys: Vec<PreviewKeyBody>,
    pub sessions: Vec<SessionBody>,
    pub invitations: Vec<SentInvitationBody>,
    pub accounts_owned_elsewhere: Vec<String>,
    pub heirs: Vec<OwnerBody>,
}

impl From<&OffboardingPreview> for PreviewBody {
    fn from(p: &OffboardingPreview) -> Self {
        let names: BTreeMap<_, _> = p.memberships.iter().map(|(a, _)| (a.sid.clone(), a.name.clone())).collect();
        let sent = p.invitations.iter().map(|i| SentInvitationBody {
            sid: i.sid.to_string(),
            email: i.email.to_string(),
            account_sid: Some(i.account_sid.to_string()),
            organization_sid: None,
        });
        let sent_org = p.org_invitations.iter().map(|i| SentInvitationBody {
            sid: i.sid.to_string(),
            email: i.email.to_string(),
            account_sid: None,
            organization_sid: Some(i.organization_sid.to_string()),
        });
        PreviewBody {
            user: UserBody::from(&p.user),
            organization_role: org_role(p.org_role),
            owned_accounts: p
                .owned_accounts
                .iter()
                .map(|a| OwnedAccountBody {
                    account: AccountBody::from(a),
                    subaccounts_following: p
                        .following
                        .iter()
                        .filter(|s| s.parent_sid.as_ref() == Some(&a.sid))
                        .map(|s| s.sid.to_string())
                        .collect(),
                })
                .collect(),
            memberships: p
                .memberships
                .iter()
                .map(|(a, roles)| MembershipBody {
                    account_sid: a.sid.to_string(),
                    friendly_name: a.name.clone(),
                    roles: keys(roles),
                })
                .collect(),
            keys: p
                .keys
                .iter()
                .map(|k| PreviewKeyBody {
                    sid: k.sid.to_string(),
                    friendly_name: k.name.clone(),
                    account_sid: k.account_sid.to_string(),
                    account_name: names.get(&k.account_sid).cloned(),
                    last_used: k.last_used_at.map(time),
                })
                .collect(),
            sessions: p
                .sessions
                .iter()
                .map(|s| SessionBody {
                    date_created: time(s.created_at),
                    last_seen: time(s.last_seen_at),
                    ip: s.ip.clone(),
                })
                .collect(),
            invitations: sent.chain(sent_org).collect(),
            accounts_owned_elsewhere: p.owned_elsewhere.iter().map(|a| a.sid.to_string()).collect(),
            heirs: p
                .heirs
                .iter()
                .map(|u| OwnerBody { sid: u.sid.to_string(), email: u.email.to_string(), name: u.name.clone() })
                .collect(),
        }
    }
}
