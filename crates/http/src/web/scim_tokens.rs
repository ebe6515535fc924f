//! Admin Center → SCIM: an organization's provisioning tokens, self-serve (create, with the
//! secret shown once on the page the creation leads to; list; revoke).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_domain::Error;
use gatehouse_domain::sid::{OrganizationSid, ScimTokenSid};
use serde::{Deserialize, Serialize};

use super::accounts::ListQuery;
use super::{CurrentUser, FormData, FormErrors, Layout, notice};
use crate::{AppState, WebError};

type PageResult = Result<Response, WebError>;

/// A token waiting in the session to be shown once.
#[derive(Serialize, Deserialize)]
struct Created {
    org: String,
    sid: String,
    name: String,
    secret: String,
}

pub(crate) struct TokenRow {
    pub sid: String,
    pub name: String,
    pub created: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "org_scim.html")]
struct ScimPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    base_url: String,
    twilio_base_url: String,
    rows: Vec<TokenRow>,
    created: Option<(String, String, String)>,
    new_name: String,
    errors: FormErrors,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    sid: &OrganizationSid,
    created: Option<(String, String, String)>,
    new_name: String,
    errors: FormErrors,
    notice_code: Option<&str>,
) -> PageResult {
    let org = state.app.organization(&user.actor, sid).await?;
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let rows = state
        .app
        .scim_tokens(&user.actor, sid)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            sid: t.sid.to_string(),
            name: t.name,
            created: fmt(t.created_at),
            last_used: t.last_used_at.map_or_else(|| "never".into(), fmt),
        })
        .collect();
    let status = if errors.get("name").is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let base = state.app.public_url();
    let page = ScimPage {
        layout: user.layout(&format!("SCIM · {}", org.name), &format!("/orgs/{sid}"), notice(notice_code)),
        tab: "scim",
        sid: sid.to_string(),
        name: org.name,
        base_url: format!("{base}/scim/v2"),
        twilio_base_url: format!("{base}/Organizations/{sid}/scim"),
        rows,
        created,
        new_name,
        errors,
    };
    let mut response = (status, Html(page.render()?)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = OrganizationSid::parse(&sid)?;
    let created = if q.notice.as_deref() == Some("scim-token-created") {
        state
            .app
            .take_flash(&user.token)
            .await?
            .and_then(|f| serde_json::from_str::<Created>(&f).ok())
            .filter(|c| c.org == sid.as_str())
            .map(|c| (c.sid, c.name, c.secret))
    } else {
        None
    };
    render(&state, &user, &sid, created, String::new(), FormErrors::default(), q.notice.as_deref()).await
}

pub(crate) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = OrganizationSid::parse(&sid)?;
    match state.app.create_scim_token(&user.actor, &sid, &form.text("name")).await {
        Ok(created) => {
            let flash = Created {
                org: sid.to_string(),
                sid: created.token.sid.to_string(),
                name: created.token.name,
                secret: created.secret,
            };
            let flash = serde_json::to_string(&flash).map_err(|e| Error::Internal(format!("flash: {e}")))?;
            state.app.put_flash(&user.token, &flash).await?;
            Ok(Redirect::to(&format!("/orgs/{sid}/scim?notice=scim-token-created")).into_response())
        }
        Err(e) => render(&state, &user, &sid, None, form.text("name"), FormErrors::from_errors(vec![e])?, None).await,
    }
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, token)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = OrganizationSid::parse(&sid)?;
    let token = ScimTokenSid::parse(&token)?;
    state.app.revoke_scim_token(&user.actor, &sid, &token).await?;
    Ok(Redirect::to(&format!("/orgs/{sid}/scim?notice=scim-token-revoked")).into_response())
}
