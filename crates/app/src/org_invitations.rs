//! Use cases for inviting people into an organization as managed users (SPEC §3, Admin Center):
//! only addresses in a domain the organization verified. A new person becomes a managed user on
//! acceptance; someone with an independent login accepts signed in — that acceptance is their
//! consent to being managed. Someone managed by another organization cannot join.

use chrono::Duration;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::invitation::{InvitationStatus, OrgInvitation, parse_invited_org_role};
use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
use gatehouse_domain::organization::Organization;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, ActorKind, Target, authorize};
use gatehouse_domain::role::{BuiltinRole, OrgRole};
use gatehouse_domain::security::OutboxEmail;
use gatehouse_domain::sid::{InvitationSid, OrganizationSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{Email, User, parse_display_name};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::domains::{domain_no_longer_verified, in_verified_domain};
use crate::password::check_policy;
use crate::secret::{new_token, token_hash};
use crate::{App, NewInvitee, SignedIn, acting_user, principal};

/// What the person opening an organization invitation sees.
#[derive(Debug, Clone)]
pub struct OrgInvitationView {
    pub invitation: OrgInvitation,
    pub organization_name: String,
    pub inviter_name: Option<String>,
    /// Whether a login with the invited address exists (then they sign in to accept).
    pub login_exists: bool,
}

async fn managing(tx: &mut dyn Tx, actor: &Actor, org: &OrganizationSid) -> Result<Organization> {
    let p = principal(tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
    authorize(&p, Permission::OrgUsersManage, Target::Organization(org))?;
    tx.organization(org).await?.ok_or(Error::NotFound)
}

const LINK_GONE: &str = "This invitation link is not valid: it was replaced by a newer one or never existed.";

impl App {
    async fn queue_org_invitation_email(
        &self,
        tx: &mut dyn Tx,
        invitation: &OrgInvitation,
        org: &Organization,
        token: &str,
    ) -> Result<OutboxEmail> {
        let link = format!("{}/org-invitations/accept?token={token}", self.public_url);
        let body = format!(
            "Hello,\n\nYou are invited to join the organization \"{}\" on Gatehouse as {}.\n\n\
             To accept, open:\n\n{link}\n\nAs a member, your login becomes a managed user of {}: its administrators \
             can manage it (for example require two-factor authentication). The link works until {}.\n",
            org.name,
            invitation.role.name(),
            org.name,
            invitation.expires_at.format("%Y-%m-%d %H:%M UTC"),
        );
        let mut email = OutboxEmail::new(
            invitation.email.clone(),
            format!("Join {} on Gatehouse", org.name),
            body,
            "org_invitation",
            self.now(),
        );
        email.organization_sid = Some(org.sid.clone());
        self.enqueue(tx, &email).await?;
        Ok(email)
    }

    /// Invites an address in a verified domain to the organization with a role (Owner or
    /// Administrator of the organization). Inviting again renews the pending invitation.
    pub async fn invite_to_organization(
        &self,
        actor: &Actor,
        org_sid: &OrganizationSid,
        email: &str,
        role: &str,
    ) -> Result<OrgInvitation> {
        let email = Email::parse(email)?;
        let role = parse_invited_org_role(role)?;
        let now = self.now();
        let token = new_token()?;
        let mut tx = self.store.write().await?;
        let org = managing(&mut *tx, actor, org_sid).await?;
        if !in_verified_domain(&mut *tx, org_sid, &email).await? {
            let domain = email.domain();
            return Err(Error::Precondition(format!(
                "{domain} is not a verified domain of this organization. Verify it under Domains first, \
                 or invite this person to specific accounts instead."
            )));
        }
        if let Some(user) = tx.user_by_email(&email).await? {
            match &user.organization_sid {
                Some(o) if o == org_sid => {
                    return Err(Error::Conflict(format!("{email} is already a managed user of this organization.")));
                }
                Some(_) => return Err(Error::Conflict(format!("{email} is managed by another organization."))),
                None => {}
            }
        }
        let expires_at = now + Duration::days(i64::from(org.invitation_lifetime_days));
        let (invitation, action) = match tx.pending_org_invitation(org_sid, &email).await? {
            Some(existing) => {
                let renewed =
                    OrgInvitation { role, token_hash: token_hash(&token), expires_at, updated_at: now, ..existing };
                tx.update_org_invitation(&renewed).await?;
                (renewed, "org_invitation.renewed")
            }
            None => {
                let new = OrgInvitation {
                    sid: InvitationSid::generate(),
                    organization_sid: org_sid.clone(),
                    email,
                    role,
                    invited_by: actor.user_sid().cloned(),
                    token_hash: token_hash(&token),
                    status: InvitationStatus::Pending,
                    created_at: now,
                    expires_at,
                    updated_at: now,
                };
                tx.insert_org_invitation(&new).await?;
                (new, "org_invitation.created")
            }
        };
        let mail = self.queue_org_invitation_email(&mut *tx, &invitation, &org, &token).await?;
        tx.append_audit(
            &AuditEvent::new(actor, action, invitation.sid.as_str(), now)
                .in_organization(org_sid)
                .with_details(json!({ "email": invitation.email, "role": invitation.role.name() })),
        )
        .await?;
        tx.commit().await?;
        self.emails_queued(&[mail]);
        Ok(invitation)
    }

    /// Sends a pending invitation again with a new link; the old one stops working.
    pub async fn resend_org_invitation(
        &self,
        actor: &Actor,
        org_sid: &OrganizationSid,
        sid: &InvitationSid,
    ) -> Result<()> {
        let now = self.now();
        let token = new_token()?;
        let mut tx = self.store.write().await?;
        let org = managing(&mut *tx, actor, org_sid).await?;
        let invitation = tx.org_invitation(org_sid, sid).await?.ok_or(Error::NotFound)?;
        if invitation.status != InvitationStatus::Pending {
            return Err(Error::Precondition(format!("This invitation is {}.", invitation.status.as_str())));
        }
        let expires_at = now + Duration::days(i64::from(org.invitation_lifetime_days));
        let renewed = OrgInvitation { token_hash: token_hash(&token), expires_at, updated_at: now, ..invitation };
        tx.update_org_invitation(&renewed).await?;
        let mail = self.queue_org_invitation_email(&mut *tx, &renewed, &org, &token).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "org_invitation.resent", sid.as_str(), now)
                .in_organization(org_sid)
                .with_details(json!({ "email": renewed.email })),
        )
        .await?;
        tx.commit().await?;
        self.emails_queued(&[mail]);
        Ok(())
    }

    /// Withdraws a pending invitation.
    pub async fn revoke_org_invitation(
        &self,
        actor: &Actor,
        org_sid: &OrganizationSid,
        sid: &InvitationSid,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        managing(&mut *tx, actor, org_sid).await?;
        let invitation = tx.org_invitation(org_sid, sid).await?.ok_or(Error::NotFound)?;
        if invitation.status != InvitationStatus::Pending {
            return Err(Error::Precondition(format!("This invitation is {}.", invitation.status.as_str())));
        }
        let email = invitation.email.clone();
        tx.update_org_invitation(&OrgInvitation { status: InvitationStatus::Revoked, updated_at: now, ..invitation })
            .await?;
        tx.append_audit(
            &AuditEvent::new(actor, "org_invitation.revoked", sid.as_str(), now)
                .in_organization(org_sid)
                .with_details(json!({ "email": email })),
        )
        .await?;
        tx.commit().await
    }

    /// The organization's pending invitations (the Admin Center's Pending tab).
    pub async fn pending_org_invitations(
        &self,
        actor: &Actor,
        org_sid: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<OrgInvitation>> {
        let mut tx = self.store.read().await?;
        let p = principal(&mut *tx, actor, &[ScopeRef::Organization(org_sid.clone())]).await?;
        authorize(&p, Permission::OrgUsersRead, Target::Organization(org_sid))?;
        tx.pending_org_invitations(org_sid, page).await
    }

    /// The invitation behind a link, for its page.
    pub async fn org_invitation_by_token(&self, token: &str) -> Result<OrgInvitationView> {
        let mut tx = self.store.read().await?;
        let invitation = tx
            .org_invitation_by_token(&token_hash(token))
            .await?
            .ok_or_else(|| Error::Precondition(LINK_GONE.into()))?;
        let org = tx.organization(&invitation.organization_sid).await?.ok_or(Error::NotFound)?;
        let inviter_name = match &invitation.invited_by {
            Some(s) => tx.user(s).await?.map(|u| u.name),
            None => None,
        };
        let login_exists = tx.user_by_email(&invitation.email).await?.is_some();
        Ok(OrgInvitationView { invitation, organization_name: org.name, inviter_name, login_exists })
    }

    /// Refuses an acceptance whose address is no longer in a verified domain of the organization,
    /// and records the refusal (in its own transaction, after `tx` is dropped) so the
    /// organization's administrators see why the person could not join.
    async fn check_gate_at_acceptance(
        &self,
        tx: Box<dyn Tx>,
        actor: &Actor,
        invitation: &OrgInvitation,
    ) -> Result<Box<dyn Tx>> {
        let mut tx = tx;
        let org_sid = &invitation.organization_sid;
        if in_verified_domain(&mut *tx, org_sid, &invitation.email).await? {
            return Ok(tx);
        }
        let org = tx.organization(org_sid).await?.ok_or(Error::NotFound)?;
        drop(tx);
        let event = AuditEvent::new(actor, "org_invitation.acceptance_refused", invitation.sid.as_str(), self.now())
            .in_organization(org_sid);
        self.audit_refused_acceptance(event, &invitation.email).await?;
        Err(domain_no_longer_verified(&invitation.email, &org.name, "this invitation"))
    }

    /// Makes `user` a managed user with the invited role and marks the invitation accepted.
    async fn join_organization(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        user: &User,
        invitation: OrgInvitation,
    ) -> Result<()> {
        let now = self.now();
        let org = invitation.organization_sid.clone();
        match &user.organization_sid {
            Some(o) if o != &org => {
                return Err(Error::Precondition("Your login is managed by another organization.".into()));
            }
            Some(_) => {}
            None => tx.set_user_organization(&user.sid, Some(&org), now).await?,
        }
        let scope = ScopeRef::Organization(org.clone());
        let current = tx.user_assignments(&user.sid, std::slice::from_ref(&scope)).await?;
        if current.iter().any(|a| BuiltinRole::from_sid(&a.role_sid) == Some(BuiltinRole::Org(OrgRole::Owner))) {
            return Err(Error::Precondition("You own this organization already.".into()));
        }
        tx.delete_user_builtin_assignments(&scope, &user.sid).await?;
        tx.insert_assignment(&RoleAssignment::new(invitation.role.sid(), user.sid.clone(), scope, now)).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "org_invitation.accepted", invitation.sid.as_str(), now)
                .in_organization(&org)
                .with_details(json!({ "email": invitation.email, "role": invitation.role.name(), "user": user.sid })),
        )
        .await?;
        tx.update_org_invitation(&OrgInvitation { status: InvitationStatus::Accepted, updated_at: now, ..invitation })
            .await
    }

    /// Accepts for a new person: a managed user of the organization, signed in.
    pub async fn accept_org_invitation_as_new(
        &self,
        token: &str,
        input: NewInvitee,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<(SignedIn, OrganizationSid)> {
        let view = self.org_invitation_by_token(token).await?;
        view.invitation.ensure_acceptable(self.now())?;
        if view.login_exists {
            return Err(Error::Precondition(format!(
                "A login for {} exists already: sign in to accept this invitation.",
                view.invitation.email
            )));
        }
        let name = parse_display_name(&input.name)?;
        check_policy(&input.password, &view.invitation.email, &name)?;
        let hash = self.passwords.hash(&input.password).await?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let invitation = tx
            .org_invitation_by_token(&token_hash(token))
            .await?
            .ok_or_else(|| Error::Precondition(LINK_GONE.into()))?;
        invitation.ensure_acceptable(now)?;
        let anonymous = Actor { kind: ActorKind::Anonymous, source_ip: ip.clone() };
        let mut tx = self.check_gate_at_acceptance(tx, &anonymous, &invitation).await?;
        let org = invitation.organization_sid.clone();
        let mut user = User::new(invitation.email.clone(), name, Some(org.clone()), now);
        user.email_verified_at = Some(now);
        tx.insert_user(&user, Some(&hash)).await?;
        let actor = Actor { kind: ActorKind::User(user.sid.clone()), source_ip: ip.clone() };
        tx.append_audit(
            &AuditEvent::new(&actor, "user.created", user.sid.as_str(), now)
                .in_organization(&org)
                .with_details(json!({ "email": user.email, "via": "organization invitation", "managed": true })),
        )
        .await?;
        self.join_organization(&mut *tx, &actor, &user, invitation).await?;
        tx.commit().await?;
        let signed_in = self.sign_in(user.email.as_str(), &input.password, ip, user_agent).await?;
        Ok((signed_in, org))
    }

    /// Accepts as the signed-in person the invitation names; an independent login becomes a
    /// managed user of the organization (accepting is the consent).
    pub async fn accept_org_invitation(&self, actor: &Actor, token: &str) -> Result<OrganizationSid> {
        let sid: UserSid = acting_user(actor)?.clone();
        let now = self.now();
        let mut tx = self.store.write().await?;
        let user = tx.user(&sid).await?.ok_or(Error::Unauthenticated)?;
        let invitation = tx
            .org_invitation_by_token(&token_hash(token))
            .await?
            .ok_or_else(|| Error::Precondition(LINK_GONE.into()))?;
        invitation.ensure_acceptable(now)?;
        if invitation.email != user.email {
            return Err(Error::Precondition(format!(
                "This invitation is for {}, but you are signed in as {}. Sign out and open the link again.",
                invitation.email, user.email
            )));
        }
        let mut tx = self.check_gate_at_acceptance(tx, actor, &invitation).await?;
        let org = invitation.organization_sid.clone();
        self.join_organization(&mut *tx, actor, &user, invitation).await?;
        tx.commit().await?;
        Ok(org)
    }
}
