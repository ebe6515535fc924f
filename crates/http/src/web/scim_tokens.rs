//! Admin Center → SCIM & OAuth: an organization's machine credentials, self-serve — SCIM
//! tokens for identity providers and OAuth apps (client credentials for Twilio's API and SDKs):
//! create (the secret shown once, on the page the creation leads to), list, revoke.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_domain::Error;
use gatehouse_domain::sid::{OAuthAppSid, OrganizationSid, ScimTokenSid};
use serde::{Deserialize, Serialize};

use super::accounts::ListQuery;
use super::{CurrentUser, FormData, FormErrors, Layout, notice};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

/// A credential waiting in the session to be shown once.
#[derive(Serialize, Deserialize)]
struct Created {
    org: String,
    /// `scim` or `oauth`.
    kind: String,
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
    apps: Vec<TokenRow>,
    token_url: String,
    /// The credential just created: (kind, SID, name, secret).
    created: Option<(String, String, String, String)>,
    new_name: String,
    errors: FormErrors,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    sid: &OrganizationSid,
    created: Option<(String, String, String, String)>,
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
    let apps = state
        .app
        .oauth_apps(&user.actor, sid)
        .await?
        .into_iter()
        .map(|a| TokenRow {
            sid: a.sid.to_string(),
            name: a.name,
            created: fmt(a.created_at),
            last_used: a.last_used_at.map_or_else(|| "never".into(), fmt),
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
        token_url: format!("{base}/v2/token"),
        rows,
        apps,
        created,
        new_name,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let created = if q.notice.as_deref() == Some("scim-token-created") {
        state
            .app
            .take_flash(&user.token)
            .await?
            .and_then(|f| serde_json::from_str::<Created>(&f).ok())
            .filter(|c| c.org == sid.as_str())
            .map(|c| (c.kind, c.sid, c.name, c.secret))
    } else {
        None
    };
    render(&state, &user, &sid, created, String::new(), FormErrors::default(), q.notice.as_deref()).await
}

/// Creates a SCIM token (`kind=scim`) or an OAuth app (`kind=oauth`).
pub(crate) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let kind = form.text("kind");
    let name = form.text("name");
    let created = match kind.as_str() {
        "oauth" => state
            .app
            .create_oauth_app(&user.actor, &sid, &name)
            .await
            .map(|a| (a.app.sid.to_string(), a.app.name, a.secret)),
        _ => state
            .app
            .create_scim_token(&user.actor, &sid, &name)
            .await
            .map(|t| (t.token.sid.to_string(), t.token.name, t.secret)),
    };
    match created {
        Ok((csid, cname, secret)) => {
            let kind = if kind == "oauth" { "oauth" } else { "scim" }.to_owned();
            let flash = Created { org: sid.to_string(), kind, sid: csid, name: cname, secret };
            let flash = serde_json::to_string(&flash).map_err(|e| Error::Internal(format!("flash: {e}")))?;
            state.app.put_flash(&user.token, &flash).await?;
            Ok(Redirect::to(&format!("/orgs/{sid}/scim?notice=scim-token-created")).into_response())
        }
        Err(e) => render(&state, &user, &sid, None, name, FormErrors::from_errors(vec![e])?, None).await,
    }
}

/// Revokes a SCIM token (`ST…`) or an OAuth app (`OQ…`).
pub(crate) async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, credential)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    if let Ok(app) = OAuthAppSid::parse(&credential) {
        state.app.revoke_oauth_app(&user.actor, &sid, &app).await?;
    } else {
        state.app.revoke_scim_token(&user.actor, &sid, &path_sid(&credential, ScimTokenSid::parse)?).await?;
    }
    Ok(Redirect::to(&format!("/orgs/{sid}/scim?notice=scim-token-revoked")).into_response())
}
