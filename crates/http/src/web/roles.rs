//! The Admin Center's *Roles* tab: the built-in roles beside the organization's custom roles;
//! define, edit (each permission explained in words) and delete (ending its assignments, said
//! first).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_app::AssignedRoleDeletion;
use gatehouse_domain::Error;
use gatehouse_domain::custom_role::{check_definition, parse_role_kind, role_kind_key};
use gatehouse_domain::permission::{Permission, PermissionSet, ScopeKind};
use gatehouse_domain::role::BuiltinRole;
use gatehouse_domain::sid::{OrganizationSid, RoleSid};

use super::accounts::ListQuery;
use super::{CurrentUser, FormData, FormErrors, Layout, notice};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

struct RoleRow {
    sid: String,
    name: String,
    description: String,
    kind: &'static str,
    permissions: String,
    builtin: bool,
}

struct PermissionCheck {
    name: &'static str,
    description: &'static str,
    organization: bool,
    checked: bool,
}

#[derive(Template)]
#[template(path = "org_roles.html")]
struct RolesPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    rows: Vec<RoleRow>,
    /// The role being edited (empty: defining a new one).
    editing: String,
    form_name: String,
    form_description: String,
    form_kind: String,
    permissions: Vec<PermissionCheck>,
    /// How many assignments grant the role being edited.
    assigned: u64,
    errors: FormErrors,
}

/// What the form shows.
struct Form {
    editing: String,
    name: String,
    description: String,
    kind: String,
    checked: PermissionSet,
    assigned: u64,
}

fn listed(set: PermissionSet) -> String {
    set.iter().map(Permission::name).collect::<Vec<_>>().join(", ")
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    sid: &OrganizationSid,
    notice_code: Option<&str>,
    form: Form,
    errors: FormErrors,
) -> PageResult {
    let org = state.app.organization(&user.actor, sid).await?;
    let custom = state.app.custom_roles(&user.actor, sid).await?;
    let mut rows: Vec<RoleRow> = BuiltinRole::ALL
        .into_iter()
        .map(|r| RoleRow {
            sid: r.sid().to_string(),
            name: match r {
                BuiltinRole::Account(_) => r.name().to_owned(),
                BuiltinRole::Org(_) => format!("Organization {}", r.name()),
            },
            description: String::new(),
            kind: role_kind_key(r.scope_kind()),
            permissions: listed(r.permissions()),
            builtin: true,
        })
        .collect();
    rows.extend(custom.into_iter().map(|r| RoleRow {
        sid: r.sid.to_string(),
        name: r.name,
        description: r.description,
        kind: role_kind_key(r.kind),
        permissions: listed(r.permissions),
        builtin: false,
    }));
    let permissions = Permission::ALL
        .iter()
        .filter(|p| !gatehouse_domain::custom_role::OWNER_ONLY.contains(p))
        .map(|p| PermissionCheck {
            name: p.name(),
            description: p.description(),
            organization: p.scope_kind() == ScopeKind::Organization,
            checked: form.checked.contains(*p),
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = RolesPage {
        layout: user.layout(&format!("Roles · {}", org.name), &format!("/orgs/{sid}"), notice(notice_code)),
        tab: "roles",
        sid: sid.to_string(),
        name: org.name,
        rows,
        editing: form.editing,
        form_name: form.name,
        form_description: form.description,
        form_kind: form.kind,
        permissions,
        assigned: form.assigned,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn empty_form() -> Form {
    Form {
        editing: String::new(),
        name: String::new(),
        description: String::new(),
        kind: "account".into(),
        checked: PermissionSet::EMPTY,
        assigned: 0,
    }
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    render(&state, &user, &sid, q.notice.as_deref(), empty_form(), FormErrors::default()).await
}

pub(crate) async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, role)): Path<(String, String)>,
) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let role = path_sid(&role, RoleSid::parse)?;
    let (r, assigned) = state.app.custom_role(&user.actor, &sid, &role).await?;
    let form = Form {
        editing: r.sid.to_string(),
        name: r.name,
        description: r.description,
        kind: role_kind_key(r.kind).into(),
        checked: r.permissions,
        assigned,
    };
    render(&state, &user, &sid, None, form, FormErrors::default()).await
}

/// Reads the form into a definition of `kind`, keeping what was typed for a re-render.
fn read(
    form: &FormData,
    kind: ScopeKind,
    editing: String,
    assigned: u64,
) -> (Result<gatehouse_domain::custom_role::RoleDefinition, Error>, Form) {
    let perms = form.all("permissions");
    let shown = Form {
        editing,
        name: form.text("name"),
        description: form.text("description"),
        kind: role_kind_key(kind).into(),
        checked: perms.iter().filter_map(|p| Permission::parse(p)).fold(PermissionSet::EMPTY, PermissionSet::with),
        assigned,
    };
    (check_definition(&shown.name, &shown.description, kind, &perms), shown)
}

pub(crate) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let kind = parse_role_kind(&form.text("kind"));
    let (definition, shown) = read(&form, kind.clone().unwrap_or(ScopeKind::Account), String::new(), 0);
    let result = match (kind, definition) {
        (Ok(_), Ok(d)) => state.app.create_custom_role(&user.actor, &sid, d).await.map(|_| ()),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{sid}/roles?notice=role-saved")).into_response()),
        Err(e) => render(&state, &user, &sid, None, shown, FormErrors::from_errors(vec![e])?).await,
    }
}

pub(crate) async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, role)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let role = path_sid(&role, RoleSid::parse)?;
    let (before, assigned) = state.app.custom_role(&user.actor, &sid, &role).await?;
    let (definition, shown) = read(&form, before.kind, role.to_string(), assigned);
    let result = match definition {
        Ok(d) => state.app.update_custom_role(&user.actor, &sid, &role, d).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{sid}/roles?notice=role-saved")).into_response()),
        Err(e) => render(&state, &user, &sid, None, shown, FormErrors::from_errors(vec![e])?).await,
    }
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, role)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let role = path_sid(&role, RoleSid::parse)?;
    let assigned = if form.get("end_assignments").is_some() {
        AssignedRoleDeletion::EndAssignments
    } else {
        AssignedRoleDeletion::Refuse
    };
    state.app.delete_custom_role(&user.actor, &sid, &role, assigned).await?;
    Ok(Redirect::to(&format!("/orgs/{sid}/roles?notice=role-deleted")).into_response())
}
