//! API: an account's users and roles, invitations, and the ownership offer.

use axum::extract::{Path, State};
use gatehouse_app::NewInvitation;
use gatehouse_domain::Error;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{AccountSid, ApiKeySid, InvitationSid, UserSid};
use schemars::JsonSchema;
use serde::Deserialize;

use super::bodies::{InvitationBody, MemberBody, OwnershipBody, RolesChangeBody};
use super::{ApiActor, ApiError, ApiResult, Body, ListParams, Params, created, done, ok, page_json, sid};
use crate::AppState;

fn parse_roles(keys: &[String]) -> Result<Vec<AccountRole>, ApiError> {
    Ok(keys.iter().map(|k| AccountRole::parse_key(k)).collect::<Result<Vec<_>, _>>()?)
}

pub(crate) async fn members(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let account = sid(&a, AccountSid::parse)?;
    let page = state.app.account_members_in_role(&actor, &account, params.role()?, &params.page()?).await?;
    Ok(page_json::<MemberBody, _>(&page))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Roles {
    #[schemars(length(min = 1), extend("items" = { "type": "string", "enum": ["administrator", "developer", "billing_manager", "support", "viewer"] }))]
    roles: Vec<String>,
}

pub(crate) async fn change_roles(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((a, u)): Path<(String, String)>,
    Body(body): Body<Roles>,
) -> ApiResult {
    let (account, user) = (sid(&a, AccountSid::parse)?, sid(&u, UserSid::parse)?);
    let change = state.app.change_member_roles(&actor, &account, &user, &parse_roles(&body.roles)?).await?;
    Ok(ok(RolesChangeBody::new(&user, &change.after, &change.before)))
}

/// `?keep_keys=SK…,SK…`: the API keys the user created here that stay working; the others
/// are revoked.
#[derive(Deserialize, Default)]
pub(crate) struct RemoveParams {
    #[serde(default)]
    keep_keys: String,
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((a, u)): Path<(String, String)>,
    Params(params): Params<RemoveParams>,
) -> ApiResult {
    let keep = params
        .keep_keys
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| ApiKeySid::parse(k).map_err(|_| Error::invalid("keep_keys", format!("{k:?} is not a key SID"))))
        .collect::<Result<_, _>>()?;
    state.app.remove_member(&actor, &sid(&a, AccountSid::parse)?, &sid(&u, UserSid::parse)?, &keep).await?;
    Ok(done())
}

pub(crate) async fn invitations(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.pending_invitations(&actor, &sid(&a, AccountSid::parse)?, &params.page()?).await?;
    Ok(page_json::<InvitationBody, _>(&page))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Invite {
    #[schemars(email)]
    email: String,
    #[schemars(length(min = 1), extend("items" = { "type": "string", "enum": ["administrator", "developer", "billing_manager", "support", "viewer"] }))]
    roles: Vec<String>,
}

pub(crate) async fn invite(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Invite>,
) -> ApiResult {
    let input = NewInvitation { email: body.email, roles: parse_roles(&body.roles)? };
    let invitation = state.app.invite(&actor, &sid(&a, AccountSid::parse)?, input).await?;
    Ok(created(InvitationBody::from(&invitation)))
}

pub(crate) async fn resend(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((a, i)): Path<(String, String)>,
) -> ApiResult {
    state.app.resend_invitation(&actor, &sid(&a, AccountSid::parse)?, &sid(&i, InvitationSid::parse)?).await?;
    Ok(done())
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((a, i)): Path<(String, String)>,
) -> ApiResult {
    state.app.revoke_invitation(&actor, &sid(&a, AccountSid::parse)?, &sid(&i, InvitationSid::parse)?).await?;
    Ok(done())
}

/// The pending ownership offer, or `null`.
pub(crate) async fn ownership(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    let offer = state.app.owner_nomination(&actor, &sid(&a, AccountSid::parse)?).await?;
    Ok(ok(OwnershipBody::from(offer)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Nominee {
    #[schemars(pattern(r"^US[0-9a-f]{32}$"))]
    pub(super) user_sid: String,
}

pub(crate) async fn nominate(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Nominee>,
) -> ApiResult {
    let nominee = UserSid::parse(&body.user_sid)?;
    state.app.nominate_owner(&actor, &sid(&a, AccountSid::parse)?, &nominee).await?;
    Ok(done())
}

pub(crate) async fn cancel_nomination(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    state.app.cancel_owner_nomination(&actor, &sid(&a, AccountSid::parse)?).await?;
    Ok(done())
}

pub(crate) async fn accept_ownership(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    state.app.accept_ownership(&actor, &sid(&a, AccountSid::parse)?).await?;
    Ok(done())
}

pub(crate) async fn decline_ownership(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    state.app.decline_ownership(&actor, &sid(&a, AccountSid::parse)?).await?;
    Ok(done())
}
