//! API: the Admin Center — an organization's settings, domains, users (the user page and
//! offboarding), invitations, accounts and account requests; and the account Owner's answer
//! to a request.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use gatehouse_app::{NewAccount, OrgSwitch};
use gatehouse_domain::Error;
use gatehouse_domain::invitation::parse_invited_org_role;
use gatehouse_domain::offboarding::{OffboardingKind, OffboardingPlan, OwnedAccountChoice};
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{
    AccountRequestSid, AccountSid, ApiKeySid, DomainSid, InvitationSid, OffboardingSid, OrganizationSid, UserSid,
};
use schemars::JsonSchema;
use serde::Deserialize;

use super::bodies::{AccountBody, EventBody, Page};
use super::org_bodies::{
    AddedBody, DomainBody, OrgBody, OrgInvitationBody, OrgUserBody, OrgUserViewBody, PendingRequestBody, PreviewBody,
    ReportBody, RequestBody, RequestViewBody,
};
use super::{ApiActor, ApiError, ApiResult, Body, ListParams, Params, created, done, ok, page_json, sid};
use crate::AppState;

fn org_sid(raw: &str) -> Result<OrganizationSid, ApiError> {
    sid(raw, OrganizationSid::parse)
}

fn user_sid(raw: &str) -> Result<UserSid, ApiError> {
    sid(raw, UserSid::parse)
}

// --- the organization -----------------------------------------------------------------------

pub(crate) async fn show(State(state): State<AppState>, ApiActor(actor): ApiActor, Path(o): Path<String>) -> ApiResult {
    Ok(ok(OrgBody::from(&state.app.organization(&actor, &org_sid(&o)?).await?)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrgSettings {
    #[schemars(length(max = 100), pattern(r"^\s*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"))]
    friendly_name: String,
    #[schemars(range(min = 1, max = 90))]
    #[serde(deserialize_with = "super::whole_number")]
    invitation_lifetime_days: u32,
    require_two_factor: bool,
    #[serde(default)]
    deprovisioning_keeps_keys: Option<bool>,
    /// Domain auto-join: new logins in a verified domain become managed Standard Users.
    #[serde(default)]
    auto_join: Option<bool>,
}

pub(crate) async fn settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Body(body): Body<OrgSettings>,
) -> ApiResult {
    let org = org_sid(&o)?;
    let days = body.invitation_lifetime_days.to_string();
    let before = state.app.update_organization(&actor, &org, &body.friendly_name, &days).await?;
    if before.require_two_factor != body.require_two_factor {
        state.app.set_organization_require_two_factor(&actor, &org, body.require_two_factor).await?;
    }
    if let Some(keep) = body.deprovisioning_keeps_keys {
        state.app.set_organization_switch(&actor, &org, OrgSwitch::DeprovisionKeepsKeys, keep).await?;
    }
    if let Some(on) = body.auto_join {
        state.app.set_organization_switch(&actor, &org, OrgSwitch::AutoJoin, on).await?;
    }
    Ok(ok(OrgBody::from(&state.app.organization(&actor, &org).await?)))
}

pub(crate) async fn events(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.organization_audit(&actor, &org_sid(&o)?, &params.page()?).await?;
    Ok(page_json::<EventBody, _>(&page))
}

// --- domains --------------------------------------------------------------------------------

pub(crate) async fn domains(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
) -> ApiResult {
    let list = state.app.domains(&actor, &org_sid(&o)?).await?;
    Ok(ok(Page::all(list.iter().map(DomainBody::from).collect())))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewDomain {
    #[schemars(
        length(max = 253),
        pattern(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
    )]
    domain_name: String,
}

pub(crate) async fn add_domain(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Body(body): Body<NewDomain>,
) -> ApiResult {
    Ok(created(DomainBody::from(&state.app.add_domain(&actor, &org_sid(&o)?, &body.domain_name).await?)))
}

pub(crate) async fn verify_domain(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, d)): Path<(String, String)>,
) -> ApiResult {
    let domain = state.app.verify_domain(&actor, &org_sid(&o)?, &sid(&d, DomainSid::parse)?).await?;
    Ok(ok(DomainBody::from(&domain)))
}

