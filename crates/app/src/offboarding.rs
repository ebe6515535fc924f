//! Offboarding (SPEC §3, §4): an organization admin removes a managed user from the
//! organization, or deletes them. A preview lists what they hold; the admin chooses an heir (or
//! "keep as Owner") per owned account and revoke-or-keep per key; then, in one transaction,
//! ownerships move, chosen keys are revoked, memberships in managed accounts and the
//! organization role end, sessions end, invitations they sent are revoked, and a report is
//! stored. Deleting also erases the user's personal data; audit events keep the SID.

use std::collections::BTreeSet;

use gatehouse_domain::account::Account;
use gatehouse_domain::api_key::ApiKey;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::invitation::{Invitation, InvitationStatus, OrgInvitation};
use gatehouse_domain::membership::ScopeRef;
use gatehouse_domain::offboarding::{
    ERASED_NAME, OffboardingKind, OffboardingPlan, OffboardingReport, OwnedAccountChoice, check_plan, erased_email,
};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::session::Session;
use gatehouse_domain::sid::{OffboardingSid, OrganizationSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{User, UserStatus};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::App;
use crate::api_keys::{keys_created_in_organization, revoke_departing_keys};
use crate::oauth::{Leaving, revoke_departing_apps};
use crate::org_users::{authorize_org, managed_user, org_role_of};

/// How many managed users the preview offers as heirs.
pub(crate) const HEIR_CHOICES: u32 = 200;

/// Everything an offboarding would touch, for the admin to review and decide on.
#[derive(Debug, Clone)]
pub struct OffboardingPreview {
    pub user: User,
    pub org_role: Option<OrgRole>,
    /// Managed accounts the user owns that need a decision (subaccounts of these follow them).
    pub owned_accounts: Vec<Account>,
    /// Owned subaccounts that follow their parent's decision.
    pub following: Vec<Account>,
    /// Every membership in a managed account, with its roles (these end).
    pub memberships: Vec<(Account, Vec<AccountRole>)>,
    /// Keys the user created in the organization's accounts that still work.
    pub keys: Vec<ApiKey>,
    pub sessions: Vec<Session>,
    pub invitations: Vec<Invitation>,
    pub org_invitations: Vec<OrgInvitation>,
    /// Accounts outside the organization the user owns (they stay theirs; block deletion).
    pub owned_elsewhere: Vec<Account>,
    /// Active managed users who may inherit an account.
    pub heirs: Vec<User>,
}

impl App {
    /// What removing or deleting `user` would touch. Needs `org.users.manage`.
    pub async fn offboarding_preview(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        user: &UserSid,
    ) -> Result<OffboardingPreview> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await?;
        gather(&mut *tx, org, user).await
    }

    /// Removes (`Removed`) or deletes (`Deleted`) a managed user, applying the admin's plan in
    /// one transaction, and returns the stored report.
    pub async fn offboard(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        user: &UserSid,
        kind: OffboardingKind,
        plan: &OffboardingPlan,
    ) -> Result<OffboardingReport> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await?;
        let facts = gather(&mut *tx, org, user).await?;
        if actor.user_sid() == Some(user) {
            return Err(Error::Precondition("You cannot remove or delete yourself; ask another administrator.".into()));
        }
        if facts.org_role == Some(OrgRole::Owner) {
            return Err(Error::Precondition(
                "The organization's Owner cannot be removed or deleted. The Owner first offers the organization to an \
                 Administrator (Settings → Ownership), who accepts; the operator can also move it with \
                 `gatehouse admin transfer-organization`."
                    .into(),
            ));
        }
        if kind == OffboardingKind::Deleted && !facts.owned_elsewhere.is_empty() {
            let names: Vec<_> = facts.owned_elsewhere.iter().map(|a| format!("{} ({})", a.name, a.sid)).collect();
            return Err(Error::Precondition(format!(
                "{} owns accounts outside this organization: {}. Deleting them would leave those accounts without \
                 an Owner; remove the user from the organization instead.",
                facts.user.name,
                names.join(", ")
            )));
        }
        let key_sids: BTreeSet<_> = facts.keys.iter().map(|k| k.sid.clone()).collect();
        check_plan(kind, &facts.owned_accounts, &key_sids, plan)?;
        for choice in plan.accounts.values() {
            if let OwnedAccountChoice::Heir(heir) = choice {
                check_heir(&mut *tx, org, user, heir).await?;
            }
        }

        // 1. Ownerships: each decision applies to the account and the owned subaccounts under it.
        let mut accounts_report = Vec::new();
        let mut left = BTreeSet::new();
        for account in &facts.owned_accounts {
            let choice = &plan.accounts[&account.sid];
            let family = std::iter::once(account)
                .chain(facts.following.iter().filter(|s| s.parent_sid.as_ref() == Some(&account.sid)));
            for member in family {
                let locked = tx.lock_account(&member.sid).await?.ok_or(Error::NotFound)?;
                match choice {
                    OwnedAccountChoice::Heir(heir) => {
                        self.move_ownership(&mut *tx, actor, &locked, user, heir).await?;
                        accounts_report.push(json!({ "sid": member.sid, "name": member.name, "outcome": "transferred", "new_owner": heir }));
                    }
                    OwnedAccountChoice::KeepOwner => {
                        left.insert(member.sid.clone());
                        accounts_report.push(json!({ "sid": member.sid, "name": member.name, "outcome": "left_organization_with_owner" }));
                    }
                }
            }
            if *choice == OwnedAccountChoice::KeepOwner {
                tx.set_account_organization(&account.sid, None, now).await?;
                tx.append_audit(
                    &AuditEvent::new(actor, "account.left_organization", account.sid.as_str(), now)
                        .in_account(&account.sid, Some(org))
                        .with_details(json!({ "owner": user, "reason": "offboarding" })),
                )
                .await?;
            }
        }

        // 2. Keys: revoked unless the admin chose to keep them; the account OAuth apps the
        // person made are revoked (their secrets left with them).
        let mut keys_report =
            revoke_departing_keys(&mut *tx, actor, Some(org), user, &facts.keys, &plan.keep_keys, "offboarding", now)
                .await?;
        let leaving = Leaving::Organization(org);
        keys_report
            .extend(revoke_departing_apps(&mut *tx, actor, Some(org), user, leaving, false, "offboarding", now).await?);

        // 3. Memberships in the managed accounts that stay managed, then the organization role.
        let mut memberships_report = Vec::new();
        for (account, roles) in &facts.memberships {
            if left.contains(&account.sid) {
                continue;
            }
            tx.delete_user_assignments(&ScopeRef::Account(account.sid.clone()), user).await?;
            tx.append_audit(
                &AuditEvent::new(actor, "member.removed", user.as_str(), now)
                    .in_account(&account.sid, Some(org))
                    .with_details(
                        json!({ "reason": "offboarding", "roles": roles.iter().map(|r| r.key()).collect::<Vec<_>>() }),
                    ),
            )
            .await?;
            memberships_report.push(json!({ "account": account.sid, "name": account.name }));
        }
        tx.delete_user_assignments(&ScopeRef::Organization(org.clone()), user).await?;
        let groups_left = tx.leave_all_groups(user, now).await?;

        // 4. Sessions and the invitations they sent.
        let sessions = tx.delete_user_sessions(user).await?;
        let mut invitations_report = Vec::new();
        for i in &facts.invitations {
            tx.update_invitation(&Invitation { status: InvitationStatus::Revoked, updated_at: now, ..i.clone() })
                .await?;
            tx.append_audit(
                &AuditEvent::new(actor, "invitation.revoked", i.sid.as_str(), now)
                    .in_account(&i.account_sid, Some(org))
                    .with_details(json!({ "email": i.email, "reason": "offboarding" })),
            )
            .await?;
            invitations_report.push(json!({ "sid": i.sid, "email": i.email, "account": i.account_sid }));
        }
        for i in &facts.org_invitations {
            tx.update_org_invitation(&OrgInvitation {
                status: InvitationStatus::Revoked,
                updated_at: now,
                ..i.clone()
            })
            .await?;
            tx.append_audit(
                &AuditEvent::new(actor, "org_invitation.revoked", i.sid.as_str(), now)
                    .in_organization(org)
                    .with_details(json!({ "email": i.email, "reason": "offboarding" })),
            )
            .await?;
            invitations_report.push(json!({ "sid": i.sid, "email": i.email, "organization": org }));
        }
        tx.set_user_organization(user, None, now).await?;

        // 5. Deleting: no roles anywhere, no factors, and the personal data goes.
        if kind == OffboardingKind::Deleted {
            erase_person(&mut *tx, &facts.user, now).await?;
        }

        let details = json!({
            "user": if kind == OffboardingKind::Deleted { json!({ "sid": user }) } else { json!({ "sid": user, "email": facts.user.email, "name": facts.user.name }) },
            "organization_role": facts.org_role.map(|r| r.name()),
            "accounts": accounts_report,
            "keys": keys_report,
            "memberships_ended": memberships_report,
            "sessions_ended": sessions,
            "groups_left": groups_left,
            "invitations_revoked": invitations_report,
        });
        let report = OffboardingReport {
            sid: OffboardingSid::generate(),
            organization_sid: org.clone(),
            user_sid: user.clone(),
            kind,
            actor: actor.audit_name(),
            created_at: now,
            details,
        };
        tx.insert_offboarding_report(&report).await?;
        let action = match kind {
            OffboardingKind::Removed => "user.removed_from_organization",
            OffboardingKind::Deleted => "user.deleted",
        };
        tx.append_audit(
            &AuditEvent::new(actor, action, user.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "report": report.sid, "accounts": report.details["accounts"].as_array().map_or(0, Vec::len), "keys_revoked": facts.keys.len() - plan.keep_keys.len(), "sessions_ended": sessions })),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// The organization's offboarding reports, newest first.
    pub async fn offboarding_reports(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<OffboardingReport>> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        tx.offboarding_reports(org, page).await
    }

    /// One offboarding report.
    pub async fn offboarding_report(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        sid: &OffboardingSid,
    ) -> Result<OffboardingReport> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        tx.offboarding_report(org, sid).await?.ok_or(Error::NotFound)
    }
}

