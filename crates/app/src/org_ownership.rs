//! Use cases for an organization's ownership: the Owner offers it to a managed Administrator, who
//! accepts or declines within the organization's invitation lifetime (both are emailed); the
//! operator can also move it at once (`gatehouse admin transfer-organization`), for an Owner who
//! is gone. The previous Owner always becomes an Administrator.

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
use gatehouse_domain::nomination::OwnerNomination;
use gatehouse_domain::organization::Organization;
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::role::OrgRole;
use gatehouse_domain::sid::{OrganizationSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{User, UserStatus};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::org_users::{authorize_org, managed_user, org_role_of, organization_owner};
use crate::ownership::NominationView;
use crate::{App, acting_user};

/// Where the offer is answered: the organization's settings.
const OFFER_PAGE: &str = "/settings#ownership";

/// Checks that `heir` may own the organization: an active managed Administrator of it. Returns
/// the heir and the current Owner.
async fn check_org_heir(tx: &mut dyn Tx, org: &OrganizationSid, heir: &UserSid) -> Result<(User, UserSid)> {
    let owner = organization_owner(tx, org).await?;
    if &owner == heir {
        return Err(Error::Precondition("This user already owns the organization.".into()));
    }
    let user = managed_user(tx, org, heir).await?;
    if user.status != UserStatus::Active {
        return Err(Error::invalid("new_owner", "the new Owner must be an active user"));
    }
    if org_role_of(tx, org, heir).await? != Some(OrgRole::Administrator) {
        return Err(Error::invalid(
            "new_owner",
            "the new Owner must be an Administrator of the organization (make them one first)",
        ));
    }
    Ok((user, owner))
}

impl App {
    /// Moves the organization's ownership inside the caller's transaction and audits it.
    async fn move_org_ownership(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        org: &OrganizationSid,
        old_owner: &UserSid,
        new_owner: &UserSid,
    ) -> Result<()> {
        let now = self.now();
        let scope = ScopeRef::Organization(org.clone());
        tx.delete_user_builtin_assignments(&scope, old_owner).await?;
        tx.delete_user_builtin_assignments(&scope, new_owner).await?;
        tx.insert_assignment(&RoleAssignment::new(OrgRole::Owner.sid(), new_owner.clone(), scope.clone(), now)).await?;
        tx.insert_assignment(&RoleAssignment::new(OrgRole::Administrator.sid(), old_owner.clone(), scope.clone(), now))
            .await?;
        tx.delete_owner_nomination(&scope).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "organization.owner_transferred", org.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "from": old_owner, "to": new_owner })),
        )
        .await
    }

    /// Makes a managed Administrator the organization's Owner at once; the previous Owner becomes
    /// an Administrator. For `system` (the operator's CLI), when the Owner cannot make the offer.
    pub async fn transfer_organization(&self, actor: &Actor, org: &OrganizationSid, new_owner: &UserSid) -> Result<()> {
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgOwnerTransfer).await?;
        let (_, old_owner) = check_org_heir(&mut *tx, org, new_owner).await?;
        self.move_org_ownership(&mut *tx, actor, org, &old_owner, new_owner).await?;
        tx.commit().await
    }

    /// The Owner offers the organization to a managed Administrator, who must accept within the
    /// organization's invitation lifetime. A new offer replaces an earlier one; the nominee is
    /// emailed.
    pub async fn nominate_org_owner(&self, actor: &Actor, org_sid: &OrganizationSid, nominee: &UserSid) -> Result<()> {
        let me = acting_user(actor)?.clone();
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org_sid, Permission::OrgOwnerTransfer).await?;
        let org = tx.organization(org_sid).await?.ok_or(Error::NotFound)?;
        let (heir, owner_sid) = check_org_heir(&mut *tx, org_sid, nominee).await?;
        if owner_sid != me {
            return Err(Error::Forbidden);
        }
        let owner = tx.user(&me).await?.ok_or(Error::Unauthenticated)?;
        let scope = ScopeRef::Organization(org_sid.clone());
        let lifetime = i64::from(org.invitation_lifetime_days);
        let nomination = OwnerNomination::new(scope, nominee.clone(), me, now, lifetime);
        tx.put_owner_nomination(&nomination).await?;
        let text = format!(
            "{} ({}) wants to make you the Owner of the organization \"{}\". As Owner you can do everything an \
             Administrator can, and transfer the organization; {} would become an Administrator.\n\n\
             To accept or decline by {}, open:",
            owner.name,
            owner.email,
            org.name,
            owner.name,
            nomination.expires_at.format("%Y-%m-%d %H:%M UTC")
        );
        let subject = format!("Become the Owner of the organization {}?", org.name);
        let mail = self.organization_email("ownership", &mut *tx, &org, &heir, OFFER_PAGE, (subject, text)).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "organization.owner_nominated", org_sid.as_str(), now)
                .in_organization(org_sid)
                .with_details(json!({ "nominee": nominee, "expires_at": nomination.expires_at })),
        )
        .await?;
        tx.commit().await?;
        self.emails_queued(&[mail]);
        Ok(())
    }

    /// The Owner withdraws their offer.
    pub async fn cancel_org_owner_nomination(&self, actor: &Actor, org: &OrganizationSid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgOwnerTransfer).await?;
        let scope = ScopeRef::Organization(org.clone());
        let nomination = tx.owner_nomination(&scope).await?.ok_or(Error::NotFound)?;
        tx.delete_owner_nomination(&scope).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "organization.owner_nomination_cancelled", org.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "nominee": nomination.nominee })),
        )
        .await?;
        tx.commit().await
    }

    /// Loads the organization's pending offer for its nominee.
    async fn org_offer_for_nominee(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        org_sid: &OrganizationSid,
    ) -> Result<(Organization, OwnerNomination, User)> {
        let me = acting_user(actor)?;
        let org = tx.organization(org_sid).await?.ok_or(Error::NotFound)?;
        let scope = ScopeRef::Organization(org_sid.clone());
        let nomination = tx.owner_nomination(&scope).await?.filter(|n| &n.nominee == me).ok_or(Error::NotFound)?;
        let user = tx.user(me).await?.ok_or(Error::Unauthenticated)?;
        Ok((org, nomination, user))
    }

    /// The nominee accepts: they become the Owner, the previous Owner an Administrator; both are
    /// emailed. Refused once the offer expired or if the nominee is no longer an Administrator.
    pub async fn accept_org_ownership(&self, actor: &Actor, org_sid: &OrganizationSid) -> Result<()> {
        let mut tx = self.store.write().await?;
        let (org, nomination, me) = self.org_offer_for_nominee(&mut *tx, actor, org_sid).await?;
        nomination.ensure_open(self.now())?;
        let (_, old_owner) = check_org_heir(&mut *tx, org_sid, &me.sid).await?;
        self.move_org_ownership(&mut *tx, actor, org_sid, &old_owner, &me.sid).await?;
        let previous = tx.user(&old_owner).await?.ok_or(Error::NotFound)?;
        let mails = vec![
            self.organization_email(
                "ownership",
                &mut *tx,
                &org,
                &previous,
                "/users",
                (
                    format!("{} now owns the organization {}", me.name, org.name),
                    format!(
                        "{} ({}) accepted ownership of the organization \"{}\". You are now an Administrator of it.",
                        me.name, me.email, org.name
                    ),
                ),
            )
            .await?,
            self.organization_email(
                "ownership",
                &mut *tx,
                &org,
                &me,
                "/users",
                (
                    format!("You now own the organization {}", org.name),
                    format!("You are now the Owner of \"{}\"; {} is an Administrator.", org.name, previous.name),
                ),
            )
            .await?,
        ];
        tx.commit().await?;
        self.emails_queued(&mails);
        Ok(())
    }

    /// The nominee declines; the Owner is emailed.
    pub async fn decline_org_ownership(&self, actor: &Actor, org_sid: &OrganizationSid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let (org, nomination, me) = self.org_offer_for_nominee(&mut *tx, actor, org_sid).await?;
        tx.delete_owner_nomination(&nomination.scope).await?;
        let owner = tx.user(&nomination.nominated_by).await?.ok_or(Error::NotFound)?;
        let mail = self
            .organization_email(
                "ownership",
                &mut *tx,
                &org,
                &owner,
                OFFER_PAGE,
                (
                    format!("{} declined to own the organization {}", me.name, org.name),
                    format!(
                        "{} ({}) declined your offer to own the organization \"{}\". You remain its Owner.",
                        me.name, me.email, org.name
                    ),
                ),
            )
            .await?;
        tx.append_audit(
            &AuditEvent::new(actor, "organization.owner_nomination_declined", org_sid.as_str(), now)
                .in_organization(org_sid),
        )
        .await?;
        tx.commit().await?;
        self.emails_queued(&[mail]);
        Ok(())
    }

    /// The organization's pending ownership offer, for the people who may see its users.
    pub async fn org_owner_nomination(&self, actor: &Actor, org: &OrganizationSid) -> Result<Option<NominationView>> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        let Some(nomination) = tx.owner_nomination(&ScopeRef::Organization(org.clone())).await? else {
            return Ok(None);
        };
        let nominee = tx.user(&nomination.nominee).await?.ok_or(Error::NotFound)?;
        let nominated_by = tx.user(&nomination.nominated_by).await?.ok_or(Error::NotFound)?;
        Ok(Some(NominationView { nomination, nominee, nominated_by }))
    }
}