pub(crate) async fn remove_domain(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, d)): Path<(String, String)>,
) -> ApiResult {
    state.app.remove_domain(&actor, &org_sid(&o)?, &sid(&d, DomainSid::parse)?).await?;
    Ok(done())
}

// --- users ----------------------------------------------------------------------------------

pub(crate) async fn users(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let managed = match params.kind() {
        "" => None,
        "managed" => Some(true),
        "independent" => Some(false),
        _ => return Err(ApiError(Error::invalid("kind", "managed, independent, or leave it out"))),
    };
    let page = state.app.organization_users(&actor, &org_sid(&o)?, &params.page()?, managed).await?;
    Ok(page_json::<OrgUserBody, _>(&page))
}

pub(crate) async fn user(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, u)): Path<(String, String)>,
) -> ApiResult {
    Ok(ok(OrgUserViewBody::from(&state.app.org_user(&actor, &org_sid(&o)?, &user_sid(&u)?).await?)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserChange {
    #[schemars(length(max = 100), pattern(r"^\s*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"))]
    name: Option<String>,
    #[schemars(extend("enum" = ["administrator", "standard_user", null]))]
    organization_role: Option<String>,
    require_two_factor: Option<bool>,
}

/// Changes a managed user's name, organization role and 2FA requirement (any of them).
pub(crate) async fn update_user(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, u)): Path<(String, String)>,
    Body(body): Body<UserChange>,
) -> ApiResult {
    let (org, user) = (org_sid(&o)?, user_sid(&u)?);
    if let Some(name) = &body.name {
        state.app.rename_org_user(&actor, &org, &user, name).await?;
    }
    if let Some(role) = &body.organization_role {
        let role = parse_invited_org_role(role)
            .map_err(|_| Error::invalid("organization_role", "administrator or standard_user"))?;
        state.app.set_org_role(&actor, &org, &user, role).await?;
    }
    if let Some(on) = body.require_two_factor {
        state.app.set_user_require_two_factor(&actor, &org, &user, on).await?;
    }
    Ok(ok(OrgUserViewBody::from(&state.app.org_user(&actor, &org, &user).await?)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddToAccount {
    #[schemars(pattern(r"^AC[0-9a-f]{32}$"))]
    account_sid: String,
    #[schemars(length(min = 1), extend("items" = { "type": "string", "enum": ["administrator", "developer", "billing_manager", "support", "viewer"] }))]
    roles: Vec<String>,
}

/// Adds a user of the organization to one of its accounts with roles.
pub(crate) async fn add_to_account(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, u)): Path<(String, String)>,
    Body(body): Body<AddToAccount>,
) -> ApiResult {
    let account = AccountSid::parse(&body.account_sid)?;
    let roles = body.roles.iter().map(|k| AccountRole::parse_key(k)).collect::<Result<Vec<_>, _>>()?;
    let member = state.app.add_user_to_account(&actor, &org_sid(&o)?, &user_sid(&u)?, &account, &roles).await?;
    Ok(created(AddedBody {
        account_sid: account.to_string(),
        user_sid: member.user.sid.to_string(),
        roles: member.roles.iter().map(|r| r.key().to_owned()).collect(),
    }))
}

pub(crate) async fn reset_password(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, u)): Path<(String, String)>,
) -> ApiResult {
    state.app.force_password_reset(&actor, &org_sid(&o)?, &user_sid(&u)?).await?;
    Ok(done())
}

pub(crate) async fn deactivate(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, u)): Path<(String, String)>,
) -> ApiResult {
    state.app.set_org_user_active(&actor, &org_sid(&o)?, &user_sid(&u)?, false).await?;
    Ok(done())
}

