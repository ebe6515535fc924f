//! The Admin Center's user page (General and Accounts tabs) and offboarding: the preview with
//! the admin's choices, and the stored report.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_app::OffboardingPreview;
use gatehouse_domain::Error;
use gatehouse_domain::invitation::{org_role_key, parse_invited_org_role};
use gatehouse_domain::offboarding::{OffboardingKind, OffboardingPlan, OffboardingReport, OwnedAccountChoice};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{AccountSid, OffboardingSid, OrganizationSid, UserSid};
use serde::Deserialize;

use super::accounts::ListQuery;
use super::{CurrentUser, FormData, FormErrors, Layout, ListNav, notice};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

const TIME: &str = "%Y-%m-%d %H:%M UTC";

#[derive(Deserialize, Default)]
pub(crate) struct UserPageQuery {
    #[serde(default)]
    tab: String,
    /// Accounts tab: only accounts where the user holds this role (a role key).
    #[serde(default)]
    role: String,
    notice: Option<String>,
}

pub(crate) struct UserAccountRow {
    pub sid: String,
    pub name: String,
    pub roles: String,
    pub managed: bool,
    pub is_owner: bool,
}

#[derive(Template)]
#[template(path = "org_user.html")]
struct OrgUserPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    subtab: &'static str,
    user_sid: String,
    user_name: String,
    user_email: String,
    status: &'static str,
    managed: bool,
    org_role: &'static str,
    org_role_key: &'static str,
    is_self: bool,
    viewer_is_owner: bool,
    last_login: String,
    require_two_factor: bool,
    org_requires_two_factor: bool,
    accounts: Vec<UserAccountRow>,
    role_filter: String,
    role_options: Vec<(&'static str, &'static str)>,
    /// Managed accounts the user could be added to: (SID, name).
    addable: Vec<(String, String)>,
    add_roles: Vec<super::members::RoleCheck>,
    errors: FormErrors,
    /// The *Access* tab's rows.
    access: Vec<super::access::AccessRow>,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, target)): Path<(String, String)>,
    Query(q): Query<UserPageQuery>,
) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let target = path_sid(&target, UserSid::parse)?;
    render(&state, &user, &sid, &target, &q, FormErrors::default()).await
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    sid: &OrganizationSid,
    target: &UserSid,
    q: &UserPageQuery,
    errors: FormErrors,
) -> PageResult {
    let org = state.app.organization(&user.actor, sid).await?;
    let view = state.app.org_user(&user.actor, sid, target).await?;
    let role_filter = AccountRole::parse_key(&q.role).ok();
    let in_accounts: Vec<&AccountSid> = view.accounts.iter().map(|(a, _)| &a.sid).collect();
    let accounts = view
        .accounts
        .iter()
        .filter(|(_, roles)| role_filter.is_none_or(|r| roles.contains(&r)))
        .map(|(a, roles)| UserAccountRow {
            sid: a.sid.to_string(),
            name: a.name.clone(),
            roles: roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", "),
            managed: a.organization_sid.as_ref() == Some(sid),
            is_owner: roles.contains(&AccountRole::Owner),
        })
        .collect();
    let managed_accounts = state.app.organization_accounts(&user.actor, sid, &PageRequest::first(200)).await?;
    let addable = managed_accounts
        .items
        .iter()
        .filter(|a| !in_accounts.contains(&&a.sid) && a.status.as_str() == "active")
        .map(|a| (a.sid.to_string(), a.name.clone()))
        .collect();
    let access = if q.tab == "access" {
        let lines = state.app.user_access(&user.actor, sid, target).await?;
        super::access::rows(&lines, Some(sid.as_str()), None)
    } else {
        Vec::new()
    };
    let u = &view.user;
    let layout =
        user.layout(&format!("{} · {}", u.name, org.name), &format!("/orgs/{sid}"), notice(q.notice.as_deref()));
    let page = OrgUserPage {
        layout,
        tab: "users",
        sid: sid.to_string(),
        name: org.name,
        subtab: match q.tab.as_str() {
            "accounts" => "accounts",
            "access" => "access",
            _ => "general",
        },
        user_sid: u.sid.to_string(),
        user_name: u.name.clone(),
        user_email: u.email.to_string(),
        status: u.status.as_str(),
        managed: view.managed,
        org_role: view.org_role.map_or("—", |r| r.name()),
        org_role_key: view.org_role.map_or("", org_role_key),
        is_self: &user.user.sid == target,
        viewer_is_owner: user.org_role(sid.as_str()) == Some(gatehouse_domain::role::OrgRole::Owner),
        last_login: u.last_login_at.map_or_else(|| "never".into(), |t| t.format(TIME).to_string()),
        require_two_factor: u.require_two_factor,
        org_requires_two_factor: org.require_two_factor,
        accounts,
        role_filter: q.role.clone(),
        role_options: AccountRole::ALL.iter().map(|r| (r.key(), r.name())).collect(),
        addable,
        add_roles: super::members::role_checks(&[AccountRole::Developer]),
        errors,
        access,
    };
    let status =
        if page.errors.form.is_some() || page.errors.get("name").is_some() || page.errors.get("roles").is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
    Ok((status, Html(page.render()?)).into_response())
}

