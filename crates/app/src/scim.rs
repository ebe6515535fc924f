//! SCIM provisioning use cases: an organization's bearer tokens (self-serve, no plan gate),
//! authenticating an identity provider, and provisioning managed users — create, replace
//! (`active=false` deactivates, ends sessions and revokes the user's API keys unless the
//! organization keeps them; never the Owner), delete (through offboarding). The SCIM wire
//! format, filters and PATCH are the surface's; the rules are here.

use std::collections::{BTreeMap, BTreeSet};

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::offboarding::{OffboardingKind, OffboardingPlan, OwnedAccountChoice};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::scim::{ScimProfile, ScimToken, ScimUser, ScimUserInput, parse_token_name};
use gatehouse_domain::scim_filter::users::UserQuery;
use gatehouse_domain::sid::{OrganizationSid, ScimTokenSid, UserSid};
use gatehouse_domain::store::Tx;

use crate::credential_cache::{Cached, Use};
use gatehouse_domain::user::{Email, User, UserStatus, parse_display_name};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::App;
use crate::org_users::{authorize_org, managed_user, set_managed_user_active};
use crate::secret::{new_token, token_hash};

/// A SCIM creation, checked for form, waiting for its batch.
pub(crate) struct Provision {
    actor: Actor,
    org: OrganizationSid,
    user: User,
    profile: ScimProfile,
}

/// A new token and its secret, shown once.
#[derive(Debug, Clone)]
pub struct NewScimToken {
    pub token: ScimToken,
    pub secret: String,
}

