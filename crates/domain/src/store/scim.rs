//! The store traits of SCIM provisioning: tokens, profiles and pages of users (`ScimTx`), and
//! groups with their members (`GroupsTx`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::group::Group;
use crate::scim::{ScimProfile, ScimToken, ScimUser};
use crate::sid::{GroupSid, OrganizationSid, ScimTokenSid, UserSid};
use crate::user::{User, UserStatus};

/// SCIM tokens, SCIM profiles and provisioned users' status.
#[async_trait]
pub trait ScimTx: Send {
    /// Stores a new SCIM token.
    async fn insert_scim_token(&mut self, token: &ScimToken) -> Result<()>;
    /// The organization's SCIM tokens that are not revoked, by SID.
    async fn scim_tokens(&mut self, org: &OrganizationSid) -> Result<Vec<ScimToken>>;
    /// A SCIM token by the hash of its secret (revoked ones included; the caller checks).
    async fn scim_token_by_hash(&mut self, token_hash: &str) -> Result<Option<ScimToken>>;
    /// Revokes one of the organization's tokens; returns how many were revoked (0 or 1).
    async fn revoke_scim_token(&mut self, org: &OrganizationSid, sid: &ScimTokenSid, at: DateTime<Utc>) -> Result<u64>;
    /// Records a token's use.
    async fn touch_scim_token(&mut self, sid: &ScimTokenSid, at: DateTime<Utc>) -> Result<()>;
    /// Sets a user's status (SCIM `active`).
    async fn set_user_status(&mut self, user: &UserSid, status: UserStatus, at: DateTime<Utc>) -> Result<()>;
    /// A managed user's SCIM profile.
    async fn scim_profile(&mut self, user: &UserSid) -> Result<Option<ScimProfile>>;
    /// The SCIM profiles of the organization's users, by user SID.
    async fn scim_profiles(&mut self, org: &OrganizationSid) -> Result<Vec<(UserSid, ScimProfile)>>;
    /// Inserts or replaces a user's SCIM profile and marks the user changed; a duplicate
    /// Inserts the SCIM profiles of users just created, in one statement; a duplicate
    /// `externalId` in an organization fails them all with Conflict.
    async fn insert_scim_profiles(&mut self, profiles: &[(OrganizationSid, UserSid, ScimProfile)]) -> Result<()>;
    /// `externalId` in the organization is a Conflict.
    async fn put_scim_profile(
        &mut self,
        org: &OrganizationSid,
        user: &UserSid,
        profile: &ScimProfile,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// One page of the organization's managed users that `query` selects, in its order (then by
    /// SID), with their SCIM profiles; and how many users it selects in all. One indexed query
    /// and one count: the organization is never loaded whole.
    async fn scim_user_page(
        &mut self,
        org: &OrganizationSid,
        query: &crate::scim_filter::users::UserQuery,
    ) -> Result<(Vec<ScimUser>, u64)>;
}

/// Groups of an organization's users, as SCIM provisions them.
#[async_trait]
pub trait GroupsTx: Send {
    /// Stores a new group (a duplicate `externalId` in the organization is a Conflict).
    async fn insert_group(&mut self, group: &Group) -> Result<()>;
    /// Saves a group's name, externalId and update time.
    async fn update_group(&mut self, group: &Group) -> Result<()>;
    /// One of the organization's groups.
    async fn group(&mut self, org: &OrganizationSid, sid: &GroupSid) -> Result<Option<Group>>;
    /// One page of the organization's groups that `query` selects, and how many it selects.
    async fn scim_group_page(
        &mut self,
        org: &OrganizationSid,
        query: &crate::scim_filter::groups::GroupQuery,
    ) -> Result<(Vec<Group>, u64)>;
    /// Deletes one of the organization's groups (and its memberships); returns how many.
    async fn delete_group(&mut self, org: &OrganizationSid, sid: &GroupSid) -> Result<u64>;
    /// The members of these groups, by group then user SID.
    async fn members_of(&mut self, groups: &[GroupSid]) -> Result<Vec<(GroupSid, User)>>;
    /// Adds users to a group (those already in it stay); answers who joined.
    async fn add_group_members(&mut self, group: &GroupSid, users: &[UserSid]) -> Result<Vec<UserSid>>;
    /// Removes users from a group; answers who left.
    async fn remove_group_members(&mut self, group: &GroupSid, users: &[UserSid]) -> Result<Vec<UserSid>>;
    /// Takes a user out of every group (their groups' versions move); returns how many.
    async fn leave_all_groups(&mut self, user: &UserSid, at: DateTime<Utc>) -> Result<u64>;
}