/// The user page's forms: `name`, `role`, `deactivate`, `reactivate`, `reset-password`, `add-account`.
pub(crate) async fn change(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, target, action)): Path<(String, String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let target = path_sid(&target, UserSid::parse)?;
    let (result, tab, done) = match action.as_str() {
        "name" => (state.app.rename_org_user(&user.actor, &sid, &target, &form.text("name")).await, "", "user-renamed"),
        "role" => {
            let result = match parse_invited_org_role(&form.text("role")) {
                Ok(role) => state.app.set_org_role(&user.actor, &sid, &target, role).await,
                Err(e) => Err(e),
            };
            (result, "", "org-role-changed")
        }
        "deactivate" => {
            (state.app.set_org_user_active(&user.actor, &sid, &target, false).await, "", "user-deactivated")
        }
        "reactivate" => (state.app.set_org_user_active(&user.actor, &sid, &target, true).await, "", "user-reactivated"),
        "reset-password" => {
            (state.app.force_password_reset(&user.actor, &sid, &target).await, "", "password-reset-forced")
        }
        "add-account" => {
            let result = add_to_account(&state, &user, &sid, &target, &form).await;
            (result, "accounts", "member-added")
        }
        _ => return Err(WebError(Error::NotFound)),
    };
    let q = UserPageQuery { tab: tab.into(), ..Default::default() };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{sid}/users/{target}?tab={tab}&notice={done}")).into_response()),
        Err(e) => render(&state, &user, &sid, &target, &q, FormErrors::from_errors(vec![e])?).await,
    }
}

async fn add_to_account(
    state: &AppState,
    user: &CurrentUser,
    org: &OrganizationSid,
    target: &UserSid,
    form: &FormData,
) -> Result<(), Error> {
    let account = AccountSid::parse(&form.text("account_sid"))?;
    let roles = form.all("roles").into_iter().map(AccountRole::parse_key).collect::<Result<Vec<_>, _>>()?;
    state.app.add_user_to_account(&user.actor, org, target, &account, &roles).await.map(|_| ())
}

/// Removes the user from one account (managed or independent) from their user page.
pub(crate) async fn remove_from_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, target, account)): Path<(String, String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let target = path_sid(&target, UserSid::parse)?;
    let account = path_sid(&account, AccountSid::parse)?;
    // Only accounts the organization sees through this page.
    let view = state.app.org_user(&user.actor, &sid, &target).await?;
    if !view.accounts.iter().any(|(a, _)| a.sid == account) {
        return Err(WebError(Error::NotFound));
    }
    // Keys they created there are listed with a choice on the account's removal page.
    if !state.app.member_keys(&user.actor, &account, &target).await?.1.is_empty() {
        return Ok(Redirect::to(&format!("/accounts/{account}/users/{target}/remove")).into_response());
    }
    let q = UserPageQuery { tab: "accounts".into(), ..Default::default() };
    match state.app.remove_member(&user.actor, &account, &target, &Default::default()).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/orgs/{sid}/users/{target}?tab=accounts&notice=member-removed")).into_response())
        }
        Err(e) => render(&state, &user, &sid, &target, &q, FormErrors::from_errors(vec![e])?).await,
    }
}

// --- offboarding ----------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub(crate) struct OffboardQuery {
    #[serde(default)]
    kind: String,
}

fn parse_kind(raw: &str) -> OffboardingKind {
    if raw == "deleted" { OffboardingKind::Deleted } else { OffboardingKind::Removed }
}

pub(crate) struct OwnedRow {
    pub sid: String,
    pub name: String,
    pub followers: Vec<String>,
    pub chosen: String,
}

/// A key a departing user created, with the choice made for it.
pub(crate) struct KeyRow {
    pub sid: String,
    pub name: String,
    pub account: String,
    pub last_used: String,
    pub keep: bool,
}

