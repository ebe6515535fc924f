//! API: the caller, an account, its settings and lifecycle, subaccounts and activity.

use axum::extract::{Path, State};
use gatehouse_app::NewAccount;
use gatehouse_domain::Error;
use gatehouse_domain::account::AccountSettings;
use gatehouse_domain::policy::ActorKind;
use gatehouse_domain::sid::AccountSid;
use schemars::JsonSchema;
use serde::Deserialize;

use super::bodies::{AccountBody, EventBody, MeBody};
use super::{ApiActor, ApiError, ApiResult, Body, ListParams, Params, created, done, ok, page_json, sid};
use crate::AppState;

fn account_sid(raw: &str) -> Result<AccountSid, ApiError> {
    sid(raw, AccountSid::parse)
}

/// Who the credentials are.
pub(crate) async fn me(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    Ok(match &actor.kind {
        ActorKind::ApiKey { key, .. } => {
            let account = state.app.credential_account(&actor).await?;
            ok(MeBody::ApiKey { api_key_sid: key.to_string(), account: AccountBody::from(&account) })
        }
        ActorKind::User(sid) => {
            let user = state.app.user(&actor, sid).await?;
            ok(MeBody::User { user_sid: user.sid.to_string(), email: user.email.to_string(), name: user.name })
        }
        _ => return Err(ApiError(Error::Unauthenticated)),
    })
}

pub(crate) async fn show(State(state): State<AppState>, ApiActor(actor): ApiActor, Path(a): Path<String>) -> ApiResult {
    Ok(ok(AccountBody::from(&state.app.account(&actor, &account_sid(&a)?).await?.account)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rename {
    #[schemars(length(max = 64), pattern(r"^\s*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"))]
    friendly_name: String,
}

pub(crate) async fn rename(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Rename>,
) -> ApiResult {
    let sid = account_sid(&a)?;
    state.app.rename_account(&actor, &sid, &body.friendly_name).await?;
    Ok(ok(AccountBody::from(&state.app.account(&actor, &sid).await?.account)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    require_two_factor: bool,
    require_https_webhooks: bool,
    require_public_key_validation: bool,
}

pub(crate) async fn settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Settings>,
) -> ApiResult {
    let sid = account_sid(&a)?;
    let settings = AccountSettings {
        require_two_factor: body.require_two_factor,
        require_https_webhooks: body.require_https_webhooks,
        require_public_key_validation: body.require_public_key_validation,
    };
    state.app.update_account_settings(&actor, &sid, settings).await?;
    Ok(ok(AccountBody::from(&state.app.account(&actor, &sid).await?.account)))
}

pub(crate) async fn suspend(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    state.app.suspend_account(&actor, &account_sid(&a)?).await?;
    Ok(done())
}

pub(crate) async fn reactivate(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    state.app.reactivate_account(&actor, &account_sid(&a)?).await?;
    Ok(done())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Close {
    /// The account's name, typed to confirm.
    confirm_name: String,
}

pub(crate) async fn close(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Close>,
) -> ApiResult {
    state.app.close_account(&actor, &account_sid(&a)?, &body.confirm_name).await?;
    Ok(done())
}

pub(crate) async fn subaccounts(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.subaccounts(&actor, &account_sid(&a)?, &params.page()?).await?;
    Ok(page_json::<AccountBody, _>(&page))
}

pub(crate) async fn create_subaccount(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Rename>,
) -> ApiResult {
    let input = NewAccount { name: body.friendly_name, organization_sid: None, parent_sid: Some(account_sid(&a)?) };
    Ok(created(AccountBody::from(&state.app.create_account(&actor, input).await?)))
}

/// The account's audit events, newest first.
pub(crate) async fn events(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.account_audit(&actor, &account_sid(&a)?, &params.page()?).await?;
    Ok(page_json::<EventBody, _>(&page))
}
