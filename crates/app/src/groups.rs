//! Groups of an organization's users, as SCIM provisions them: create, list (filtered, sorted
//! and paged in the store), change (name, externalId, members: replaced, or added and removed
//! one by one as identity providers PATCH them), delete. Members must be managed users of the
//! same organization. No use case reads a group's members unless asked, and a change touches
//! only the members it names, so a group of 100,000 costs what a group of ten does.

use std::collections::{BTreeMap, BTreeSet};

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::group::{Group, parse_group_name};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::scim::parse_scim_text;
use gatehouse_domain::scim_filter::groups::GroupQuery;
use gatehouse_domain::sid::{GroupSid, OrganizationSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{User, UserStatus};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::App;
use crate::org_users::authorize_org;

/// A group, with its members when they were asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupView {
    pub group: Group,
    pub members: Option<Vec<User>>,
}

/// What a provisioning request sets on a new group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupInput {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<UserSid>,
}

/// What a change does to a group's members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MembersChange {
    /// They stay as they are.
    #[default]
    Keep,
    /// They become exactly these.
    Replace(BTreeSet<UserSid>),
    /// These join (those already in stay) and these leave.
    Edit { add: BTreeSet<UserSid>, remove: BTreeSet<UserSid> },
}

impl MembersChange {
    /// Then these join.
    pub fn then_add(self, users: impl IntoIterator<Item = UserSid>) -> Self {
        self.then(users, true)
    }

    /// Then these leave.
    pub fn then_remove(self, users: impl IntoIterator<Item = UserSid>) -> Self {
        self.then(users, false)
    }

    /// Then these join (`join`) or leave.
    fn then(self, users: impl IntoIterator<Item = UserSid>, join: bool) -> Self {
        match self {
            MembersChange::Keep => {
                MembersChange::Edit { add: BTreeSet::new(), remove: BTreeSet::new() }.then(users, join)
            }
            MembersChange::Replace(mut all) => {
                for u in users {
                    if join {
                        all.insert(u);
                    } else {
                        all.remove(&u);
                    }
                }
                MembersChange::Replace(all)
            }
            MembersChange::Edit { mut add, mut remove } => {
                let (to, from) = if join { (&mut add, &mut remove) } else { (&mut remove, &mut add) };
                for u in users {
                    from.remove(&u);
                    to.insert(u);
                }
                MembersChange::Edit { add, remove }
            }
        }
    }
}

/// A change to a group: each part that is `None` (or `Keep`) stays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChange {
    pub display_name: Option<String>,
    /// `Some(None)` removes the externalId.
    pub external_id: Option<Option<String>>,
    pub members: MembersChange,
}

/// Checks that every user is a managed, not deleted user of the organization (one query per
/// thousand).
async fn check_members(tx: &mut dyn Tx, org: &OrganizationSid, members: &BTreeSet<UserSid>) -> Result<()> {
    let sids: Vec<UserSid> = members.iter().cloned().collect();
    let found: BTreeSet<UserSid> = tx
        .users_by_sids(&sids)
        .await?
        .into_iter()
        .filter(|u| u.organization_sid.as_ref() == Some(org) && u.status != UserStatus::Deleted)
        .map(|u| u.sid)
        .collect();
    match members.iter().find(|m| !found.contains(*m)) {
        Some(m) => Err(Error::invalid("members", format!("{m} is not a user of this organization"))),
        None => Ok(()),
    }
}

/// The groups with their members, when `with_members`.
async fn views(tx: &mut dyn Tx, groups: Vec<Group>, with_members: bool) -> Result<Vec<GroupView>> {
    if !with_members {
        return Ok(groups.into_iter().map(|group| GroupView { group, members: None }).collect());
    }
    let sids: Vec<GroupSid> = groups.iter().map(|g| g.sid.clone()).collect();
    let mut members: BTreeMap<GroupSid, Vec<User>> = BTreeMap::new();
    for (g, u) in tx.members_of(&sids).await? {
        members.entry(g).or_default().push(u);
    }
    Ok(groups
        .into_iter()
        .map(|group| {
            let of = members.remove(&group.sid).unwrap_or_default();
            GroupView { group, members: Some(of) }
        })
        .collect())
}

async fn view(tx: &mut dyn Tx, org: &OrganizationSid, sid: &GroupSid, with_members: bool) -> Result<GroupView> {
    let group = tx.group(org, sid).await?.ok_or(Error::NotFound)?;
    views(tx, vec![group], with_members).await?.pop().ok_or(Error::NotFound)
}

