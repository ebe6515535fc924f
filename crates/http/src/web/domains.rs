//! Admin Center: an organization's domains — add, the TXT record to publish, verify, remove.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_domain::sid::{DomainSid, OrganizationSid};

use super::accounts::ListQuery;
use super::{CurrentUser, FormData, FormErrors, Layout, notice};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

struct DomainRow {
    sid: String,
    name: String,
    status: &'static str,
    record_name: String,
    record_value: String,
    checked: String,
    last_error: String,
}

#[derive(Template)]
#[template(path = "org_domains.html")]
struct DomainsPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    rows: Vec<DomainRow>,
    new_name: String,
    errors: FormErrors,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    sid: &OrganizationSid,
    notice_code: Option<&str>,
    new_name: String,
    errors: FormErrors,
) -> PageResult {
    let org = state.app.organization(&user.actor, sid).await?;
    let domains = state.app.domains(&user.actor, sid).await?;
    let rows = domains
        .iter()
        .map(|d| DomainRow {
            sid: d.sid.to_string(),
            name: d.name.clone(),
            status: d.status.as_str(),
            record_name: d.record_name(),
            record_value: d.record_value(),
            checked: d.checked_at.map_or_else(|| "never".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
            last_error: d.last_error.clone().unwrap_or_default(),
        })
        .collect();
    let status = if errors.form.is_some() || errors.get("name").is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = DomainsPage {
        layout: user.layout(&format!("Domains · {}", org.name), &format!("/orgs/{sid}"), notice(notice_code)),
        tab: "domains",
        sid: sid.to_string(),
        name: org.name,
        rows,
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
    render(&state, &user, &sid, q.notice.as_deref(), String::new(), FormErrors::default()).await
}

pub(crate) async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let name = form.text("name");
    match state.app.add_domain(&user.actor, &sid, &name).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{sid}/domains?notice=domain-added")).into_response()),
        Err(e) => render(&state, &user, &sid, None, name, FormErrors::from_errors(vec![e])?).await,
    }
}

/// Verifies (`verify`) or removes (`remove`) a domain.
pub(crate) async fn change(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, domain, action)): Path<(String, String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let (sid, domain) = (path_sid(&sid, OrganizationSid::parse)?, path_sid(&domain, DomainSid::parse)?);
    let notice = match action.as_str() {
        "verify" => {
            let d = state.app.verify_domain(&user.actor, &sid, &domain).await?;
            if d.status == gatehouse_domain::domains::DomainStatus::Verified {
                "domain-verified"
            } else {
                "domain-not-verified"
            }
        }
        "remove" => {
            state.app.remove_domain(&user.actor, &sid, &domain).await?;
            "domain-removed"
        }
        _ => return Err(WebError(gatehouse_domain::Error::NotFound)),
    };
    Ok(Redirect::to(&format!("/orgs/{sid}/domains?notice={notice}")).into_response())
}