pub(crate) async fn reactivate(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, u)): Path<(String, String)>,
) -> ApiResult {
    state.app.set_org_user_active(&actor, &org_sid(&o)?, &user_sid(&u)?, true).await?;
    Ok(done())
}

pub(crate) async fn offboarding_preview(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, u)): Path<(String, String)>,
) -> ApiResult {
    let preview = state.app.offboarding_preview(&actor, &org_sid(&o)?, &user_sid(&u)?).await?;
    Ok(ok(PreviewBody::from(&preview)))
}

/// The admin's choices: `accounts` maps each owned account to an heir's user SID or
/// `keep_owner`; `keep_keys` lists the keys to keep (every other key is revoked).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Offboarding {
    /// Each owned account's SID → an heir's user SID, or `keep_owner` (removal only).
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": "^AC[0-9a-f]{32}$" }, "additionalProperties" = { "type": "string", "pattern": "^(US[0-9a-f]{32}|keep_owner)$" }))]
    accounts: BTreeMap<String, String>,
    /// Keys to keep; every other key the user created is revoked.
    #[serde(default)]
    #[schemars(extend("items" = { "type": "string", "pattern": "^SK[0-9a-f]{32}$" }))]
    keep_keys: Vec<String>,
}

impl Offboarding {
    fn plan(&self) -> Result<OffboardingPlan, ApiError> {
        let mut plan = OffboardingPlan::default();
        for (account, choice) in &self.accounts {
            let account = AccountSid::parse(account)
                .map_err(|_| Error::invalid("accounts", format!("{account} is not an account SID")))?;
            plan.accounts.insert(account, OwnedAccountChoice::parse(choice)?);
        }
        for key in &self.keep_keys {
            plan.keep_keys.insert(
                ApiKeySid::parse(key).map_err(|_| Error::invalid("keep_keys", format!("{key} is not a key SID")))?,
            );
        }
        Ok(plan)
    }
}

async fn offboard(
    state: &AppState,
    actor: &gatehouse_domain::policy::Actor,
    o: &str,
    u: &str,
    kind: OffboardingKind,
    body: &Offboarding,
) -> ApiResult {
    let report = state.app.offboard(actor, &org_sid(o)?, &user_sid(u)?, kind, &body.plan()?).await?;
    Ok(ok(ReportBody::from(&report)))
}

pub(crate) async fn remove_user(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, u)): Path<(String, String)>,
    Body(body): Body<Offboarding>,
) -> ApiResult {
    offboard(&state, &actor, &o, &u, OffboardingKind::Removed, &body).await
}

pub(crate) async fn delete_user(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, u)): Path<(String, String)>,
    Body(body): Body<Offboarding>,
) -> ApiResult {
    offboard(&state, &actor, &o, &u, OffboardingKind::Deleted, &body).await
}

pub(crate) async fn reports(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.offboarding_reports(&actor, &org_sid(&o)?, &params.page()?).await?;
    Ok(page_json::<ReportBody, _>(&page))
}

pub(crate) async fn report(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, r)): Path<(String, String)>,
) -> ApiResult {
    let report = state.app.offboarding_report(&actor, &org_sid(&o)?, &sid(&r, OffboardingSid::parse)?).await?;
    Ok(ok(ReportBody::from(&report)))
}

// --- invitations ----------------------------------------------------------------------------

pub(crate) async fn invitations(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.pending_org_invitations(&actor, &org_sid(&o)?, &params.page()?).await?;
    Ok(page_json::<OrgInvitationBody, _>(&page))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrgInvite {
    #[schemars(email)]
    email: String,
    #[schemars(extend("enum" = ["administrator", "standard_user"]))]
    role: String,
}

pub(crate) async fn invite(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Body(body): Body<OrgInvite>,
) -> ApiResult {
    let invitation = state.app.invite_to_organization(&actor, &org_sid(&o)?, &body.email, &body.role).await?;
    Ok(created(OrgInvitationBody::from(&invitation)))
}

pub(crate) async fn resend(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, i)): Path<(String, String)>,
) -> ApiResult {
    state.app.resend_org_invitation(&actor, &org_sid(&o)?, &sid(&i, InvitationSid::parse)?).await?;
    Ok(done())
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, i)): Path<(String, String)>,
) -> ApiResult {
    state.app.revoke_org_invitation(&actor, &org_sid(&o)?, &sid(&i, InvitationSid::parse)?).await?;
    Ok(done())
}

