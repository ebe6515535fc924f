//! API: the Admin Center — an organization's settings, domains, users (the user page and
//! offboarding), invitations, accounts and account requests; and the account Owner's answer
//! to a request.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use gatehouse_app::{AccountRequestView, NewAccount, OffboardingPreview, OrgUserView};
use gatehouse_domain::Error;
use gatehouse_domain::account_request::AccountRequest;
use gatehouse_domain::domains::Domain;
use gatehouse_domain::invitation::{OrgInvitation, org_role_key, parse_invited_org_role};
use gatehouse_domain::membership::OrgUser;
use gatehouse_domain::offboarding::{OffboardingKind, OffboardingPlan, OffboardingReport, OwnedAccountChoice};
use gatehouse_domain::organization::Organization;
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::sid::{
    AccountRequestSid, AccountSid, ApiKeySid, DomainSid, InvitationSid, OffboardingSid, OrganizationSid, UserSid,
};
use gatehouse_domain::user::User;
use serde::Deserialize;
use serde_json::{Value, json};

use super::accounts::{account_json, event_json};
use super::{ApiActor, ApiError, ApiResult, Body, ListParams, Params, created, done, page_json, sid};
use crate::AppState;

fn org_sid(raw: &str) -> Result<OrganizationSid, ApiError> {
    sid(raw, OrganizationSid::parse)
}

fn user_sid(raw: &str) -> Result<UserSid, ApiError> {
    sid(raw, UserSid::parse)
}

fn org_json(o: &Organization) -> Value {
    json!({
        "sid": o.sid,
        "friendly_name": o.name,
        "require_two_factor": o.require_two_factor,
        "invitation_lifetime_days": o.invitation_lifetime_days,
        "deprovisioning_keeps_keys": o.deprovision_keeps_keys,
        "date_created": o.created_at.to_rfc3339(),
        "date_updated": o.updated_at.to_rfc3339(),
    })
}

fn user_json(u: &User) -> Value {
    json!({
        "sid": u.sid,
        "email": u.email,
        "name": u.name,
        "status": u.status.as_str(),
        "managed": u.organization_sid.is_some(),
        "require_two_factor": u.require_two_factor,
        "last_login": u.last_login_at.map(|t| t.to_rfc3339()),
    })
}

fn org_role_name(r: Option<OrgRole>) -> Option<&'static str> {
    r.map(org_role_key)
}

fn org_user_json(u: &OrgUser) -> Value {
    let mut v = user_json(&u.user);
    v["managed"] = Value::from(u.managed);
    v["organization_role"] = json!(org_role_name(u.org_role));
    v
}

fn domain_json(d: &Domain) -> Value {
    json!({
        "sid": d.sid,
        "domain_name": d.name,
        "status": d.status.as_str(),
        "record_name": d.record_name(),
        "record_value": d.record_value(),
        "last_error": d.last_error,
        "date_verified": d.verified_at.map(|t| t.to_rfc3339()),
        "date_checked": d.checked_at.map(|t| t.to_rfc3339()),
        "date_created": d.created_at.to_rfc3339(),
    })
}

fn invitation_json(i: &OrgInvitation) -> Value {
    json!({
        "sid": i.sid,
        "email": i.email,
        "role": org_role_key(i.role),
        "state": i.state(chrono::Utc::now()),
        "invited_by": i.invited_by,
        "date_created": i.created_at.to_rfc3339(),
        "date_expires": i.expires_at.to_rfc3339(),
    })
}

fn request_json(r: &AccountRequest) -> Value {
    json!({
        "sid": r.sid,
        "organization_sid": r.organization_sid,
        "account_sid": r.account_sid,
        "kind": r.kind.as_str(),
        "state": r.state(chrono::Utc::now()),
        "requested_by": r.requested_by,
        "date_created": r.created_at.to_rfc3339(),
        "date_expires": r.expires_at.to_rfc3339(),
    })
}

