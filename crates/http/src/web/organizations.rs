//! Admin Center pages of an organization: its users and its accounts.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_app::OrgSwitch;
use gatehouse_domain::Error;
use gatehouse_domain::role::OrgRole;
use gatehouse_domain::sid::{AccountSid, OrganizationSid, UserSid};

use super::accounts::ListQuery;
use super::{CurrentUser, FormData, FormErrors, Layout, ListNav, notice};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

#[derive(Template)]
#[template(path = "org_new.html")]
struct NewOrgPage {
    layout: Layout,
    name: String,
    /// The accounts the user may bring in: (SID, name).
    accounts: Vec<(String, String)>,
    errors: FormErrors,
}

async fn render_new(state: &AppState, user: &CurrentUser, name: String, errors: FormErrors) -> PageResult {
    let accounts = state.app.accounts_to_bring(&user.actor).await?;
    let status =
        if !errors.is_empty() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let page = NewOrgPage {
        layout: user.layout("Create an organization", "/orgs/new", None),
        name,
        accounts: accounts.into_iter().map(|a| (a.sid.to_string(), a.name)).collect(),
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The Admin Center's entry point for an independent user: create an organization.
pub(crate) async fn new_form(State(state): State<AppState>, user: CurrentUser) -> PageResult {
    render_new(&state, &user, String::new(), FormErrors::default()).await
}

pub(crate) async fn create(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    let name = form.text("name");
    let accounts = form.all("accounts").into_iter().map(AccountSid::parse).collect::<Result<Vec<_>, _>>();
    let result = match accounts {
        Ok(accounts) => state.app.create_own_organization(&user.actor, &name, &accounts).await,
        Err(_) => Err(Error::invalid("accounts", "choose among the accounts listed")),
    };
    match result {
        Ok(org) => Ok(Redirect::to(&format!("/orgs/{}/domains?notice=organization-created", org.sid)).into_response()),
        Err(e) => render_new(&state, &user, name, FormErrors::from_errors(vec![e])?).await,
    }
}

pub(crate) async fn home(Path(sid): Path<String>) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    Ok(Redirect::to(&format!("/orgs/{sid}/users")).into_response())
}

pub(crate) struct OrgUserRow {
    pub sid: String,
    pub name: String,
    pub email: String,
    pub kind: &'static str,
    pub org_role: &'static str,
    pub status: &'static str,
    pub last_login: String,
    /// `Some(required)` for managed users, whose 2FA an admin may require.
    pub require_two_factor: Option<bool>,
}

#[derive(Template)]
#[template(path = "org_users.html")]
struct OrgUsersPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    org_requires_two_factor: bool,
    rows: Vec<OrgUserRow>,
    list: ListNav,
    invite_email: String,
    errors: FormErrors,
    /// The tab: empty (all), `managed` or `independent`.
    kind: String,
}

pub(crate) async fn users(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    render_users(&state, &user, &sid, &q, String::new(), FormErrors::default()).await
}

async fn render_users(
    state: &AppState,
    user: &CurrentUser,
    sid: &OrganizationSid,
    q: &ListQuery,
    invite_email: String,
    errors: FormErrors,
) -> PageResult {
    let sid = sid.clone();
    let org = state.app.organization(&user.actor, &sid).await?;
    let managed = match q.kind.as_str() {
        "managed" => Some(true),
        "independent" => Some(false),
        _ => None,
    };
    let page = state.app.organization_users(&user.actor, &sid, &q.page()?, managed).await?;
    let base = format!("/orgs/{sid}/users");
    let mut list = ListNav::new(&base, &q.q, Some(&q.after), &page);
    if !q.kind.is_empty() {
        // Paging links keep the tab.
        let kind = format!("&kind={}", super::url_encode(&q.kind));
        list.next_href = list.next_href.map(|h| h + &kind);
        list.first_href = list.first_href.map(|h| h + &kind);
    }
    let rows = page
        .items
        .iter()
        .map(|u| OrgUserRow {
            sid: u.user.sid.to_string(),
            name: u.user.name.clone(),
            email: u.user.email.to_string(),
            kind: if u.managed { "Managed" } else { "Independent" },
            org_role: u.org_role.map_or("—", |r| r.name()),
            status: u.user.status.as_str(),
            last_login: u
                .user
                .last_login_at
                .map_or_else(|| "never".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
            require_two_factor: u.managed.then_some(u.user.require_two_factor),
        })
        .collect();
    let layout = user.layout(&format!("Users · {}", org.name), &format!("/orgs/{sid}"), notice(q.notice.as_deref()));
    let page = OrgUsersPage {
        layout,
        tab: "users",
        sid: sid.to_string(),
        name: org.name,
        org_requires_two_factor: org.require_two_factor,
        rows,
        list,
        invite_email,
        errors,
        kind: q.kind.clone(),
    };
    let status =
        if page.errors.form.is_some() || page.errors.get("email").is_some() || page.errors.get("role").is_some() {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        } else {
            axum::http::StatusCode::OK
        };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "org_settings.html")]
