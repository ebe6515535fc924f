//! Seeing access: an account's *Access* tab (who can do what here, and why), a user's *Access*
//! tab in the Admin Center (rows built here, shown by `org_users.rs`), and the organization's
//! access map, a server-rendered SVG of groups and people against accounts.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use axum::response::{Html, IntoResponse, Response};
use gatehouse_app::{AccessLine, AccessMap, Grantee};
use gatehouse_domain::Error;
use gatehouse_domain::access_index::{Holder, ScopeText};
use gatehouse_domain::membership::ScopeRef;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::permission::Permission;
use gatehouse_domain::permission::ScopeKind;
use gatehouse_domain::role::{AccountRole, BuiltinRole, OrgRole};
use gatehouse_domain::sid::{AccountSid, GroupSid, OrganizationSid};
use gatehouse_domain::sid::{RoleAssignmentSid, RoleSid};
use serde::Deserialize;

use super::{AccountTabs, CurrentUser, FormData, FormErrors, Layout, notice};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

/// One grant as a table row.
pub(crate) struct AccessRow {
    /// Who holds it (account pages), with a link.
    pub holder: String,
    pub holder_link: String,
    /// Where it is held, with a link, and how far it reaches.
    pub scope: String,
    pub scope_link: String,
    pub reach: &'static str,
    pub role: String,
    /// How it reaches what is shown: "direct", "group Support", "the organization", "parent …".
    pub via: String,
    pub via_link: String,
    /// The permissions it gives, as catalogue names.
    pub permissions: Vec<&'static str>,
}