impl KeyRow {
    /// A key of the account named `account`, with the choice to keep it or not.
    pub(crate) fn new(key: &gatehouse_domain::api_key::ApiKey, account: String, keep: bool) -> KeyRow {
        KeyRow {
            sid: key.sid.to_string(),
            name: key.name.clone(),
            account,
            last_used: key.last_used_at.map_or_else(|| "never".into(), |t| t.format(TIME).to_string()),
            keep,
        }
    }
}

#[derive(Template)]
#[template(path = "org_offboard.html")]
struct OffboardPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    kind: &'static str,
    user_sid: String,
    user_name: String,
    user_email: String,
    owned: Vec<OwnedRow>,
    heirs: Vec<(String, String)>,
    keys: Vec<KeyRow>,
    memberships: Vec<(String, String)>,
    sessions: Vec<String>,
    invitations: Vec<String>,
    owned_elsewhere: Vec<String>,
    errors: FormErrors,
}

pub(crate) async fn offboard_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, target)): Path<(String, String)>,
    Query(q): Query<OffboardQuery>,
) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let target = path_sid(&target, UserSid::parse)?;
    let preview = state.app.offboarding_preview(&user.actor, &sid, &target).await?;
    render_offboard(&state, &user, &sid, parse_kind(&q.kind), &preview, None, FormErrors::default()).await
}

async fn render_offboard(
    state: &AppState,
    user: &CurrentUser,
    sid: &OrganizationSid,
    kind: OffboardingKind,
    p: &OffboardingPreview,
    form: Option<&FormData>,
    errors: FormErrors,
) -> PageResult {
    let org = state.app.organization(&user.actor, sid).await?;
    let chosen = |key: &str| form.and_then(|f| f.get(key)).unwrap_or_default().to_owned();
    let owned = p
        .owned_accounts
        .iter()
        .map(|a| OwnedRow {
            sid: a.sid.to_string(),
            name: a.name.clone(),
            followers: p
                .following
                .iter()
                .filter(|s| s.parent_sid.as_ref() == Some(&a.sid))
                .map(|s| s.name.clone())
                .collect(),
            chosen: chosen(&format!("account_{}", a.sid)),
        })
        .collect();
    let names: BTreeMap<_, _> = p.memberships.iter().map(|(a, _)| (a.sid.clone(), a.name.clone())).collect();
    let keys = p
        .keys
        .iter()
        .map(|k| {
            let account = names.get(&k.account_sid).cloned().unwrap_or_else(|| k.account_sid.to_string());
            KeyRow::new(k, account, chosen(&format!("key_{}", k.sid)) == "keep")
        })
        .collect();
    let mut invitations: Vec<String> = p
        .invitations
        .iter()
        .map(|i| {
            format!(
                "{} to {}",
                i.email,
                names.get(&i.account_sid).cloned().unwrap_or_else(|| i.account_sid.to_string())
            )
        })
        .collect();
    invitations.extend(p.org_invitations.iter().map(|i| format!("{} to the organization", i.email)));
    let title = match kind {
        OffboardingKind::Removed => "Remove from the organization",
        OffboardingKind::Deleted => "Delete user",
    };
    let page = OffboardPage {
        layout: user.layout(&format!("{title} · {}", p.user.name), &format!("/orgs/{sid}"), None),
        tab: "users",
        sid: sid.to_string(),
        name: org.name,
        kind: kind.as_str(),
        user_sid: p.user.sid.to_string(),
        user_name: p.user.name.clone(),
        user_email: p.user.email.to_string(),
        owned,
        heirs: p.heirs.iter().map(|u| (u.sid.to_string(), format!("{} <{}>", u.name, u.email))).collect(),
        keys,
        memberships: p
            .memberships
            .iter()
            .map(|(a, roles)| (a.name.clone(), roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", ")))
            .collect(),
        sessions: p
            .sessions
            .iter()
            .map(|s| {
                format!(
                    "since {}, last seen {}{}",
                    s.created_at.format(TIME),
                    s.last_seen_at.format(TIME),
                    s.ip.as_deref().map(|ip| format!(", from {ip}")).unwrap_or_default()
                )
            })
            .collect(),
        invitations,
        owned_elsewhere: p.owned_elsewhere.iter().map(|a| format!("{} ({})", a.name, a.sid)).collect(),
        errors,
    };
    let status = if page.errors.form.is_some() || !page.errors.others("").is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Reads the admin's choices from the preview form.
