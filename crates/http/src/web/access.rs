//! Seeing access: an account's *Access* tab (who can do what here, and why), a user's *Access*
//! tab in the Admin Center (rows built here, shown by `org_users.rs`), and the organization's
//! access map, a server-rendered SVG of groups and people against accounts.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use gatehouse_app::{AccessLine, AccessMap};
use gatehouse_domain::access_index::{Holder, ScopeText};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::permission::Permission;
use gatehouse_domain::sid::{AccountSid, GroupSid, OrganizationSid};
use serde::Deserialize;

use super::{AccountTabs, CurrentUser, Layout};
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
    for (r, (holder, name, members, roles)) in map.rows.iter().enumerate() {
        let y = TOP + r * CELL;
        let (label, link, group) = match holder {
            Holder::Group(g) => (
                format!("{name} ({} members)", members.unwrap_or_default()),
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
        width: LEFT + map.accounts.len().max(1) * CELL + 20,
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
    let org = state.app.organization(&user.actor, &sid).await?;
    let group = if q.group.is_empty() { None } else { Some(path_sid(&q.group, GroupSid::parse)?) };
    let account = if q.account.is_empty() { None } else { Some(path_sid(&q.account, AccountSid::parse)?) };
    let people = PageRequest::new(Some(q.after.clone()).filter(|a| !a.is_empty()), Some(50), None)?;
    let accounts = PageRequest::new(Some(q.accounts_after.clone()).filter(|a| !a.is_empty()), Some(40), None)?;
    let map = state.app.access_map(&user.actor, &sid, group.as_ref(), account.as_ref(), &people, &accounts).await?;
    let filtered = match (&group, &account) {
        (Some(_), _) => format!("the members of {}", map.rows.first().map(|r| r.1.as_str()).unwrap_or_default()),
        (_, Some(_)) => {
            format!("{} and its subaccounts", map.accounts.first().map(|a| a.name.as_str()).unwrap_or_default())
        }
        _ => String::new(),
    };
    let mut legend: Vec<(&str, &str)> = PALETTE.to_vec();
    legend.push(("Custom role", CUSTOM));
    let page = MapPage {
        layout: user.layout(&format!("Access map · {}", org.name), &format!("/orgs/{sid}"), None),
        tab: "access",
        sid: sid.to_string(),
        name: org.name.clone(),
        empty: map.rows.is_empty() || map.accounts.is_empty(),
        svg: svg(&map, sid.as_str()),
        legend,
        filtered,
        next_people: map.next_people.clone(),
        next_accounts: map.next_accounts.clone(),
    };
    Ok(Html(page.render()?).into_response())
}