struct OrgSettingsPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    require_two_factor: bool,
    deprovision_keeps_keys: bool,
    auto_join: bool,
    invitation_lifetime_days: String,
    errors: FormErrors,
    /// Whether the viewer owns the organization (and may offer it).
    viewer_is_owner: bool,
    /// The pending offer of the organization.
    offer: Option<OfferRow>,
}

/// The organization's pending ownership offer as the settings page shows it.
struct OfferRow {
    nominee_name: String,
    nominee_email: String,
    until: String,
    /// Whether the viewer is the nominee (who answers it).
    for_viewer: bool,
}

impl OrgSettingsPage {
    async fn build(
        state: &AppState,
        user: &CurrentUser,
        sid: &OrganizationSid,
        notice: Option<&'static str>,
    ) -> Result<Self, WebError> {
        let org = state.app.organization(&user.actor, sid).await?;
        let offer = state.app.org_owner_nomination(&user.actor, sid).await?.map(|n| OfferRow {
            for_viewer: n.nominee.sid == user.user.sid,
            nominee_name: n.nominee.name,
            nominee_email: n.nominee.email.to_string(),
            until: n.nomination.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        });
        Ok(OrgSettingsPage {
            layout: user.layout(&format!("Settings · {}", org.name), &format!("/orgs/{sid}"), notice),
            tab: "settings",
            sid: sid.to_string(),
            name: org.name,
            require_two_factor: org.require_two_factor,
            deprovision_keeps_keys: org.deprovision_keeps_keys,
            auto_join: org.auto_join,
            invitation_lifetime_days: org.invitation_lifetime_days.to_string(),
            errors: FormErrors::default(),
            viewer_is_owner: user.org_role(sid.as_str()) == Some(OrgRole::Owner),
            offer,
        })
    }
}

pub(crate) async fn settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let page = OrgSettingsPage::build(&state, &user, &sid, notice(q.notice.as_deref())).await?;
    Ok(Html(page.render()?).into_response())
}

/// Saves the organization's name and invitation lifetime.
pub(crate) async fn save_general(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let (name, days) = (form.text("name"), form.text("invitation_lifetime_days"));
    match state.app.update_organization(&user.actor, &sid, &name, &days).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{sid}/settings?notice=settings-saved")).into_response()),
        Err(e) => {
            let mut page = OrgSettingsPage::build(&state, &user, &sid, None).await?;
            (page.name, page.invitation_lifetime_days) = (name, days);
            page.errors = FormErrors::from_errors(vec![e])?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

pub(crate) async fn save_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let on = form.get("require_two_factor").is_some();
    state.app.set_organization_require_two_factor(&user.actor, &sid, on).await?;
    let keep = form.get("deprovision_keeps_keys").is_some();
    state.app.set_organization_switch(&user.actor, &sid, OrgSwitch::DeprovisionKeepsKeys, keep).await?;
    let auto_join = form.get("auto_join").is_some();
    state.app.set_organization_switch(&user.actor, &sid, OrgSwitch::AutoJoin, auto_join).await?;
    Ok(Redirect::to(&format!("/orgs/{sid}/settings?notice=settings-saved")).into_response())
}

/// The Owner offers the organization to a managed Administrator (from that user's page).
pub(crate) async fn nominate_owner(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let nominee = UserSid::parse(&form.text("new_owner")).map_err(|_| Error::invalid("new_owner", "choose a user"))?;
    state.app.nominate_org_owner(&user.actor, &sid, &nominee).await?;
    Ok(Redirect::to(&format!("/orgs/{sid}/settings?notice=org-owner-nominated#ownership")).into_response())
}

/// The Owner withdraws the offer.
pub(crate) async fn cancel_owner_nomination(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    state.app.cancel_org_owner_nomination(&user.actor, &sid).await?;
    Ok(Redirect::to(&format!("/orgs/{sid}/settings?notice=owner-nomination-cancelled#ownership")).into_response())
}

/// The nominee accepts (`accept`) or declines the offer.
pub(crate) async fn answer_owner_nomination(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let done = if form.get("accept").is_some() {
        state.app.accept_org_ownership(&user.actor, &sid).await?;
        "org-owner-transferred"
    } else {
        state.app.decline_org_ownership(&user.actor, &sid).await?;
        "owner-declined"
    };
    Ok(Redirect::to(&format!("/orgs/{sid}/settings?notice={done}")).into_response())
}

/// Requires (or stops requiring) 2FA of one managed user.
pub(crate) async fn require_two_factor(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, target)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let target = path_sid(&target, UserSid::parse)?;
    let on = form.get("required") == Some("on");
    state.app.set_user_require_two_factor(&user.actor, &sid, &target, on).await?;
    Ok(Redirect::to(&format!("/orgs/{sid}/users?notice=settings-saved")).into_response())
}

/// Invites an address in a verified domain into the organization.
pub(crate) async fn invite(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let email = form.text("email");
    match state.app.invite_to_organization(&user.actor, &sid, &email, &form.text("role")).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{sid}/invitations?notice=invitation-sent")).into_response()),
        Err(e) => {
            let errors = FormErrors::from_errors(vec![e])?;
            render_users(&state, &user, &sid, &ListQuery::default(), email, errors).await
        }
    }
}
