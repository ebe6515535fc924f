//! *Security → Delete your login*: an independent user chooses what becomes of each account they
//! own, types their address, and their login is erased.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_app::AccountFate;
use gatehouse_domain::Error;
use gatehouse_domain::sid::{AccountSid, UserSid};

use super::session::{SESSION_COOKIE, set_cookie, with_cookies};
use super::{CurrentUser, FormData, FormErrors, Layout};
use crate::{AppState, WebError};

type PageResult = Result<Response, WebError>;

struct OwnedRow {
    sid: String,
    name: String,
    /// (user SID, "name <email>")
    heirs: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "me_delete.html")]
struct DeletePage {
    layout: Layout,
    email: String,
    owned: Vec<OwnedRow>,
    errors: FormErrors,
}

async fn render(state: &AppState, user: &CurrentUser, errors: FormErrors) -> PageResult {
    let preview = state.app.self_deletion_preview(&user.actor).await?;
    let owned = preview
        .owned
        .into_iter()
        .map(|(a, heirs)| OwnedRow {
            sid: a.sid.to_string(),
            name: a.name,
            heirs: heirs.into_iter().map(|u| (u.sid.to_string(), format!("{} <{}>", u.name, u.email))).collect(),
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = DeletePage {
        layout: user.layout("Delete your login", "/me", None),
        email: preview.user.email.to_string(),
        owned,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn form(State(state): State<AppState>, user: CurrentUser) -> PageResult {
    render(&state, &user, FormErrors::default()).await
}

/// The choice for each owned account (`account_<AC…>` = a member's SID or `close`).
fn fates(form: &FormData) -> Result<BTreeMap<AccountSid, AccountFate>, Error> {
    let mut fates = BTreeMap::new();
    for (account, value) in form.with_prefix("account_") {
        let account = AccountSid::parse(account)?;
        match value {
            "" => {}
            "close" => {
                fates.insert(account, AccountFate::Close);
            }
            heir => {
                fates.insert(account, AccountFate::Heir(UserSid::parse(heir)?));
            }
        }
    }
    Ok(fates)
}

pub(crate) async fn submit(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    let result = match fates(&form) {
        Ok(fates) => state.app.delete_own_login(&user.actor, &form.text("confirm_email"), &fates).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(with_cookies(
            Redirect::to("/signin?notice=login-deleted").into_response(),
            vec![set_cookie(&state, SESSION_COOKIE, "", Some(0))],
        )),
        Err(e @ (Error::Invalid { .. } | Error::Precondition(_))) => {
            render(&state, &user, FormErrors::from_errors(vec![e])?).await
        }
        Err(e) => Err(WebError(e)),
    }
}
