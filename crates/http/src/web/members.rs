//! An account's users page: members and roles, invite, change roles, remove, offer ownership.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_app::{AddedOrInvited, NewInvitation};
use gatehouse_domain::Error;
use gatehouse_domain::permission::Permission;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{AccountSid, UserSid};

use super::accounts::ListQuery;
use super::{AccountTabs, CurrentUser, FormData, FormErrors, Layout, ListNav, notice};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

/// One role checkbox.
pub(crate) struct RoleCheck {
    pub key: &'static str,
    pub name: &'static str,
    pub checked: bool,
}

pub(crate) fn role_checks(selected: &[AccountRole]) -> Vec<RoleCheck> {
    AccountRole::ASSIGNABLE
        .into_iter()
        .map(|r| RoleCheck { key: r.key(), name: r.name(), checked: selected.contains(&r) })
        .collect()
}

pub(crate) struct MemberRow {
    pub sid: String,
    pub name: String,
    pub email: String,
    pub roles_label: String,
    pub is_owner: bool,
    pub is_self: bool,
    pub role_checks: Vec<RoleCheck>,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    tabs: AccountTabs,
    can_manage: bool,
    can_transfer: bool,
    /// The pending ownership offer: nominee's name and email, and until when.
    nomination: Option<(String, String, String)>,
    rows: Vec<MemberRow>,
    list: ListNav,
    add_email: String,
    add_roles: Vec<RoleCheck>,
    errors: FormErrors,
    role_filter: String,
    role_options: Vec<(&'static str, &'static str)>,
    /// How long an invitation from here works, in days.
    invitation_days: i64,
    /// Whether the account belongs to an organization (its managed users are added at once).
    in_organization: bool,
}

/// What to show in the add-user form when the page is re-rendered after a failed POST.
struct AddForm {
    email: String,
    roles: Vec<AccountRole>,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    sid: &AccountSid,
    q: &ListQuery,
    add: AddForm,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let view = state.app.account(&user.actor, sid).await?;
    let role = Some(q.role.as_str()).filter(|r| !r.is_empty()).map(AccountRole::parse_key).transpose()?;
    let page = state.app.account_members_in_role(&user.actor, sid, role, &q.page()?).await?;
    let nomination = state.app.owner_nomination(&user.actor, sid).await?.map(|n| {
        let until = n.nomination.expires_at.format("%Y-%m-%d %H:%M UTC").to_string();
        (n.nominee.name, n.nominee.email.to_string(), until)
    });
    let base = format!("/accounts/{sid}/users");
    let mut list = ListNav::new(&base, &q.q, Some(&q.after), &page);
    if !q.role.is_empty() {
        // Paging links keep the filter.
        let role = format!("&role={}", super::url_encode(&q.role));
        list.next_href = list.next_href.map(|h| h + &role);
        list.first_href = list.first_href.map(|h| h + &role);
    }
    let rows = page
        .items
        .iter()
        .map(|m| MemberRow {
            sid: m.user.sid.to_string(),
            name: m.user.name.clone(),
            email: m.user.email.to_string(),
            roles_label: m.roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", "),
            is_owner: m.is_owner(),
            is_self: m.user.sid == user.user.sid,
            role_checks: role_checks(&m.roles),
        })
        .collect();
    let page = MembersPage {
        layout: user.layout(&format!("Users · {}", view.account.name), "/accounts", notice(q.notice.as_deref())),
        tab: "users",
        sid: sid.to_string(),
        name: view.account.name.clone(),
        tabs: AccountTabs::new(view.permissions),
        can_manage: view.permissions.contains(Permission::UsersManage),
        can_transfer: view.permissions.contains(Permission::AccountOwnerTransfer),
        nomination,
        rows,
        list,
        add_email: add.email,
        add_roles: role_checks(&add.roles),
        errors,
        role_filter: q.role.clone(),
        invitation_days: view.invitation_lifetime_days(),
        in_organization: view.organization.is_some(),
        role_options: AccountRole::ALL.iter().map(|r| (r.key(), r.name())).collect(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, AccountSid::parse)?;
    let add = AddForm { email: String::new(), roles: vec![AccountRole::Developer] };
    render(&state, &user, &sid, &q, add, FormErrors::default(), StatusCode::OK).await
}

/// The roles ticked in a form (`roles` repeated).
fn roles_from(form: &FormData) -> Result<Vec<AccountRole>, Error> {
    form.all("roles").into_iter().map(AccountRole::parse_key).collect()
}