impl App {
    /// One page of the organization's groups that `query` selects (with their members when
    /// `with_members`), and how many it selects in all.
    pub async fn scim_groups(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        query: &GroupQuery,
        with_members: bool,
    ) -> Result<(Vec<GroupView>, u64)> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        let (groups, total) = tx.scim_group_page(org, query).await?;
        Ok((views(&mut *tx, groups, with_members).await?, total))
    }

    /// One group of the organization.
    pub async fn group(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        sid: &GroupSid,
        with_members: bool,
    ) -> Result<GroupView> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        view(&mut *tx, org, sid, with_members).await
    }

    /// Creates a group.
    pub async fn create_group(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        input: GroupInput,
        with_members: bool,
    ) -> Result<GroupView> {
        let display_name = parse_group_name(&input.display_name)?;
        let external_id = parse_scim_text("externalId", input.external_id)?;
        let members: BTreeSet<UserSid> = input.members.into_iter().collect();
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await?;
        check_members(&mut *tx, org, &members).await?;
        let group = Group {
            sid: GroupSid::generate(),
            organization_sid: org.clone(),
            display_name,
            external_id,
            created_at: now,
            updated_at: now,
        };
        tx.insert_group(&group).await?;
        let members: Vec<UserSid> = members.into_iter().collect();
        tx.add_group_members(&group.sid, &members).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "group.created", group.sid.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "name": group.display_name, "members": members })),
        )
        .await?;
        let view = views(&mut *tx, vec![group], with_members).await?.pop().ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(view)
    }

    /// Changes a group's name, externalId and members; `if_match`, when given, must be the
    /// current version. Only the members the change names are read or written (a replacement
    /// names them all).
    pub async fn change_group(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        sid: &GroupSid,
        change: GroupChange,
        if_match: Option<&str>,
        with_members: bool,
    ) -> Result<GroupView> {
        let display_name = change.display_name.as_deref().map(parse_group_name).transpose()?;
        let external_id = change.external_id.map(|e| parse_scim_text("externalId", e)).transpose()?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await?;
        let before = tx.group(org, sid).await?.ok_or(Error::NotFound)?;
        if let Some(expected) = if_match
            && expected != "*"
            && expected != before.version()
        {
            return Err(Error::Precondition(format!(
                "Version conflict: the group is at {}, not {expected}",
                before.version()
            )));
        }
        let (add, remove) = match change.members {
            MembersChange::Keep => (Vec::new(), Vec::new()),
            MembersChange::Edit { add, remove } => {
                check_members(&mut *tx, org, &add).await?;
                (add.into_iter().collect(), remove.into_iter().collect())
            }
            MembersChange::Replace(all) => {
                check_members(&mut *tx, org, &all).await?;
                let current: BTreeSet<UserSid> =
                    tx.members_of(std::slice::from_ref(sid)).await?.into_iter().map(|(_, u)| u.sid).collect();
                (all.difference(&current).cloned().collect(), current.difference(&all).cloned().collect())
            }
        };
        let group = Group {
            display_name: display_name.unwrap_or_else(|| before.display_name.clone()),
            external_id: external_id.unwrap_or_else(|| before.external_id.clone()),
            updated_at: now,
            ..before.clone()
        };
        let added = tx.add_group_members(sid, &add).await?;
        let removed = tx.remove_group_members(sid, &remove).await?;
        let renamed = group.display_name != before.display_name || group.external_id != before.external_id;
        let group = if renamed || !added.is_empty() || !removed.is_empty() {
            tx.update_group(&group).await?;
            // The audit names who really joined or left (adding a member is no change).
            tx.append_audit(
                &AuditEvent::new(actor, "group.updated", sid.as_str(), now).in_organization(org).with_details(json!({
                    "name": { "from": before.display_name, "to": group.display_name },
                    "members_added": added,
                    "members_removed": removed,
                })),
            )
            .await?;
            group
        } else {
            before
        };
        let view = views(&mut *tx, vec![group], with_members).await?.pop().ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(view)
    }

    /// Deletes a group (its members keep their logins and roles).
    pub async fn delete_group(&self, actor: &Actor, org: &OrganizationSid, sid: &GroupSid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await?;
        if tx.delete_group(org, sid).await? == 0 {
            return Err(Error::NotFound);
        }
        tx.append_audit(&AuditEvent::new(actor, "group.deleted", sid.as_str(), now).in_organization(org)).await?;
        tx.commit().await
    }
}
