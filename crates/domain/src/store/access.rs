//! The store trait of role assignments (`crates/store/src/sql/access.rs`).

use async_trait::async_trait;

use crate::account::Account;
use crate::error::Result;
use crate::membership::{Member, RoleAssignment, ScopeRef};
use crate::organization::Organization;
use crate::page::{Page, PageRequest};
use crate::role::{AccountRole, OrgRole};
use crate::sid::{AccountSid, RoleAssignmentSid, UserSid};

/// Role assignments: who holds which role where, account members and Owners.
#[async_trait]
pub trait AccessTx: Send {
    /// The organizations in which the user holds an organization role, with that role.
    async fn user_organizations(&mut self, user: &UserSid) -> Result<Vec<(Organization, OrgRole)>>;
    /// Inserts an assignment. A duplicate, or a second Owner of one account or organization,
    /// is a Conflict (enforced by unique indexes).
    async fn insert_assignment(&mut self, assignment: &RoleAssignment) -> Result<()>;
    /// Removes all of a user's assignments at one scope; returns how many were removed.
    async fn delete_user_assignments(&mut self, scope: &ScopeRef, user: &UserSid) -> Result<u64>;
    /// Removes the user's built-in roles of the scope's own kind at one scope (account roles on
    /// an account, organization roles on the organization), leaving custom roles and account
    /// roles granted on the organization: replacing someone's built-in roles keeps those.
    async fn delete_user_builtin_assignments(&mut self, scope: &ScopeRef, user: &UserSid) -> Result<u64>;
    /// A user's assignments at any of the given scopes.
    async fn user_assignments(&mut self, user: &UserSid, scopes: &[ScopeRef]) -> Result<Vec<RoleAssignment>>;
    /// All assignments at one scope, ordered by SID.
    async fn scope_assignments(&mut self, scope: &ScopeRef, page: &PageRequest) -> Result<Page<RoleAssignment>>;
    /// The users holding roles on an account (only those holding `role`, when given), with all
    /// their roles, ordered by user SID; search matches email and name.
    async fn account_members(
        &mut self,
        account: &AccountSid,
        role: Option<AccountRole>,
        page: &PageRequest,
    ) -> Result<Page<Member>>;
    /// The Owner of an account or an organization (one indexed lookup by scope and role).
    async fn scope_owner(&mut self, scope: &ScopeRef) -> Result<Option<UserSid>>;
    /// The Owner of an account.
    async fn account_owner(&mut self, account: &AccountSid) -> Result<Option<UserSid>> {
        self.scope_owner(&ScopeRef::Account(account.clone())).await
    }
    /// Every account role the user holds directly, with its account, by account SID.
    async fn user_memberships(&mut self, user: &UserSid) -> Result<Vec<(Account, AccountRole)>>;
    /// One role assignment by SID.
    async fn role_assignment(&mut self, sid: &RoleAssignmentSid) -> Result<Option<RoleAssignment>>;
    /// Every role assignment a user holds, by SID.
    async fn all_user_assignments(&mut self, user: &UserSid) -> Result<Vec<RoleAssignment>>;
    /// Deletes one role assignment; returns how many (0 or 1).
    async fn delete_role_assignment(&mut self, sid: &RoleAssignmentSid) -> Result<u64>;
}