fn request_view_json(v: &AccountRequestView) -> Value {
    let mut out = request_json(&v.request);
    out["account"] = account_json(&v.account);
    out["owner"] = json!(v.owner.as_ref().map(|o| json!({ "sid": o.sid, "email": o.email, "name": o.name })));
    out["organization_name"] = Value::from(v.organization.name.clone());
    out
}

fn report_json(r: &OffboardingReport) -> Value {
    json!({
        "sid": r.sid,
        "organization_sid": r.organization_sid,
        "user_sid": r.user_sid,
        "kind": r.kind.as_str(),
        "actor": r.actor,
        "details": r.details,
        "date_created": r.created_at.to_rfc3339(),
    })
}

// --- the organization -----------------------------------------------------------------------

pub(crate) async fn show(State(state): State<AppState>, ApiActor(actor): ApiActor, Path(o): Path<String>) -> ApiResult {
    Ok(Json(org_json(&state.app.organization(&actor, &org_sid(&o)?).await?)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrgSettings {
    friendly_name: String,
    invitation_lifetime_days: u32,
    require_two_factor: bool,
    #[serde(default)]
    deprovisioning_keeps_keys: Option<bool>,
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
        state.app.set_organization_deprovision_keeps_keys(&actor, &org, keep).await?;
    }
    Ok(Json(org_json(&state.app.organization(&actor, &org).await?)).into_response())
}

pub(crate) async fn events(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.organization_audit(&actor, &org_sid(&o)?, &params.page()?).await?;
    Ok(page_json(&page, event_json))
}

// --- domains --------------------------------------------------------------------------------

pub(crate) async fn domains(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
) -> ApiResult {
    let list = state.app.domains(&actor, &org_sid(&o)?).await?;
    Ok(Json(json!({ "items": list.iter().map(domain_json).collect::<Vec<_>>(), "next_after": null })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewDomain {
    domain_name: String,
}

pub(crate) async fn add_domain(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Body(body): Body<NewDomain>,
) -> ApiResult {
    Ok(created(domain_json(&state.app.add_domain(&actor, &org_sid(&o)?, &body.domain_name).await?)))
}

pub(crate) async fn verify_domain(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, d)): Path<(String, String)>,
) -> ApiResult {
    let domain = state.app.verify_domain(&actor, &org_sid(&o)?, &sid(&d, DomainSid::parse)?).await?;
    Ok(Json(domain_json(&domain)).into_response())
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
    Ok(page_json(&page, org_user_json))
}

fn org_user_view_json(v: &OrgUserView) -> Value {
    let mut out = user_json(&v.user);
    out["managed"] = Value::from(v.managed);
    out["organization_role"] = json!(org_role_name(v.org_role));
    out["accounts"] = v
        .accounts
        .iter()
        .map(|(a, roles)| json!({ "account": account_json(a), "roles": roles.iter().map(|r| r.key()).collect::<Vec<_>>() }))
        .collect();
    out
}

pub(crate) async fn user(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, u)): Path<(String, String)>,
) -> ApiResult {
    Ok(Json(org_user_view_json(&state.app.org_user(&actor, &org_sid(&o)?, &user_sid(&u)?).await?)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserChange {
    name: Option<String>,
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
    Ok(Json(org_user_view_json(&state.app.org_user(&actor, &org, &user).await?)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddToAccount {
    account_sid: String,
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
    Ok(created(json!({
        "account_sid": account,
        "user_sid": member.user.sid,
        "roles": member.roles.iter().map(|r| r.key()).collect::<Vec<_>>(),
    })))
}

pub(crate) async fn reset_password(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, u)): Path<(String, String)>,
) -> ApiResult {
    state.app.force_password_reset(&actor, &org_sid(&o)?, &user_sid(&u)?).await?;
    Ok(done())
}

fn preview_json(p: &OffboardingPreview) -> Value {
    let names: BTreeMap<_, _> = p.memberships.iter().map(|(a, _)| (a.sid.clone(), a.name.clone())).collect();
    json!({
        "user": user_json(&p.user),
        "organization_role": org_role_name(p.org_role),
        "owned_accounts": p.owned_accounts.iter().map(|a| {
            let mut v = account_json(a);
            v["subaccounts_following"] = p.following.iter().filter(|s| s.parent_sid.as_ref() == Some(&a.sid)).map(|s| json!(s.sid)).collect();
            v
        }).collect::<Vec<_>>(),
        "memberships": p.memberships.iter().map(|(a, roles)| json!({ "account_sid": a.sid, "friendly_name": a.name, "roles": roles.iter().map(|r| r.key()).collect::<Vec<_>>() })).collect::<Vec<_>>(),
        "keys": p.keys.iter().map(|k| json!({ "sid": k.sid, "friendly_name": k.name, "account_sid": k.account_sid, "account_name": names.get(&k.account_sid), "last_used": k.last_used_at.map(|t| t.to_rfc3339()) })).collect::<Vec<_>>(),
        "sessions": p.sessions.iter().map(|s| json!({ "date_created": s.created_at.to_rfc3339(), "last_seen": s.last_seen_at.to_rfc3339(), "ip": s.ip })).collect::<Vec<_>>(),
        "invitations": p.invitations.iter().map(|i| json!({ "sid": i.sid, "email": i.email, "account_sid": i.account_sid })).chain(p.org_invitations.iter().map(|i| json!({ "sid": i.sid, "email": i.email, "organization_sid": i.organization_sid }))).collect::<Vec<_>>(),
        "accounts_owned_elsewhere": p.owned_elsewhere.iter().map(|a| json!(a.sid)).collect::<Vec<_>>(),
        "heirs": p.heirs.iter().map(|u| json!({ "sid": u.sid, "email": u.email, "name": u.name })).collect::<Vec<_>>(),
    })
}

pub(crate) async fn offboarding_preview(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, u)): Path<(String, String)>,
) -> ApiResult {
    let preview = state.app.offboarding_preview(&actor, &org_sid(&o)?, &user_sid(&u)?).await?;
    Ok(Json(preview_json(&preview)).into_response())
}

/// The admin's choices: `accounts` maps each owned account to an heir's user SID or
/// `keep_owner`; `keep_keys` lists the keys to keep (every other key is revoked).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Offboarding {
    #[serde(default)]
    accounts: BTreeMap<String, String>,
    #[serde(default)]
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
    Ok(Json(report_json(&report)).into_response())
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
    Ok(page_json(&page, report_json))
}

pub(crate) async fn report(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, r)): Path<(String, String)>,
) -> ApiResult {
    let report = state.app.offboarding_report(&actor, &org_sid(&o)?, &sid(&r, OffboardingSid::parse)?).await?;
    Ok(Json(report_json(&report)).into_response())
}

// --- invitations ----------------------------------------------------------------------------

pub(crate) async fn invitations(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.pending_org_invitations(&actor, &org_sid(&o)?, &params.page()?).await?;
    Ok(page_json(&page, invitation_json))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrgInvite {
    email: String,
    role: String,
}

pub(crate) async fn invite(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Body(body): Body<OrgInvite>,
) -> ApiResult {
    let invitation = state.app.invite_to_organization(&actor, &org_sid(&o)?, &body.email, &body.role).await?;
    Ok(created(invitation_json(&invitation)))
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
    Ok(page_json(&page, account_json))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewOrgAccount {
    friendly_name: String,
}

pub(crate) async fn create_account(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Body(body): Body<NewOrgAccount>,
) -> ApiResult {
    let input = NewAccount { name: body.friendly_name, organization_sid: Some(org_sid(&o)?), parent_sid: None };
    Ok(created(account_json(&state.app.create_account(&actor, input).await?)))
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
    Ok(page_json(&page, request_view_json))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRequest {
    kind: String,
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
    Ok(created(request_json(&request)))
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
    Ok(Json(json!({ "request": view.as_ref().map(request_view_json) })).into_response())
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