fn plan_from_form(form: &FormData) -> Result<OffboardingPlan, Error> {
    let mut plan = OffboardingPlan::default();
    for (account, value) in form.with_prefix("account_") {
        plan.accounts.insert(AccountSid::parse(account)?, OwnedAccountChoice::parse(value)?);
    }
    plan.keep_keys = super::keys::kept_keys(form)?;
    Ok(plan)
}

pub(crate) async fn offboard_submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, target)): Path<(String, String)>,
    Query(q): Query<OffboardQuery>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let target = path_sid(&target, UserSid::parse)?;
    let kind = parse_kind(&q.kind);
    let result = if form.get("acknowledge").is_none() {
        Err(Error::invalid("acknowledge", "tick the box to confirm you reviewed what will happen"))
    } else {
        match plan_from_form(&form) {
            Ok(plan) => state.app.offboard(&user.actor, &sid, &target, kind, &plan).await,
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(report) => {
            Ok(Redirect::to(&format!("/orgs/{sid}/offboarding/{}?notice=offboarded", report.sid)).into_response())
        }
        Err(e) => {
            let errors = FormErrors::from_errors(vec![e])?;
            let preview = state.app.offboarding_preview(&user.actor, &sid, &target).await?;
            render_offboard(&state, &user, &sid, kind, &preview, Some(&form), errors).await
        }
    }
}

pub(crate) struct ReportRow {
    pub sid: String,
    pub at: String,
    pub kind: &'static str,
    pub user: String,
    pub actor: String,
}

impl From<&OffboardingReport> for ReportRow {
    fn from(r: &OffboardingReport) -> Self {
        let email = r.details["user"]["email"].as_str().unwrap_or_default();
        ReportRow {
            sid: r.sid.to_string(),
            at: r.created_at.format(TIME).to_string(),
            kind: r.kind.as_str(),
            user: if email.is_empty() { r.user_sid.to_string() } else { format!("{email} ({})", r.user_sid) },
            actor: r.actor.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "org_offboarding.html")]
struct ReportsPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    rows: Vec<ReportRow>,
    list: ListNav,
    /// One report, when showing it: its row and its details as pretty JSON lines.
    report: Option<(ReportRow, Vec<(String, String)>)>,
}

pub(crate) async fn reports(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let org = state.app.organization(&user.actor, &sid).await?;
    let page = state.app.offboarding_reports(&user.actor, &sid, &q.page()?).await?;
    let list = ListNav::new(&format!("/orgs/{sid}/offboarding"), &q.q, Some(&q.after), &page);
    let rows = page.items.iter().map(ReportRow::from).collect();
    let layout =
        user.layout(&format!("Offboarding · {}", org.name), &format!("/orgs/{sid}"), notice(q.notice.as_deref()));
    Ok(Html(
        ReportsPage { layout, tab: "users", sid: sid.to_string(), name: org.name, rows, list, report: None }
            .render()?,
    )
    .into_response())
}

pub(crate) async fn report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, report)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let report = path_sid(&report, OffboardingSid::parse)?;
    let org = state.app.organization(&user.actor, &sid).await?;
    let r = state.app.offboarding_report(&user.actor, &sid, &report).await?;
    let sections = ["accounts", "keys", "memberships_ended", "invitations_revoked"]
        .into_iter()
        .map(|k| {
            let items = r.details[k].as_array().cloned().unwrap_or_default();
            let text = if items.is_empty() {
                "none".to_owned()
            } else {
                items.iter().map(describe).collect::<Vec<_>>().join("\n")
            };
            (k.replace('_', " "), text)
        })
        .chain(std::iter::once(("sessions ended".to_owned(), r.details["sessions_ended"].to_string())))
        .collect();
    let layout = user.layout(
        &format!("Offboarding report · {}", org.name),
        &format!("/orgs/{sid}"),
        notice(q.notice.as_deref()),
    );
    let page = ReportsPage {
        layout,
        tab: "users",
        sid: sid.to_string(),
        name: org.name,
        rows: Vec::new(),
        list: ListNav::new("", "", None, &gatehouse_domain::page::Page::<()> { items: Vec::new(), next_after: None }),
        report: Some((ReportRow::from(&r), sections)),
    };
    Ok(Html(page.render()?).into_response())
}

/// One report entry as a line: its fields in order, without JSON punctuation.
fn describe(v: &serde_json::Value) -> String {
    match v.as_object() {
        Some(o) => o
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect::<Vec<_>>()
            .join(" · "),
        None => v.to_string(),
    }
}