impl App {
    /// Creates a SCIM token for the organization (its Owner and Administrators).
    pub async fn create_scim_token(&self, actor: &Actor, org: &OrganizationSid, name: &str) -> Result<NewScimToken> {
        let name = parse_token_name(name)?;
        let now = self.now();
        let secret = format!("scim_{}", new_token()?);
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgSettingsWrite).await?;
        tx.organization(org).await?.ok_or(Error::NotFound)?;
        let token = ScimToken {
            sid: ScimTokenSid::generate(),
            organization_sid: org.clone(),
            name,
            token_hash: token_hash(&secret),
            created_by: actor.user_sid().cloned(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        tx.insert_scim_token(&token).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "scim_token.created", token.sid.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "name": token.name })),
        )
        .await?;
        tx.commit().await?;
        Ok(NewScimToken { token, secret })
    }

    /// The organization's SCIM tokens that still work.
    pub async fn scim_tokens(&self, actor: &Actor, org: &OrganizationSid) -> Result<Vec<ScimToken>> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgSettingsWrite).await?;
        tx.scim_tokens(org).await
    }

    /// Revokes a SCIM token: the identity provider's next request is refused.
    pub async fn revoke_scim_token(&self, actor: &Actor, org: &OrganizationSid, sid: &ScimTokenSid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgSettingsWrite).await?;
        if tx.revoke_scim_token(org, sid, now).await? == 0 {
            return Err(Error::NotFound);
        }
        tx.append_audit(&AuditEvent::new(actor, "scim_token.revoked", sid.as_str(), now).in_organization(org)).await?;
        tx.commit().await
    }

    /// Authenticates `Authorization: Bearer <secret>`: the organization's identity provider.
    pub async fn authenticate_scim(&self, secret: &str, source_ip: Option<String>) -> Result<Actor> {
        let hash = token_hash(secret);
        let cache_key = format!("scim:{hash}");
        let epoch = self.store.credential_epoch();
        let token = match self.credentials.get(&cache_key, epoch) {
            Some(Cached::ScimToken(token)) => *token,
            _ => {
                let mut tx = self.store.read().await?;
                let token = tx.scim_token_by_hash(&hash).await?.ok_or(Error::Unauthenticated)?;
                drop(tx);
                self.credentials.put(cache_key.clone(), epoch, Cached::ScimToken(Box::new(token.clone())));
                token
            }
        };
        // Found by the hash of a 256-bit secret: equality in the index is the comparison.
        if token.revoked_at.is_some() {
            return Err(Error::Unauthenticated);
        }
        self.credentials.note_use(Some(&cache_key), Use::ScimToken(token.sid.clone()), token.last_used_at, self.now());
        Ok(Actor { kind: ActorKind::ScimToken { token: token.sid, organization: token.organization_sid }, source_ip })
    }

    /// One page of the organization's managed users that `query` selects, with their SCIM
    /// profiles, and how many it selects in all (one indexed query and a count).
    pub async fn scim_users(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        query: &UserQuery,
    ) -> Result<(Vec<ScimUser>, u64)> {
        // Identity providers send a lookup before every change: the page and its count need
        // not be one snapshot, so no transaction is held around them.
        let mut tx = self.store.read_autocommit().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        tx.scim_user_page(org, query).await
    }

    /// One managed user of the organization.
    pub async fn scim_user(&self, actor: &Actor, org: &OrganizationSid, sid: &UserSid) -> Result<ScimUser> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        load(&mut *tx, org, sid).await
    }

    /// Provisions a managed user. The address must be in one of the organization's verified
    /// domains and belong to nobody yet; the identity provider vouches for it, so it counts
    /// as confirmed. The user has no password until they reset it (or sign in by SSO).
    ///
    /// Identity providers create users in bursts, one request each: the creations queued while
    /// one transaction runs are made together in the next (see [`crate::batch`]), each checked
    /// and audited as if alone.
    pub async fn scim_create_user(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        input: ScimUserInput,
    ) -> Result<ScimUser> {
        let email = Email::parse(&input.user_name)
            .map_err(|_| Error::invalid("userName", "userName must be an email address"))?;
        let name = parse_display_name(&input.name()).map_err(|e| match e {
            Error::Invalid { reason, .. } => Error::invalid("displayName", reason),
            other => other,
        })?;
        let profile = input.profile()?;
        let now = self.now();
        let status = if input.active { UserStatus::Active } else { UserStatus::Deactivated };
        let user = User { email_verified_at: Some(now), status, ..User::new(email, name, Some(org.clone()), now) };
        let item = Provision { actor: actor.clone(), org: org.clone(), user, profile };
        let app = self.clone();
        self.provisioning.submit(item, move |items| async move { app.provision(items).await }).await
    }

    /// Makes a batch of SCIM creations in one transaction. When that transaction fails as a
    /// whole (an `externalId` taken by another item of the batch, or anything unforeseen), each
    /// item is made again alone, so that each gets its own answer.
    async fn provision(&self, items: Vec<Provision>) -> Vec<Result<ScimUser>> {
        let together = self.provision_together(&items).await;
        match together {
            Ok(done) => done,
            // Alone, the transaction's failure is the item's own answer.
            Err(e) if items.len() == 1 => vec![Err(e)],
            Err(_) => {
                let mut out = Vec::with_capacity(items.len());
                for item in &items {
                    out.push(self.provision_together(std::slice::from_ref(item)).await.and_then(|mut one| {
                        one.pop().unwrap_or_else(|| Err(Error::Internal("a provisioning answered nothing".into())))
                    }));
                }
                out
            }
        }
    }

    /// Checks each item (its actor's permission, a verified domain of its organization, an
    /// address nobody holds, not twice in the batch) and creates those that pass, with their
    /// profiles and audit events, in one transaction of a few statements whatever the batch's
    /// size. An item that fails a check gets its error; the transaction fails only as a whole.
    async fn provision_together(&self, items: &[Provision]) -> Result<Vec<Result<ScimUser>>> {
        let mut tx = self.store.write().await?;
        let emails: Vec<Email> = items.iter().map(|i| i.user.email.clone()).collect();
        let holders: BTreeMap<String, User> =
            tx.users_by_emails(&emails).await?.into_iter().map(|u| (u.email.as_str().to_owned(), u)).collect();
        let mut domains: BTreeMap<String, Option<OrganizationSid>> = BTreeMap::new();
        let mut taken: BTreeSet<&str> = BTreeSet::new();
        let mut checked = Vec::with_capacity(items.len());
        for item in items {
            let domain = item.user.email.domain();
            if !domains.contains_key(domain) {
                let owner = tx.verified_domain(domain).await?.map(|d| d.organization_sid);
                domains.insert(domain.to_owned(), owner);
            }
            let check = async {
                authorize_org(&mut *tx, &item.actor, &item.org, Permission::OrgUsersManage).await?;
                if domains.get(domain).and_then(Option::as_ref) != Some(&item.org) {
                    return Err(Error::invalid(
                        "userName",
                        format!("{domain} is not a verified domain of this organization"),
                    ));
                }
                let email = item.user.email.as_str();
                if let Some(existing) = holders.get(email)
                    && existing.organization_sid.as_ref() != Some(&item.org)
                {
                    return Err(Error::Conflict(format!(
                        "{email} already has a login; invite it to the organization so that its owner consents"
                    )));
                }
                if holders.contains_key(email) || taken.contains(email) {
                    return Err(Error::Conflict("userName already exists in this organization".into()));
                }
                Ok(())
            }
            .await;
            if check.is_ok() {
                taken.insert(item.user.email.as_str());
            }
            checked.push(check);
        }
        let passed: Vec<&Provision> = items.iter().zip(&checked).filter(|(_, c)| c.is_ok()).map(|(i, _)| i).collect();
        let users: Vec<User> = passed.iter().map(|i| i.user.clone()).collect();
        let profiles: Vec<_> = passed.iter().map(|i| (i.org.clone(), i.user.sid.clone(), i.profile.clone())).collect();
        let events: Vec<AuditEvent> = passed
            .iter()
            .map(|i| {
                let active = i.user.status == UserStatus::Active;
                AuditEvent::new(&i.actor, "user.provisioned", i.user.sid.as_str(), i.user.created_at)
                    .in_organization(&i.org)
                    .with_details(
                        json!({ "email": i.user.email, "external_id": i.profile.external_id, "active": active }),
                    )
            })
            .collect();
        tx.insert_users(&users).await?;
        tx.insert_scim_profiles(&profiles).await?;
        tx.append_audits(&events).await?;
        tx.commit().await?;
        // What was just written, as stored (the profile's time is the user's `updated_at`).
        Ok(items
            .iter()
            .zip(checked)
            .map(|(i, c)| c.map(|()| ScimUser { user: i.user.clone(), profile: i.profile.clone() }))
            .collect())
    }

    /// Replaces a managed user's attributes. `if_match`, when given, must be the current
    /// version (else Conflict, SCIM's 409/412). A new `userName` is the user's new address: it
    /// must be in one of the organization's verified domains and belong to nobody else; the
    /// user, their sessions and roles stay, and the identity provider vouches for the address
    /// (Twilio's path refuses the change before this, as Twilio does: 25012).
    /// `active=false` deactivates the user and ends their sessions; `true` reactivates.
    pub async fn scim_replace_user(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        sid: &UserSid,
        input: ScimUserInput,
        if_match: Option<&str>,
    ) -> Result<ScimUser> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await?;
        let before = load(&mut *tx, org, sid).await?;
        if let Some(expected) = if_match
            && expected != "*"
            && expected != before.version()
        {
            return Err(Error::Precondition(format!(
                "Version conflict: the user is at {}, not {expected}",
                before.version()
            )));
        }
        let email = Email::parse(&input.user_name)
            .map_err(|_| Error::invalid("userName", "userName must be an email address"))?;
        if email != before.user.email {
            let domain = email.domain();
            if tx.verified_domain(domain).await?.map(|d| d.organization_sid).as_ref() != Some(org) {
                return Err(Error::invalid(
                    "userName",
                    format!("{domain} is not a verified domain of this organization"),
                ));
            }
            tx.set_user_email(sid, &email, now).await?;
            tx.mark_email_verified(sid, now).await?;
            tx.append_audit(
                &AuditEvent::new(actor, "user.email_changed", sid.as_str(), now)
                    .in_organization(org)
                    .with_details(json!({ "from": before.user.email.as_str(), "to": email.as_str() })),
            )
            .await?;
        }
        let name = parse_display_name(&input.name()).map_err(|e| match e {
            Error::Invalid { reason, .. } => Error::invalid("displayName", reason),
            other => other,
        })?;
        let profile = input.profile()?;
        let mut changes = serde_json::Map::new();
        if name != before.user.name {
            tx.set_user_name(sid, &name, now).await?;
            changes.insert("name".into(), json!({ "from": before.user.name, "to": name }));
        }
        if profile != before.profile {
            tx.put_scim_profile(org, sid, &profile, now).await?;
            changes.insert("profile".into(), json!({ "from": before.profile, "to": profile }));
        }
        set_managed_user_active(&mut *tx, actor, org, &before.user, input.active, now).await?;
        if !changes.is_empty() {
            tx.append_audit(
                &AuditEvent::new(actor, "user.updated", sid.as_str(), now)
                    .in_organization(org)
                    .with_details(serde_json::Value::Object(changes)),
            )
            .await?;
        }
        let after = load(&mut *tx, org, sid).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deprovisions a user through the Admin Center's offboarding: their accounts go to the
    /// organization's Owner, the keys they created are revoked (unless the organization chose to
    /// keep them), sessions and invitations end,
    /// and they are deleted (or only removed from the organization when they own accounts
    /// outside it, which deleting would leave without an Owner).
    pub async fn scim_delete_user(&self, actor: &Actor, org: &OrganizationSid, sid: &UserSid) -> Result<()> {
        let preview = self.offboarding_preview(actor, org, sid).await?;
        let owner = {
            let mut tx = self.store.read().await?;
            crate::org_users::organization_owner(&mut *tx, org).await?
        };
        if &owner == sid {
            return Err(Error::Precondition("The organization's Owner cannot be deprovisioned.".into()));
        }
        let keeps_keys = {
            let mut tx = self.store.read().await?;
            tx.organization(org).await?.ok_or(Error::NotFound)?.deprovision_keeps_keys
        };
        let mut plan = OffboardingPlan::default();
        for account in &preview.owned_accounts {
            plan.accounts.insert(account.sid.clone(), OwnedAccountChoice::Heir(owner.clone()));
        }
        if keeps_keys {
            plan.keep_keys = preview.keys.iter().map(|k| k.sid.clone()).collect();
        }
        let kind = if preview.owned_elsewhere.is_empty() { OffboardingKind::Deleted } else { OffboardingKind::Removed };
        self.offboard(actor, org, sid, kind, &plan).await.map(|_| ())
    }
}

/// A managed user of the organization with their profile, or NotFound (deleted users too).
async fn load(tx: &mut dyn Tx, org: &OrganizationSid, sid: &UserSid) -> Result<ScimUser> {
    let user = managed_user(tx, org, sid).await?;
    if user.status == UserStatus::Deleted {
        return Err(Error::NotFound);
    }
    let profile = tx.scim_profile(sid).await?.unwrap_or_default();
    Ok(ScimUser { user, profile })
}
