//! An account's notification preferences: which roles receive which category of notice.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_domain::notification::NoticeCategory;
use gatehouse_domain::permission::Permission;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::AccountSid;

use super::accounts::ListQuery;
use super::members::RoleCheck;
use super::{AccountTabs, CurrentUser, FormData, Layout, notice};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

struct CategoryRow {
    key: &'static str,
    name: &'static str,
    description: &'static str,
    roles: Vec<RoleCheck>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    tabs: AccountTabs,
    can_manage: bool,
    rows: Vec<CategoryRow>,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, AccountSid::parse)?;
    let view = state.app.account(&user.actor, &sid).await?;
    let prefs = state.app.notification_preferences(&user.actor, &sid).await?;
    let rows = prefs
        .into_iter()
        .map(|(c, chosen)| CategoryRow {
            key: c.key(),
            name: c.name(),
            description: c.description(),
            roles: AccountRole::ALL
                .into_iter()
                .map(|r| RoleCheck { key: r.key(), name: r.name(), checked: chosen.contains(&r) })
                .collect(),
        })
        .collect();
    let page = NotificationsPage {
        layout: user.layout(
            &format!("Notifications · {}", view.account.name),
            "/accounts",
            notice(q.notice.as_deref()),
        ),
        tab: "notifications",
        sid: sid.to_string(),
        name: view.account.name,
        tabs: AccountTabs::new(view.permissions),
        can_manage: view.permissions.contains(Permission::NotificationsManage),
        rows,
    };
    Ok(Html(page.render()?).into_response())
}

/// Saves every category's roles from the form (checkboxes named after the category).
pub(crate) async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    for category in NoticeCategory::ALL {
        let roles = form.all(category.key()).into_iter().map(AccountRole::parse_key).collect::<Result<Vec<_>, _>>()?;
        state.app.set_notification_roles(&user.actor, &sid, category, &roles).await?;
    }
    Ok(Redirect::to(&format!("/accounts/{sid}/notifications?notice=settings-saved")).into_response())
}