/// Redirects after success (to the users page with a notice code, or to a path), or
/// re-renders the page with the error inline.
async fn finish(
    state: &AppState,
    user: &CurrentUser,
    sid: &AccountSid,
    result: Result<&'static str, Error>,
    add: AddForm,
) -> PageResult {
    match result {
        Ok(to) if to.starts_with('/') => Ok(Redirect::to(to).into_response()),
        Ok(code) => Ok(Redirect::to(&format!("/accounts/{sid}/users?notice={code}")).into_response()),
        Err(e) => {
            let errors = FormErrors::from_errors(vec![e])?;
            render(state, user, sid, &ListQuery::default(), add, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// Adds a managed user of the account's organization at once (when an organization admin asks),
/// or invites anyone else by email with roles (the form on the users page).
pub(crate) async fn invite(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    let email = form.text("email");
    let roles = roles_from(&form);
    let shown = roles.clone().unwrap_or_default();
    let result = match roles {
        Ok(roles) => state.app.add_or_invite(&user.actor, &sid, NewInvitation { email: email.clone(), roles }).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(AddedOrInvited::Added(_)) => {
            Ok(Redirect::to(&format!("/accounts/{sid}/users?notice=member-added")).into_response())
        }
        Ok(AddedOrInvited::Invited(_)) => {
            Ok(Redirect::to(&format!("/accounts/{sid}/invitations?notice=invitation-sent")).into_response())
        }
        Err(e) => finish(&state, &user, &sid, Err(e), AddForm { email, roles: shown }).await,
    }
}

pub(crate) async fn change_roles(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, member)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    let member = path_sid(&member, UserSid::parse)?;
    let result = match roles_from(&form) {
        Ok(roles) => state.app.change_member_roles(&user.actor, &sid, &member, &roles).await.map(|_| "roles-changed"),
        Err(e) => Err(e),
    };
    finish(&state, &user, &sid, result, AddForm { email: String::new(), roles: vec![AccountRole::Developer] }).await
}

#[derive(Template)]
#[template(path = "member_remove.html")]
struct RemovePage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    tabs: AccountTabs,
    member_sid: String,
    member_name: String,
    member_email: String,
    keys: Vec<super::org_users::KeyRow>,
    errors: FormErrors,
}

/// The removal confirmation: the API keys the member created in this account, each revoked
/// unless kept (as offboarding offers).
pub(crate) async fn confirm_remove(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, member)): Path<(String, String)>,
) -> PageResult {
    let (sid, member) = (path_sid(&sid, AccountSid::parse)?, path_sid(&member, UserSid::parse)?);
    render_remove(&state, &user, &sid, &member, &Default::default(), FormErrors::default()).await
}

async fn render_remove(
    state: &AppState,
    user: &CurrentUser,
    sid: &AccountSid,
    member: &UserSid,
    keep: &std::collections::BTreeSet<gatehouse_domain::sid::ApiKeySid>,
    errors: FormErrors,
) -> PageResult {
    let (target, keys) = state.app.member_keys(&user.actor, sid, member).await?;
    let view = state.app.account(&user.actor, sid).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = RemovePage {
        layout: user.layout(&format!("Remove a user · {}", view.account.name), "/accounts", None),
        tab: "users",
        sid: sid.to_string(),
        name: view.account.name.clone(),
        tabs: AccountTabs::new(view.permissions),
        member_sid: member.to_string(),
        member_name: target.name,
        member_email: target.email.to_string(),
        keys: keys
            .iter()
            .map(|k| super::org_users::KeyRow::new(k, view.account.name.clone(), keep.contains(&k.sid)))
            .collect(),
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Removes a member. When they created API keys here and the form carries no choice yet, the
/// confirmation page lists them first.
pub(crate) async fn remove(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, member)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let (sid, member) = (path_sid(&sid, AccountSid::parse)?, path_sid(&member, UserSid::parse)?);
    let decided = form.get("keys_decided").is_some();
    if !decided && !state.app.member_keys(&user.actor, &sid, &member).await?.1.is_empty() {
        return Ok(Redirect::to(&format!("/accounts/{sid}/users/{member}/remove")).into_response());
    }
    let keep = match super::keys::kept_keys(&form) {
        Ok(keep) => keep,
        Err(e) => {
            let errors = FormErrors::from_errors(vec![e])?;
            return render_remove(&state, &user, &sid, &member, &Default::default(), errors).await;
        }
    };
    match state.app.remove_member(&user.actor, &sid, &member, &keep).await {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{sid}/users?notice=member-removed")).into_response()),
        Err(e) if decided => {
            render_remove(&state, &user, &sid, &member, &keep, FormErrors::from_errors(vec![e])?).await
        }
        Err(e) => {
            finish(&state, &user, &sid, Err(e), AddForm { email: String::new(), roles: vec![AccountRole::Developer] })
                .await
        }
    }
}

pub(crate) async fn nominate_owner(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    let result = match UserSid::parse(&form.text("new_owner")) {
        Ok(nominee) => state.app.nominate_owner(&user.actor, &sid, &nominee).await.map(|()| "owner-nominated"),
        Err(_) => Err(Error::invalid("new_owner", "choose the member who will become the Owner")),
    };
    finish(&state, &user, &sid, result, AddForm { email: String::new(), roles: vec![AccountRole::Developer] }).await
}

pub(crate) async fn cancel_nomination(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    let result = state.app.cancel_owner_nomination(&user.actor, &sid).await.map(|()| "owner-nomination-cancelled");
    finish(&state, &user, &sid, result, AddForm { email: String::new(), roles: vec![AccountRole::Developer] }).await
}

/// The nominee's answer, from the banner on the account's overview.
pub(crate) async fn answer_nomination(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    let code = if form.get("accept").is_some() {
        state.app.accept_ownership(&user.actor, &sid).await?;
        "owner-transferred"
    } else {
        state.app.decline_ownership(&user.actor, &sid).await?;
        "owner-declined"
    };
    Ok(Redirect::to(&format!("/accounts/{sid}?notice={code}")).into_response())
}
