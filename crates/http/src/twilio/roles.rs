//! iam/v1 `Roles/{IX…}/Permissions` (Basic auth): the permissions of a built-in role, in the
//! catalogue's order, as Twilio's "meta" page (`meta.key = "permissions"`). A permission's SID
//! (`IZ…`) is fixed by its place in the catalogue; its name `area.resource.action` gives the
//! `product`, `resource` and `action`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use gatehouse_domain::Error;
use gatehouse_domain::permission::Permission;
use gatehouse_domain::role::BuiltinRole;
use gatehouse_domain::sid::RoleSid;
use serde_json::{Value, json};

use super::account_client::AccountClient;
use super::{TwilioError, TwilioResult, paging};
use crate::AppState;

/// A permission's fixed SID: `IZ` and its place in the catalogue, in 32 hex digits.
fn permission_sid(p: Permission) -> String {
    let place = Permission::ALL.iter().position(|q| *q == p).unwrap_or_default() + 1;
    format!("IZ{place:032x}")
}

fn permission_json(p: Permission) -> Value {
    let parts: Vec<&str> = p.name().split('.').collect();
    let (product, resource, action) = match parts.as_slice() {
        [area, action] => (*area, *area, *action),
        [area, resource, action] => (*area, *resource, *action),
        _ => (p.name(), p.name(), p.name()),
    };
    json!({
        "sid": permission_sid(p),
        "namespace": "gatehouse",
        "product": product,
        "resource": resource,
        "action": action,
        "externalDescription": p.description(),
    })
}

/// `GET /v1/Roles/{IX…}/Permissions`: any account credential may read what a role allows.
pub(crate) async fn permissions(
    State(state): State<AppState>,
    _c: AccountClient,
    Path(role): Path<String>,
    Query(q): Query<paging::Paging>,
) -> TwilioResult {
    let not_found = || TwilioError::new(StatusCode::NOT_FOUND, 20404, format!("No role {role}"));
    let builtin = RoleSid::parse(&role).ok().and_then(|r| BuiltinRole::from_sid(&r)).ok_or_else(not_found)?;
    let (size, number, token) = (q.size(100)?, q.number(), q.token());
    let all: Vec<(String, Permission)> = builtin.permissions().iter().map(|p| (permission_sid(p), p)).collect();
    if token.is_some_and(|t| !t.starts_with("IZ")) {
        return Err(Error::invalid("PageToken", "is not a token from a previous page").into());
    }
    let page = paging::window(&all, |(sid, _)| sid.as_str(), token, size as usize);
    let items = page.items.iter().map(|(_, p)| permission_json(*p)).collect();
    let list = format!("{}/v1/Roles/{role}/Permissions", state.app.public_url());
    let body = paging::meta_page("permissions", &list, size, number, items, page.next, page.previous);
    Ok(Json(body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_sids_are_fixed_and_distinct() {
        let sids: std::collections::BTreeSet<String> = Permission::ALL.iter().map(|p| permission_sid(*p)).collect();
        assert_eq!(sids.len(), Permission::ALL.len());
        assert!(sids.iter().all(|s| s.len() == 34 && s.starts_with("IZ")));
        let one = permission_json(Permission::AccountSettingsWrite);
        assert_eq!(
            (one["product"].as_str(), one["resource"].as_str(), one["action"].as_str()),
            (Some("account"), Some("settings"), Some("write"))
        );
    }
}