// --- accounts -------------------------------------------------------------------------------

pub(crate) async fn accounts(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let org = org_sid(&o)?;
    let page = match params.kind() {
        "" | "managed" => state.app.organization_accounts(&actor, &org, &params.page()?).await?,
        "independent" => state.app.independent_accounts(&actor, &org, &params.page()?).await?,
        _ => {
            return Err(ApiError(Error::invalid(
                "kind",
                "managed or independent; pending ones are under /account-requests",
            )));
        }
    };
    Ok(page_json::<AccountBody, _>(&page))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewOrgAccount {
    #[schemars(length(max = 64), pattern(r"^\s*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"))]
    friendly_name: String,
}

pub(crate) async fn create_account(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Body(body): Body<NewOrgAccount>,
) -> ApiResult {
    let input = NewAccount { name: body.friendly_name, organization_sid: Some(org_sid(&o)?), parent_sid: None };
    Ok(created(AccountBody::from(&state.app.create_account(&actor, input).await?)))
}

pub(crate) async fn remove_account(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, a)): Path<(String, String)>,
) -> ApiResult {
    state.app.remove_account_from_organization(&actor, &org_sid(&o)?, &sid(&a, AccountSid::parse)?).await?;
    Ok(done())
}

pub(crate) async fn relinquish(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, a)): Path<(String, String)>,
) -> ApiResult {
    state.app.relinquish_account_access(&actor, &org_sid(&o)?, &sid(&a, AccountSid::parse)?).await?;
    Ok(done())
}

pub(crate) async fn requests(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.pending_account_requests(&actor, &org_sid(&o)?, &params.page()?).await?;
    Ok(page_json::<RequestViewBody, _>(&page))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRequest {
    #[schemars(extend("enum" = ["import", "access"]))]
    kind: String,
    #[schemars(pattern(r"^AC[0-9a-f]{32}$"))]
    account_sid: String,
}

pub(crate) async fn request(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Body(body): Body<NewRequest>,
) -> ApiResult {
    let org = org_sid(&o)?;
    let account = AccountSid::parse(&body.account_sid)?;
    let request = match body.kind.as_str() {
        "import" => state.app.request_account_import(&actor, &org, &account).await?,
        "access" => state.app.request_account_access(&actor, &org, &account).await?,
        _ => return Err(ApiError(Error::invalid("kind", "import or access"))),
    };
    Ok(created(RequestBody::from(&request)))
}

pub(crate) async fn cancel_request(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, r)): Path<(String, String)>,
) -> ApiResult {
    state.app.cancel_account_request(&actor, &org_sid(&o)?, &sid(&r, AccountRequestSid::parse)?).await?;
    Ok(done())
}

// --- the account Owner's side ---------------------------------------------------------------

/// The pending request about the account, for its Owner (`null` for anyone else).
pub(crate) async fn pending_request(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    let view = state.app.account_request_for_owner(&actor, &sid(&a, AccountSid::parse)?).await?;
    Ok(ok(PendingRequestBody { request: view.as_ref().map(RequestViewBody::from) }))
}

pub(crate) async fn accept_request(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    state.app.answer_account_request(&actor, &sid(&a, AccountSid::parse)?, true).await?;
    Ok(done())
}

pub(crate) async fn decline_request(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    state.app.answer_account_request(&actor, &sid(&a, AccountSid::parse)?, false).await?;
    Ok(done())
}
