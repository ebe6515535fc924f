//! The store trait of custom roles: an organization's role definitions (the built-in roles are
//! fixed in code and only referenced by SID).

use async_trait::async_trait;

use crate::custom_role::CustomRole;
use crate::error::Result;
use crate::membership::{GroupAssignment, ScopeRef};
use crate::sid::{GroupSid, OrganizationSid, RoleAssignmentSid, RoleSid, UserSid};

/// An organization's custom roles.
#[async_trait]
pub trait RolesTx: Send {
    /// Stores a new custom role (a second role of the same name in the organization is a Conflict).
    async fn insert_custom_role(&mut self, role: &CustomRole) -> Result<()>;
    /// One custom role by SID.
    async fn custom_role(&mut self, sid: &RoleSid) -> Result<Option<CustomRole>>;
    /// The custom roles among these SIDs (for loading a principal's grants).
    async fn custom_roles_by_sids(&mut self, sids: &[RoleSid]) -> Result<Vec<CustomRole>>;
    /// The organization's custom roles, by name.
    async fn organization_custom_roles(&mut self, org: &OrganizationSid) -> Result<Vec<CustomRole>>;
    /// Replaces a custom role's name, description and permissions.
    async fn update_custom_role(&mut self, role: &CustomRole) -> Result<()>;
    /// Deletes a custom role (its assignments must be gone).
    async fn delete_custom_role(&mut self, org: &OrganizationSid, sid: &RoleSid) -> Result<u64>;
    /// How many assignments grant the role (to users and to groups).
    async fn role_assignment_count(&mut self, role: &RoleSid) -> Result<u64>;
    /// Ends every assignment of the role (to users and to groups); how many.
    async fn delete_assignments_of_role(&mut self, role: &RoleSid) -> Result<u64>;
    /// Grants a role to a group at a scope (the same grant twice is a Conflict).
    async fn insert_group_assignment(&mut self, assignment: &GroupAssignment) -> Result<()>;
    /// The group's assignments, by SID.
    async fn group_assignments(&mut self, group: &GroupSid) -> Result<Vec<GroupAssignment>>;
    /// One group assignment by SID.
    async fn group_assignment(&mut self, sid: &RoleAssignmentSid) -> Result<Option<GroupAssignment>>;
    /// Ends one group assignment; how many (0 or 1).
    async fn delete_group_assignment(&mut self, sid: &RoleAssignmentSid) -> Result<u64>;
    /// The assignments the user holds through the groups they belong to, at these scopes.
    async fn user_group_grants(&mut self, user: &UserSid, scopes: &[ScopeRef]) -> Result<Vec<GroupAssignment>>;
}
