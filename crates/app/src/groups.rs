//! Groups of an organization's users, as SCIM provisions them: create, replace (name,
//! externalId, members), delete. Members must be managed users of the same organization.

use std::collections::BTreeMap;

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::group::{Group, parse_group_name};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::scim::parse_scim_text;
use gatehouse_domain::sid::{GroupSid, OrganizationSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{User, UserStatus};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::App;
use crate::org_users::authorize_org;

/// A group with its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupView {
    pub group: Group,
    pub members: Vec<User>,
}

/// What a provisioning request sets on a group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupInput {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<UserSid>,
}

/// Checks the members: managed, not deleted users of the organization, each once.
async fn check_members(tx: &mut dyn Tx, org: &OrganizationSid, members: &[UserSid]) -> Result<Vec<UserSid>> {
    let mut out: Vec<UserSid> = Vec::new();
    for m in members {
        let ok = tx
            .user(m)
            .await?
            .is_some_and(|u| u.organization_sid.as_ref() == Some(org) && u.status != UserStatus::Deleted);
        if !ok {
            return Err(Error::invalid("members", format!("{m} is not a user of this organization")));
        }
        if !out.contains(m) {
            out.push(m.clone());
        }
    }
    out.sort();
    Ok(out)
}

async fn views(tx: &mut dyn Tx, org: &OrganizationSid, only: Option<&GroupSid>) -> Result<Vec<GroupView>> {
    let mut members: BTreeMap<GroupSid, Vec<UserSid>> = BTreeMap::new();
    for (g, u) in tx.group_members(org).await? {
        members.entry(g).or_default().push(u);
    }
    let mut out = Vec::new();
    for group in tx.groups(org).await? {
        if only.is_some_and(|o| o != &group.sid) {
            continue;
        }
        let mut users = Vec::new();
        for u in members.remove(&group.sid).unwrap_or_default() {
            if let Some(user) = tx.user(&u).await? {
                users.push(user);
            }
        }
        out.push(GroupView { group, members: users });
    }
    Ok(out)
}

impl App {
    /// The organization's groups with their members.
    pub async fn groups(&self, actor: &Actor, org: &OrganizationSid) -> Result<Vec<GroupView>> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        views(&mut *tx, org, None).await
    }

    /// One group of the organization.
    pub async fn group(&self, actor: &Actor, org: &OrganizationSid, sid: &GroupSid) -> Result<GroupView> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        views(&mut *tx, org, Some(sid)).await?.pop().ok_or(Error::NotFound)
    }

    /// Creates a group.
    pub async fn create_group(&self, actor: &Actor, org: &OrganizationSid, input: GroupInput) -> Result<GroupView> {
        let display_name = parse_group_name(&input.display_name)?;
        let external_id = parse_scim_text("externalId", input.external_id)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await?;
        let members = check_members(&mut *tx, org, &input.members).await?;
        let group = Group {
            sid: GroupSid::generate(),
            organization_sid: org.clone(),
            display_name,
            external_id,
            created_at: now,
            updated_at: now,
        };
        tx.insert_group(&group).await?;
        tx.set_group_members(&group.sid, &members).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "group.created", group.sid.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "name": group.display_name, "members": members })),
        )
        .await?;
        let view = views(&mut *tx, org, Some(&group.sid)).await?.pop().ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(view)
    }

    /// Replaces a group's name, externalId and members; `if_match`, when given, must be the
    /// current version.
    pub async fn replace_group(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        sid: &GroupSid,
        input: GroupInput,
        if_match: Option<&str>,
    ) -> Result<GroupView> {
        let display_name = parse_group_name(&input.display_name)?;
        let external_id = parse_scim_text("externalId", input.external_id)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await?;
        let before = views(&mut *tx, org, Some(sid)).await?.pop().ok_or(Error::NotFound)?;
        if let Some(expected) = if_match
            && expected != "*"
            && expected != before.group.version()
        {
            return Err(Error::Precondition(format!(
                "Version conflict: the group is at {}, not {expected}",
                before.group.version()
            )));
        }
        let members = check_members(&mut *tx, org, &input.members).await?;
        let old: Vec<UserSid> = before.members.iter().map(|u| u.sid.clone()).collect();
        let renamed = display_name != before.group.display_name || external_id != before.group.external_id;
        if renamed || members != old {
            let group = Group { display_name, external_id, updated_at: now, ..before.group.clone() };
            tx.update_group(&group).await?;
            tx.set_group_members(sid, &members).await?;
            let added: Vec<&UserSid> = members.iter().filter(|m| !old.contains(m)).collect();
            let removed: Vec<&UserSid> = old.iter().filter(|m| !members.contains(m)).collect();
            tx.append_audit(
                &AuditEvent::new(actor, "group.updated", sid.as_str(), now).in_organization(org).with_details(json!({
                    "name": { "from": before.group.display_name, "to": group.display_name },
                    "members_added": added,
                    "members_removed": removed,
                })),
            )
            .await?;
        }
        let view = views(&mut *tx, org, Some(sid)).await?.pop().ok_or(Error::NotFound)?;
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
