//! API: an organization's roles — the built-in ones (fixed) beside its custom roles, which
//! whoever holds `org.roles.manage` defines, changes and deletes.

use axum::extract::{Path, State};
use gatehouse_app::AssignedRoleDeletion;
use gatehouse_domain::custom_role::{CustomRole, check_definition, parse_role_kind, role_kind_key};
use gatehouse_domain::permission::PermissionSet;
use gatehouse_domain::role::BuiltinRole;
use gatehouse_domain::sid::{OrganizationSid, RoleSid};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::bodies::List;
use super::{ApiActor, ApiResult, Body, Params, created, ok, sid};
use crate::AppState;

/// A role: built-in (fixed) or the organization's own.
#[derive(Serialize, JsonSchema)]
pub(crate) struct RoleBody {
    #[schemars(pattern(r"^IX[0-9a-f]{32}$"))]
    pub sid: String,
    pub friendly_name: String,
    pub description: String,
    #[schemars(extend("enum" = ["account", "organization"]))]
    pub kind: String,
    /// The permissions' catalogue names (`logs.read`, …).
    pub permissions: Vec<String>,
    pub builtin: bool,
}

fn names(set: PermissionSet) -> Vec<String> {
    set.iter().map(|p| p.name().to_owned()).collect()
}

impl From<&CustomRole> for RoleBody {
    fn from(r: &CustomRole) -> Self {
        RoleBody {
            sid: r.sid.to_string(),
            friendly_name: r.name.clone(),
            description: r.description.clone(),
            kind: role_kind_key(r.kind).to_owned(),
            permissions: names(r.permissions),
            builtin: false,
        }
    }
}

fn builtin(r: BuiltinRole) -> RoleBody {
    RoleBody {
        sid: r.sid().to_string(),
        friendly_name: r.name().to_owned(),
        description: String::new(),
        kind: role_kind_key(r.scope_kind()).to_owned(),
        permissions: names(r.permissions()),
        builtin: true,
    }
}

fn org_sid(raw: &str) -> Result<OrganizationSid, super::ApiError> {
    sid(raw, OrganizationSid::parse)
}

/// The built-in roles, then the organization's custom roles by name.
pub(crate) async fn list(State(state): State<AppState>, ApiActor(actor): ApiActor, Path(o): Path<String>) -> ApiResult {
    let custom = state.app.custom_roles(&actor, &org_sid(&o)?).await?;
    let items = BuiltinRole::ALL.into_iter().map(builtin).chain(custom.iter().map(RoleBody::from)).collect();
    Ok(ok(List { items }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRole {
    #[schemars(
        length(min = 1, max = 64),
        pattern(r"^\s*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$")
    )]
    friendly_name: String,
    #[serde(default)]
    #[schemars(length(max = 500), pattern(r"^[^\u0000-\u0009\u000B-\u001F\u007F-\u009F]*$"))]
    description: String,
    #[schemars(extend("enum" = ["account", "organization"]))]
    kind: String,
    #[schemars(schema_with = "grantable_permissions")]
    permissions: Vec<String>,
}

/// The permissions a custom role may hold: the catalogue's names, minus the Owner's.
fn grantable_permissions(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names: Vec<&str> = gatehouse_domain::permission::Permission::ALL
        .iter()
        .filter(|p| !gatehouse_domain::custom_role::OWNER_ONLY.contains(p))
        .map(|p| p.name())
        .collect();
    schemars::json_schema!({ "type": "array", "minItems": 1, "items": { "type": "string", "enum": names } })
}

pub(crate) async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Body(body): Body<NewRole>,
) -> ApiResult {
    let kind = parse_role_kind(&body.kind)?;
    let perms: Vec<&str> = body.permissions.iter().map(String::as_str).collect();
    let definition = check_definition(&body.friendly_name, &body.description, kind, &perms)?;
    let role = state.app.create_custom_role(&actor, &org_sid(&o)?, definition).await?;
    Ok(created(RoleBody::from(&role)))
}

fn role_sid(raw: &str) -> Result<RoleSid, super::ApiError> {
    sid(raw, RoleSid::parse)
}

pub(crate) async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, r)): Path<(String, String)>,
) -> ApiResult {
    let (role, _) = state.app.custom_role(&actor, &org_sid(&o)?, &role_sid(&r)?).await?;
    Ok(ok(RoleBody::from(&role)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleChange {
    #[schemars(
        length(min = 1, max = 64),
        pattern(r"^\s*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$")
    )]
    friendly_name: String,
    #[serde(default)]
    #[schemars(length(max = 500), pattern(r"^[^\u0000-\u0009\u000B-\u001F\u007F-\u009F]*$"))]
    description: String,
    #[schemars(schema_with = "grantable_permissions")]
    permissions: Vec<String>,
}

pub(crate) async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, r)): Path<(String, String)>,
    Body(body): Body<RoleChange>,
) -> ApiResult {
    let (org, sid) = (org_sid(&o)?, role_sid(&r)?);
    let (before, _) = state.app.custom_role(&actor, &org, &sid).await?;
    let perms: Vec<&str> = body.permissions.iter().map(String::as_str).collect();
    let definition = check_definition(&body.friendly_name, &body.description, before.kind, &perms)?;
    let role = state.app.update_custom_role(&actor, &org, &sid, definition).await?;
    Ok(ok(RoleBody::from(&role)))
}

#[derive(Deserialize, Default)]
pub(crate) struct DeleteQuery {
    /// `true`: end the role's assignments with it (otherwise an assigned role is not deleted).
    #[serde(default)]
    end_assignments: Option<String>,
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((o, r)): Path<(String, String)>,
    Params(q): Params<DeleteQuery>,
) -> ApiResult {
    let assigned = match q.end_assignments.as_deref() {
        Some("true") => AssignedRoleDeletion::EndAssignments,
        None | Some("false") => AssignedRoleDeletion::Refuse,
        Some(_) => {
            return Err(gatehouse_domain::Error::invalid("end_assignments", "true or false").into());
        }
    };
    state.app.delete_custom_role(&actor, &org_sid(&o)?, &role_sid(&r)?, assigned).await?;
    Ok(super::done())
}
