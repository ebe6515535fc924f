//! Use cases for security settings: an account's settings, an organization's 2FA requirement,
//! and the per-user 2FA flag an organization admin sets on a managed user.

use gatehouse_domain::account::AccountSettings;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::membership::ScopeRef;
use gatehouse_domain::organization::{Organization, parse_invitation_lifetime, parse_organization_name};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, Target, authorize};
use gatehouse_domain::sid::{AccountSid, OrganizationSid, UserSid};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::{App, account_principal, principal};

/// An organization's on/off settings besides the 2FA requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgSwitch {
    /// Keep the API keys of users the identity provider deactivates or deletes (SCIM), instead
    /// of revoking them (the default).
    DeprovisionKeepsKeys,
    /// Domain auto-join: new logins in a verified domain become managed Standard Users.
    AutoJoin,
}

impl App {
    /// Replaces an account's settings (Owner or Administrator). Audited with before and after.
    pub async fn update_account_settings(
        &self,
        actor: &Actor,
        sid: &AccountSid,
        settings: AccountSettings,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = tx.lock_account(sid).await?.ok_or(Error::NotFound)?;
        let p = account_principal(&mut *tx, actor, &account).await?;
        authorize(&p, Permission::AccountSettingsWrite, Target::Account(&account))?;
        account.ensure_active()?;
        if account.settings == settings {
            return Ok(());
        }
        tx.update_account_settings(sid, &settings, now).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "account.settings_changed", sid.as_str(), now)
                .in_account(sid, account.organization_sid.as_ref())
                .with_details(json!({ "from": account.settings, "to": settings })),
        )
        .await?;
        tx.commit().await
    }

    /// Renames an organization and sets how long invitations to its accounts work.
    pub async fn update_organization(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        name: &str,
        invitation_lifetime_days: &str,
    ) -> Result<Organization> {
        let name = parse_organization_name(name).map_err(|e| match e {
            Error::Invalid { reason, .. } => Error::Invalid { field: "name", reason },
            other => other,
        })?;
        let days = parse_invitation_lifetime(invitation_lifetime_days)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let p = principal(&mut *tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
        authorize(&p, Permission::OrgSettingsWrite, Target::Organization(org))?;
        let before = tx.organization(org).await?.ok_or(Error::NotFound)?;
        if before.name == name && before.invitation_lifetime_days == days {
            return Ok(before);
        }
        let after = Organization { name, invitation_lifetime_days: days, updated_at: now, ..before.clone() };
        tx.update_organization(&after).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "organization.settings_changed", org.as_str(), now)
                .in_organization(org)
                .with_details(json!({
                    "name": { "from": before.name, "to": after.name },
                    "invitation_lifetime_days": { "from": before.invitation_lifetime_days, "to": days },
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Requires (or stops requiring) a second factor of every managed user of an organization.
    pub async fn set_organization_require_two_factor(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        on: bool,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let p = principal(&mut *tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
        authorize(&p, Permission::OrgSettingsWrite, Target::Organization(org))?;
        tx.organization(org).await?.ok_or(Error::NotFound)?;
        tx.set_organization_require_two_factor(org, on, now).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "organization.two_factor_requirement_changed", org.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "required": on })),
        )
        .await?;
        tx.commit().await
    }

    /// Turns one of the organization's switches on or off ([`OrgSwitch`]), audited.
    pub async fn set_organization_switch(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        switch: OrgSwitch,
        on: bool,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let p = principal(&mut *tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
        authorize(&p, Permission::OrgSettingsWrite, Target::Organization(org))?;
        let before = tx.organization(org).await?.ok_or(Error::NotFound)?;
        let mut after = Organization { updated_at: now, ..before.clone() };
        let (field, action, key) = match switch {
            OrgSwitch::DeprovisionKeepsKeys => {
                (&mut after.deprovision_keeps_keys, "organization.deprovisioning_changed", "keeps_keys")
            }
            OrgSwitch::AutoJoin => (&mut after.auto_join, "organization.auto_join_changed", "auto_join"),
        };
        if *field == on {
            return Ok(());
        }
        *field = on;
        tx.update_organization(&after).await?;
        tx.append_audit(
            &AuditEvent::new(actor, action, org.as_str(), now).in_organization(org).with_details(json!({ key: on })),
        )
        .await?;
        tx.commit().await
    }

    /// Requires (or stops requiring) a second factor of one managed user of the organization.
    pub async fn set_user_require_two_factor(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        user: &UserSid,
        on: bool,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let p = principal(&mut *tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
        authorize(&p, Permission::OrgUsersManage, Target::Organization(org))?;
        let target =
            tx.user(user).await?.filter(|u| u.organization_sid.as_ref() == Some(org)).ok_or(Error::NotFound)?;
        tx.set_user_require_two_factor(&target.sid, on, now).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "user.two_factor_requirement_changed", user.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "required": on })),
        )
        .await?;
        tx.commit().await
    }
}
