//! Local outbox pages: the emails Gatehouse queued about an account's or an organization's
//! users, with their delivery state. Without an SMTP server the bodies are shown, so a first
//! run can still follow every link; once mail is delivered, only the state is.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use gatehouse_domain::audit::AuditScope;
use gatehouse_domain::security::OutboxEmail;
use gatehouse_domain::sid::{AccountSid, OrganizationSid};

use super::accounts::ListQuery;
use super::{CurrentUser, Layout, ListNav};
use crate::{AppState, WebError, path_sid};

/// A piece of an email body: text, or a link to make clickable.
pub(crate) enum BodyPart {
    Text(String),
    Link(String),
}

/// Splits plain text into text and `http(s)://` links.
fn linkify(body: &str) -> Vec<BodyPart> {
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("http://").into_iter().chain(rest.find("https://")).min() {
        if start > 0 {
            parts.push(BodyPart::Text(rest[..start].to_owned()));
        }
        let end = rest[start..].find(char::is_whitespace).map_or(rest.len(), |e| start + e);
        parts.push(BodyPart::Link(rest[start..end].to_owned()));
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        parts.push(BodyPart::Text(rest.to_owned()));
    }
    parts
}

pub(crate) struct EmailRow {
    sid: String,
    created: String,
    recipient: String,
    subject: String,
    status: &'static str,
    attempts: i32,
    sent: String,
    last_error: String,
    body: Option<Vec<BodyPart>>,
}

impl EmailRow {
    fn new(e: &OutboxEmail, with_body: bool) -> Self {
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        EmailRow {
            sid: e.sid.to_string(),
            created: fmt(e.created_at),
            recipient: e.recipient.to_string(),
            subject: e.subject.clone(),
            status: e.status.as_str(),
            attempts: e.attempts,
            sent: e.sent_at.map(fmt).unwrap_or_default(),
            last_error: e.last_error.clone().unwrap_or_default(),
            body: with_body.then(|| linkify(&e.body)),
        }
    }
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    layout: Layout,
    back_href: String,
    back_label: String,
    shows_bodies: bool,
    rows: Vec<EmailRow>,
    list: ListNav,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    scope: AuditScope,
    q: &ListQuery,
    (back_href, back_label, active): (String, String, String),
) -> Result<Response, WebError> {
    let page = state.app.outbox(&user.actor, &scope, &q.page()?).await?;
    let shows_bodies = state.app.outbox_shows_bodies();
    let base = match &scope {
        AuditScope::Account(a) => format!("/accounts/{a}/outbox"),
        AuditScope::Organization(o) => format!("/orgs/{o}/outbox"),
    };
    let list = ListNav::new(&base, &q.q, Some(&q.after), &page);
    let rows = page.items.iter().map(|e| EmailRow::new(e, shows_bodies)).collect();
    let layout = user.layout(&format!("Email outbox · {back_label}"), &active, None);
    Ok(Html(OutboxPage { layout, back_href, back_label, shows_bodies, rows, list }.render()?).into_response())
}

pub(crate) async fn account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let sid = path_sid(&sid, AccountSid::parse)?;
    let view = state.app.account(&user.actor, &sid).await?;
    let back = (format!("/accounts/{sid}"), view.account.name, "/accounts".to_owned());
    render(&state, &user, AuditScope::Account(sid), &q, back).await
}

pub(crate) async fn organization(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let org = state.app.organization(&user.actor, &sid).await?;
    let back = (format!("/orgs/{sid}/users"), org.name, format!("/orgs/{sid}"));
    render(&state, &user, AuditScope::Organization(sid), &q, back).await
}

#[cfg(test)]
mod tests {
    use super::{BodyPart, linkify};

    #[test]
    fn links_in_a_body_become_parts() {
        let parts = linkify("Open:\n\nhttps://gh.test/verify?token=ab12\n\nthen http://x.test end");
        let shape: Vec<(bool, &str)> = parts
            .iter()
            .map(|p| match p {
                BodyPart::Text(t) => (false, t.as_str()),
                BodyPart::Link(l) => (true, l.as_str()),
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (false, "Open:\n\n"),
                (true, "https://gh.test/verify?token=ab12"),
                (false, "\n\nthen "),
                (true, "http://x.test"),
                (false, " end"),
            ]
        );
        assert!(linkify("").is_empty());
    }
}