/// Rows for a page of `org` (for links; `None` for an independent account's page); `here` is
/// the account the page is about, if any.
pub(crate) fn rows(lines: &[AccessLine], org: Option<&str>, here: Option<&str>) -> Vec<AccessRow> {
    lines
        .iter()
        .map(|l| {
            let scope_link = match &l.grant.scope {
                ScopeText::Organization(o) => format!("/orgs/{o}"),
                ScopeText::Account(a) => format!("/accounts/{a}"),
            };
            let (holder, holder_link) = match &l.holder {
                Some((Holder::User(u), name)) => {
                    (name.clone(), org.map(|o| format!("/orgs/{o}/users/{u}?tab=access")).unwrap_or_default())
                }
                Some((Holder::Group(g), name)) => {
                    (format!("Group {name}"), org.map(|o| format!("/orgs/{o}/access?group={g}")).unwrap_or_default())
                }
                None => (String::new(), String::new()),
            };
            let (via, via_link) = match (&l.group_name, &l.grant.group, &l.grant.scope) {
                (Some(name), Some(g), _) => {
                    (format!("group {name}"), org.map(|o| format!("/orgs/{o}/access?group={g}")).unwrap_or_default())
                }
                (_, _, ScopeText::Organization(_)) if here.is_some() => ("the organization".into(), scope_link.clone()),
                (_, _, ScopeText::Account(a)) if here.is_some_and(|h| h != a) => {
                    (format!("parent account {}", l.scope_name), scope_link.clone())
                }
                _ => ("direct".into(), String::new()),
            };
            AccessRow {
                holder,
                holder_link,
                scope: l.scope_name.clone(),
                scope_link,
                reach: l.reach_words(),
                role: l.grant.role.1.clone(),
                via,
                via_link,
                permissions: l.gives.iter().map(Permission::name).collect(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "account_access.html")]
struct AccountAccessPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    tabs: AccountTabs,
    rows: Vec<AccessRow>,
}

/// `GET /accounts/{sid}/access`: who can do what here, and why.
pub(crate) async fn account(State(state): State<AppState>, user: CurrentUser, Path(sid): Path<String>) -> PageResult {
    let sid = path_sid(&sid, AccountSid::parse)?;
    let view = state.app.account(&user.actor, &sid).await?;
    let (account, lines) = state.app.account_access(&user.actor, &sid).await?;
    let org = account.organization_sid.as_ref().map(|o| o.to_string());
    let page = AccountAccessPage {
        layout: user.layout(&format!("Access · {}", account.name), "/accounts", None),
        tab: "access",
        sid: sid.to_string(),
        name: account.name.clone(),
        tabs: AccountTabs::new(view.permissions),
        rows: rows(&lines, org.as_deref(), Some(sid.as_str())),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct MapQuery {
    notice: Option<String>,
    #[serde(default)]
    group: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    accounts_after: String,
}

/// The map's picture, drawn once here.
pub(crate) struct MapSvg {
    pub width: usize,
    pub height: usize,
    pub columns: Vec<(usize, String, String)>,
    pub rows: Vec<(usize, String, String, bool)>,
    /// (x, y, colour, tooltip)
    pub cells: Vec<(usize, usize, &'static str, String)>,
}

/// Colours by role: the strongest role held in a cell colours it.
const PALETTE: &[(&str, &str)] = &[
    ("Owner", "#6d28d9"),
    ("Administrator", "#1d4ed8"),
    ("Developer", "#047857"),
    ("Billing Manager", "#b45309"),
    ("Support", "#0e7490"),
    ("Viewer", "#475569"),
];
const CUSTOM: &str = "#be185d";
const CELL: usize = 26;
const LEFT: usize = 220;
const TOP: usize = 150;

fn colour(roles: &[String]) -> Option<&'static str> {
    PALETTE.iter().find(|(name, _)| roles.iter().any(|r| r == name)).map(|(_, c)| *c).or(if roles.is_empty() {
        None
    } else {
        Some(CUSTOM)
    })
}

fn svg(map: &AccessMap, org: &str) -> MapSvg {
    let columns: Vec<(usize, String, String)> = map
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            (
                LEFT + i * CELL + CELL / 2,
                a.name.chars().take(24).collect(),
                format!("/orgs/{org}/access?account={}", a.sid),
            )
        })
        .collect();
    let mut rows = Vec::new();
    let mut cells = Vec::new();
    for (r, row) in map.rows.iter().enumerate() {
        let (holder, name, members, roles) = (&row.holder, &row.name, row.members, &row.cells);
        let y = TOP + r * CELL;
        let (label, link, group) = match holder {
            Holder::Group(g) => (
                match members.unwrap_or_default() {
                    1 => format!("{name} (1 member)"),
                    n => format!("{name} ({n} members)"),
                },
                format!("/orgs/{org}/access?group={g}"),
                true,
            ),
            Holder::User(u) => (name.chars().take(28).collect(), format!("/orgs/{org}/users/{u}?tab=access"), false),
        };
        rows.push((y + CELL / 2 + 4, label, link, group));
        for (c, held) in roles.iter().enumerate() {
            if let Some(fill) = colour(held) {
                let account = &map.accounts[c].name;
                cells.push((LEFT + c * CELL + 1, y + 1, fill, format!("{name} on {account}: {}", held.join(", "))));
            }
        }
    }
    MapSvg {
        // Room on the right for the last column's slanted name.
        width: LEFT + map.accounts.len().max(1) * CELL + 110,
        height: TOP + map.rows.len().max(1) * CELL + 10,
        columns,
        rows,
        cells,
    }
}

#[derive(Template)]
#[template(path = "org_access.html")]
struct MapPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    /// The grant form's choices: groups, roles (SID, name) and scopes (SID, name).
    groups: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    scopes: Vec<(String, String)>,
    /// The shown group's grants: (assignment, role, where, reach).
    group_grants: Vec<(String, String, String, &'static str)>,
    group: String,
    errors: FormErrors,
    svg: MapSvg,
    legend: Vec<(&'static str, &'static str)>,
    filtered: String,
    next_people: Option<String>,
    next_accounts: Option<String>,
    empty: bool,
}

/// `GET /orgs/{sid}/access`: the access map.
pub(crate) async fn map(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<MapQuery>,
) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    render_map(&state, &user, &sid, &q, FormErrors::default()).await
}

async fn render_map(
    state: &AppState,
    user: &CurrentUser,
    sid: &OrganizationSid,
    q: &MapQuery,
    errors: FormErrors,
) -> PageResult {
    let sid = sid.clone();
    let org = state.app.organization(&user.actor, &sid).await?;
    let group = if q.group.is_empty() { None } else { Some(path_sid(&q.group, GroupSid::parse)?) };
    let account = if q.account.is_empty() { None } else { Some(path_sid(&q.account, AccountSid::parse)?) };
    let people = PageRequest::new(Some(q.after.clone()).filter(|a| !a.is_empty()), Some(50), None)?;
    let accounts = PageRequest::new(Some(q.accounts_after.clone()).filter(|a| !a.is_empty()), Some(40), None)?;
    let map = state.app.access_map(&user.actor, &sid, group.as_ref(), account.as_ref(), &people, &accounts).await?;
    let filtered = match (&group, &account) {
        (Some(_), _) => format!("the members of {}", map.rows.first().map(|r| r.name.as_str()).unwrap_or_default()),
        (_, Some(_)) => {
            format!("{} and its subaccounts", map.accounts.first().map(|a| a.name.as_str()).unwrap_or_default())
        }
        _ => String::new(),
    };
    let mut legend: Vec<(&str, &str)> = PALETTE.to_vec();
    legend.push(("Custom role", CUSTOM));
    let groups = map
        .rows
        .iter()
        .filter_map(|r| match &r.holder {
            Holder::Group(g) => Some((g.clone(), r.name.clone())),
            Holder::User(_) => None,
        })
        .collect();
    let custom = state.app.custom_roles(&user.actor, &sid).await?;
    let roles = BuiltinRole::ALL
        .into_iter()
        .filter(|r| !matches!(r, BuiltinRole::Account(AccountRole::Owner) | BuiltinRole::Org(OrgRole::Owner)))
        .map(|r| {
            let kind = if r.scope_kind() == ScopeKind::Organization { "organization role" } else { "account role" };
            (r.sid().to_string(), format!("{} ({kind})", r.name()))
        })
        .chain(custom.iter().map(|c| (c.sid.to_string(), format!("{} (custom)", c.name))))
        .collect();
    let scopes = std::iter::once((sid.to_string(), format!("{} — the organization", org.name)))
        .chain(map.accounts.iter().map(|a| (a.sid.to_string(), a.name.clone())))
        .collect();
    let group_grants = match &group {
        Some(g) => {
            let held = state.app.group_role_assignments(&user.actor, &sid, g).await?;
            let mut out = Vec::with_capacity(held.len());
            for a in held {
                let role = BuiltinRole::from_sid(&a.role_sid).map_or_else(
                    || {
                        custom
                            .iter()
                            .find(|c| c.sid == a.role_sid)
                            .map_or_else(|| a.role_sid.to_string(), |c| c.name.clone())
                    },
                    |b| b.name().to_owned(),
                );
                let place = map.accounts.iter().find(|x| x.sid.as_str() == a.scope.sid_str()).map_or_else(
                    || if a.scope.sid_str() == sid.as_str() { org.name.clone() } else { a.scope.sid_str().to_owned() },
                    |x| x.name.clone(),
                );
                let reach = if a.with_subaccounts { "and its subaccounts" } else { "" };
                out.push((a.sid.to_string(), role, place, reach));
            }
            out
        }
        None => Vec::new(),
    };
    let status =
        if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    let page = MapPage {
        layout: user.layout(
            &format!("Access map · {}", org.name),
            &format!("/orgs/{sid}"),
            notice(q.notice.as_deref()),
        ),
        tab: "access",
        sid: sid.to_string(),
        name: org.name.clone(),
        groups,
        roles,
        scopes,
        group_grants,
        group: q.group.clone(),
        errors,
        empty: map.rows.is_empty() || map.accounts.is_empty(),
        svg: svg(&map, sid.as_str()),
        legend,
        filtered,
        next_people: map.next_people.clone(),
        next_accounts: map.next_accounts.clone(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `POST /orgs/{sid}/access/grant`: a role to a group or a managed user, on the organization or
/// one of its accounts, with its subaccounts if ticked.
pub(crate) async fn grant(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let group = form.text("group");
    let result = async {
        let grantee = if group.is_empty() {
            Grantee::Email(form.text("email"))
        } else {
            Grantee::Group(GroupSid::parse(&group).map_err(|_| Error::invalid("group", "choose a group"))?)
        };
        let role = RoleSid::parse(&form.text("role")).map_err(|_| Error::invalid("role", "choose a role"))?;
        let raw = form.text("scope");
        let scope = match (OrganizationSid::parse(&raw), AccountSid::parse(&raw)) {
            (Ok(o), _) => ScopeRef::Organization(o),
            (_, Ok(a)) => ScopeRef::Account(a),
            _ => return Err(Error::invalid("scope", "choose the organization or one of its accounts")),
        };
        let with_subaccounts = form.get("with_subaccounts").is_some();
        state.app.grant_role(&user.actor, &sid, &grantee, &role, &scope, with_subaccounts).await
    }
    .await;
    let back = MapQuery { group: group.clone(), ..MapQuery::default() };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{sid}/access?group={group}&notice=role-granted")).into_response()),
        Err(e) => render_map(&state, &user, &sid, &back, FormErrors::from_errors(vec![e])?).await,
    }
}

/// `POST /orgs/{sid}/access/groups`: a group made in the Admin Center, with members by address.
pub(crate) async fn new_group(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let members = form.text("members");
    let emails: Vec<&str> = members.split([',', '\n', ' ']).collect();
    match state.app.create_group_with_emails(&user.actor, &sid, &form.text("name"), &emails).await {
        Ok(group) => {
            Ok(Redirect::to(&format!("/orgs/{sid}/access?group={group}&notice=group-created")).into_response())
        }
        Err(e) => render_map(&state, &user, &sid, &MapQuery::default(), FormErrors::from_errors(vec![e])?).await,
    }
}

/// `POST /orgs/{sid}/access/assignments/{assignment}/end`: ends a grant (a group's or a user's).
pub(crate) async fn end_grant(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, assignment)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let assignment = path_sid(&assignment, RoleAssignmentSid::parse)?;
    state.app.delete_org_role_assignment(&user.actor, &sid, &assignment).await?;
    let group = form.text("group");
    Ok(Redirect::to(&format!("/orgs/{sid}/access?group={group}&notice=grant-ended")).into_response())
}