/// Collects what the user holds in the organization, inside the caller's transaction.
/// Erases a person inside the caller's transaction: no roles anywhere, no second factors, the
/// personal data replaced, and the audit log's mentions of their address and name pseudonymized.
/// For the Admin Center's delete and for deleting one's own login.
pub(crate) async fn erase_person(tx: &mut dyn Tx, person: &User, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    let user = &person.sid;
    for (account, _) in tx.user_memberships(user).await? {
        tx.delete_user_assignments(&ScopeRef::Account(account.sid.clone()), user).await?;
    }
    tx.delete_second_factors(user).await?;
    tx.erase_user(user, &erased_email(user)?, ERASED_NAME, now).await?;
    // Details hold the address and name as JSON strings; replace them as escaped there.
    let in_json = |text: &str| serde_json::to_string(text).map(|q| q[1..q.len() - 1].to_owned());
    let email = in_json(person.email.as_str()).map_err(Error::internal)?;
    let name = in_json(&person.name).map_err(Error::internal)?;
    tx.pseudonymize_audit(user, &email, &name, user.as_str()).await.map(|_| ())
}

async fn gather(tx: &mut dyn Tx, org: &OrganizationSid, user_sid: &UserSid) -> Result<OffboardingPreview> {
    let user = managed_user(tx, org, user_sid).await?;
    let org_role = org_role_of(tx, org, user_sid).await?;
    let mut memberships: Vec<(Account, Vec<AccountRole>)> = Vec::new();
    let mut owned = Vec::new();
    let mut owned_elsewhere = Vec::new();
    for (account, role) in tx.user_memberships(user_sid).await? {
        let managed = account.organization_sid.as_ref() == Some(org);
        if role == AccountRole::Owner {
            if managed { owned.push(account.clone()) } else { owned_elsewhere.push(account.clone()) }
        }
        if managed {
            match memberships.last_mut() {
                Some((a, roles)) if a.sid == account.sid => roles.push(role),
                _ => memberships.push((account, vec![role])),
            }
        }
    }
    // A subaccount whose parent the user also owns follows the parent's decision.
    let owned_sids: BTreeSet<_> = owned.iter().map(|a| a.sid.clone()).collect();
    let (following, owned_accounts): (Vec<_>, Vec<_>) =
        owned.into_iter().partition(|a| a.parent_sid.as_ref().is_some_and(|p| owned_sids.contains(p)));
    let keys = keys_created_in_organization(tx, user_sid, org).await?;
    let mut invitations = Vec::new();
    for i in tx.invitations_sent_by(user_sid).await? {
        if tx.account(&i.account_sid).await?.is_some_and(|a| a.organization_sid.as_ref() == Some(org)) {
            invitations.push(i);
        }
    }
    let org_invitations =
        tx.org_invitations_sent_by(user_sid).await?.into_iter().filter(|i| &i.organization_sid == org).collect();
    let sessions = tx.user_sessions(user_sid).await?;
    let heirs = tx
        .organization_users(org, &PageRequest::first(HEIR_CHOICES), Some(true))
        .await?
        .items
        .into_iter()
        .map(|u| u.user)
        .filter(|u| &u.sid != user_sid && u.status == UserStatus::Active)
        .collect();
    Ok(OffboardingPreview {
        user,
        org_role,
        owned_accounts,
        following,
        memberships,
        keys,
        sessions,
        invitations,
        org_invitations,
        owned_elsewhere,
        heirs,
    })
}

/// An heir is an active managed user of the organization other than the departing user.
async fn check_heir(tx: &mut dyn Tx, org: &OrganizationSid, departing: &UserSid, heir: &UserSid) -> Result<()> {
    let ok = heir != departing
        && tx
            .user(heir)
            .await?
            .is_some_and(|u| u.organization_sid.as_ref() == Some(org) && u.status == UserStatus::Active);
    if ok {
        Ok(())
    } else {
        Err(Error::invalid("accounts", format!("{heir} is not an active managed user of this organization")))
    }
}
