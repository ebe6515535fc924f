//! API: an account's API keys. The secret is in the answer to the creation only.

use axum::extract::{Path, State};
use gatehouse_domain::api_key::parse_key_permissions;
use gatehouse_domain::sid::{AccountSid, ApiKeySid};
use schemars::JsonSchema;
use serde::Deserialize;

use super::bodies::{KeyBody, NewKeyBody, RenamedKeyBody};
use super::{ApiActor, ApiResult, Body, ListParams, Params, created, done, ok, page_json, sid};
use crate::AppState;

pub(crate) async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.api_keys(&actor, &sid(&a, AccountSid::parse)?, &params.page()?).await?;
    Ok(page_json::<KeyBody, _>(&page))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Name {
    #[schemars(length(max = 64), pattern(r"^\s*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"))]
    friendly_name: String,
}

/// A new key: its name and, for a restricted key, its permissions.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewKey {
    #[schemars(length(max = 64), pattern(r"^\s*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"))]
    friendly_name: String,
    /// Restricts the key to these permissions (some of `resources.read`, `resources.write`,
    /// `logs.read`, `usage.read`, `account.read`, `access.check`); absent: a standard key.
    #[serde(default)]
    #[schemars(length(min = 1, max = 16))]
    permissions: Option<Vec<String>>,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<NewKey>,
) -> ApiResult {
    let restricted = match &body.permissions {
        Some(names) => Some(parse_key_permissions(names.iter().map(String::as_str))?),
        None => None,
    };
    let account = sid(&a, AccountSid::parse)?;
    let new = state.app.create_restricted_api_key(&actor, &account, &body.friendly_name, restricted).await?;
    let permissions = new.key.permissions().iter().map(|p| p.name().to_owned()).collect();
    Ok(created(NewKeyBody {
        sid: new.key.sid.to_string(),
        friendly_name: new.key.name,
        secret: new.secret,
        date_created: new.key.created_at.to_rfc3339(),
        permissions,
    }))
}

pub(crate) async fn rename(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((a, k)): Path<(String, String)>,
    Body(body): Body<Name>,
) -> ApiResult {
    let (account, key) = (sid(&a, AccountSid::parse)?, sid(&k, ApiKeySid::parse)?);
    state.app.rename_api_key(&actor, &account, &key, &body.friendly_name).await?;
    Ok(ok(RenamedKeyBody { sid: key.to_string(), friendly_name: body.friendly_name.trim().to_owned() }))
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((a, k)): Path<(String, String)>,
) -> ApiResult {
    state.app.revoke_api_key(&actor, &sid(&a, AccountSid::parse)?, &sid(&k, ApiKeySid::parse)?).await?;
    Ok(done())
}
