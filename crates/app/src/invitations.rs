//! Use cases for invitations to an account: invite by email with roles, resend, revoke, list
//! the pending ones, and accept — as a new person (who sets a name and password) or as a
//! signed-in user whose address the invitation names.

use chrono::Duration;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::invitation::{Invitation, InvitationStatus};
use gatehouse_domain::membership::normalize_member_roles;
use gatehouse_domain::organization::invitation_lifetime_days;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, ActorKind, Target, authorize};
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::security::OutboxEmail;
use gatehouse_domain::sid::{AccountSid, InvitationSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{Email, User, parse_display_name};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::domains::{auto_join_organization, record_auto_join};
use crate::members::{locked_for, role_keys, roles_of, set_account_roles};
use crate::password::check_policy;
use crate::secret::{new_token, token_hash};
use crate::{App, SignedIn, account_principal, acting_user};

/// Input for inviting someone to an account.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub email: String,
    pub roles: Vec<AccountRole>,
}

/// What the person opening an invitation link sees.
#[derive(Debug, Clone)]
pub struct InvitationView {
    pub invitation: Invitation,
    pub account_name: String,
    pub inviter_name: Option<String>,
    /// Whether a login with the invited address exists (then they sign in to accept).
    pub login_exists: bool,
}

/// Input for accepting as a new person.
#[derive(Debug, Clone)]
pub struct NewInvitee {
    pub name: String,
    pub password: String,
}

/// How long an invitation to `account` works: its organization's setting, or the default.
async fn lifetime(tx: &mut dyn Tx, account: &gatehouse_domain::account::Account) -> Result<Duration> {
    let org = match &account.organization_sid {
        Some(org) => tx.organization(org).await?,
        None => None,
    };
    Ok(Duration::days(invitation_lifetime_days(org.as_ref())))
}

impl App {
    /// Builds the invitation email (with a fresh link) in the caller's transaction.
    async fn queue_invitation_email(
        &self,
        tx: &mut dyn Tx,
        invitation: &Invitation,
        account_name: &str,
        organization: Option<&gatehouse_domain::sid::OrganizationSid>,
        token: &str,
        inviter: Option<&User>,
    ) -> Result<OutboxEmail> {
        let link = format!("{}/invitations/accept?token={token}", self.public_url);
        let roles: Vec<&str> = invitation.roles.iter().map(|r| r.name()).collect();
        let who = inviter.map_or_else(|| "An administrator".to_owned(), |u| format!("{} ({})", u.name, u.email));
        let body = format!(
            "Hello,\n\n{who} invited you to the Gatehouse account \"{account_name}\" as {}.\n\n\
             To accept, open:\n\n{link}\n\nThe link works until {} and only for {}. \
             If you did not expect this, ignore this email.\n",
            roles.join(", "),
            invitation.expires_at.format("%Y-%m-%d %H:%M UTC"),
            invitation.email,
        );
        let mut email = OutboxEmail::new(
            invitation.email.clone(),
            format!("You are invited to {account_name} on Gatehouse"),
            body,
            "invitation",
            self.now(),
        );
        email.account_sid = Some(invitation.account_sid.clone());
        email.organization_sid = organization.cloned();
        self.enqueue(tx, &email).await?;
        Ok(email)
    }

    /// Invites an address to an account with roles (Owner or Administrator). Inviting an address
    /// that already has a pending invitation replaces its roles and sends a new link.
    pub async fn invite(&self, actor: &Actor, account_sid: &AccountSid, input: NewInvitation) -> Result<Invitation> {
        let email = Email::parse(&input.email)?;
        let roles: Vec<AccountRole> = normalize_member_roles(&input.roles)?.into_iter().collect();
        let now = self.now();
        let token = new_token()?;
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::UsersManage).await?;
        let lifetime = lifetime(&mut *tx, &account).await?;
        let inviter = match actor.user_sid() {
            Some(sid) => tx.user(sid).await?,
            None => None,
        };
        let (invitation, action) = match tx.pending_invitation(account_sid, &email).await? {
            Some(existing) => {
                let renewed = Invitation {
                    roles,
                    token_hash: token_hash(&token),
                    expires_at: now + lifetime,
                    updated_at: now,
                    ..existing
                };
                tx.update_invitation(&renewed).await?;
                (renewed, "invitation.renewed")
            }
            None => {
                let new = Invitation::new(
                    account_sid.clone(),
                    email,
                    roles,
                    actor.user_sid().cloned(),
                    token_hash(&token),
                    now,
                    lifetime,
                );
                tx.insert_invitation(&new).await?;
                (new, "invitation.created")
            }
        };
        let org = account.organization_sid.as_ref();
        let mail =
            self.queue_invitation_email(&mut *tx, &invitation, &account.name, org, &token, inviter.as_ref()).await?;
        tx.append_audit(
            &AuditEvent::new(actor, action, invitation.sid.as_str(), now).in_account(account_sid, org).with_details(
                json!({ "email": invitation.email, "roles": role_keys(invitation.roles.iter().copied()) }),
            ),
        )
        .await?;
        tx.commit().await?;
        self.emails_queued(&[mail]);
        Ok(invitation)
    }

    /// Sends a pending (or expired) invitation again with a new link and a new expiry; the old
    /// link stops working.
    pub async fn resend_invitation(&self, actor: &Actor, account_sid: &AccountSid, sid: &InvitationSid) -> Result<()> {
        let now = self.now();
        let token = new_token()?;
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::UsersManage).await?;
        let invitation = tx.invitation(account_sid, sid).await?.ok_or(Error::NotFound)?;
        if invitation.status != InvitationStatus::Pending {
            return Err(Error::Precondition(format!("This invitation is {}.", invitation.status.as_str())));
        }
        let expires_at = now + lifetime(&mut *tx, &account).await?;
        let renewed = Invitation { token_hash: token_hash(&token), expires_at, updated_at: now, ..invitation };
        tx.update_invitation(&renewed).await?;
        let inviter = match actor.user_sid() {
            Some(s) => tx.user(s).await?,
            None => None,
        };
        let org = account.organization_sid.as_ref();
        let mail =
            self.queue_invitation_email(&mut *tx, &renewed, &account.name, org, &token, inviter.as_ref()).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "invitation.resent", sid.as_str(), now)
                .in_account(account_sid, org)
                .with_details(json!({ "email": renewed.email })),
        )
        .await?;
        tx.commit().await?;
        self.emails_queued(&[mail]);
        Ok(())
    }

    /// Withdraws a pending invitation: its link stops working.
    pub async fn revoke_invitation(&self, actor: &Actor, account_sid: &AccountSid, sid: &InvitationSid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::UsersManage).await?;
        let invitation = tx.invitation(account_sid, sid).await?.ok_or(Error::NotFound)?;
        if invitation.status != InvitationStatus::Pending {
            return Err(Error::Precondition(format!("This invitation is {}.", invitation.status.as_str())));
        }
        let email = invitation.email.clone();
        tx.update_invitation(&Invitation { status: InvitationStatus::Revoked, updated_at: now, ..invitation }).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "invitation.revoked", sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "email": email })),
        )
        .await?;
        tx.commit().await
    }

    /// The account's pending invitations, expired ones included (they can be resent).
    pub async fn pending_invitations(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        page: &PageRequest,
    ) -> Result<Page<Invitation>> {
        let mut tx = self.store.read().await?;
        let account = tx.account(account_sid).await?.ok_or(Error::NotFound)?;
        let p = account_principal(&mut *tx, actor, &account).await?;
        authorize(&p, Permission::UsersRead, Target::Account(&account))?;
        account.ensure_active()?;
        tx.pending_invitations(account_sid, page).await
    }

    /// The invitation behind a link, for its page. The token is the credential.
    pub async fn invitation_by_token(&self, token: &str) -> Result<InvitationView> {
        let mut tx = self.store.read().await?;
        let invitation = tx.invitation_by_token(&token_hash(token)).await?.ok_or_else(|| {
            Error::Precondition(
                "This invitation link is not valid: it was replaced by a newer one or never existed.".into(),
            )
        })?;
        let account = tx.account(&invitation.account_sid).await?.ok_or(Error::NotFound)?;
        let inviter_name = match &invitation.invited_by {
            Some(s) => tx.user(s).await?.map(|u| u.name),
            None => None,
        };
        let login_exists = tx.user_by_email(&invitation.email).await?.is_some();
        Ok(InvitationView { invitation, account_name: account.name, inviter_name, login_exists })
    }

    /// Accepts for a new person: creates their login (the address counts as confirmed: the link
    /// reached it), makes them a member with the invited roles, and signs them in.
    pub async fn accept_invitation_as_new(
        &self,
        token: &str,
        input: NewInvitee,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<(SignedIn, AccountSid)> {
        let view = self.invitation_by_token(token).await?;
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
        let (invitation, account) = self.lock_acceptable(&mut *tx, token).await?;
        let org = auto_join_organization(&mut *tx, &invitation.email).await?;
        let mut user = User::new(invitation.email.clone(), name, org.clone(), now);
        user.email_verified_at = Some(now);
        tx.insert_user(&user, Some(&hash)).await?;
        let actor = Actor { kind: ActorKind::User(user.sid.clone()), source_ip: ip.clone() };
        tx.append_audit(
            &AuditEvent::new(&actor, "user.created", user.sid.as_str(), now)
                .in_account(&account.sid, account.organization_sid.as_ref())
                .with_details(json!({ "email": user.email, "via": "invitation" })),
        )
        .await?;
        if let Some(org) = &org {
            record_auto_join(&mut *tx, &actor, &user, org, now).await?;
        }
        self.join(&mut *tx, &actor, &user, invitation, &account).await?;
        tx.commit().await?;
        let signed_in = self.sign_in(user.email.as_str(), &input.password, ip, user_agent).await?;
        Ok((signed_in, account.sid))
    }

    /// Accepts as the signed-in user, who must be the person the invitation names. A member
    /// already gets their roles replaced by the invited ones rather than a second membership.
    pub async fn accept_invitation(&self, actor: &Actor, token: &str) -> Result<AccountSid> {
        let sid = acting_user(actor)?.clone();
        let mut tx = self.store.write().await?;
        let user = tx.user(&sid).await?.ok_or(Error::Unauthenticated)?;
        let (invitation, account) = self.lock_acceptable(&mut *tx, token).await?;
        if invitation.email != user.email {
            return Err(Error::Precondition(format!(
                "This invitation is for {}, but you are signed in as {}. Sign out and open the link again, \
                 or ask for an invitation to your own address.",
                invitation.email, user.email
            )));
        }
        let account_sid = account.sid.clone();
        self.join(&mut *tx, actor, &user, invitation, &account).await?;
        tx.commit().await?;
        Ok(account_sid)
    }

    /// Loads the invitation behind `token` and locks its account; both must be usable.
    async fn lock_acceptable(
        &self,
        tx: &mut dyn Tx,
        token: &str,
    ) -> Result<(Invitation, gatehouse_domain::account::Account)> {
        let invitation = tx.invitation_by_token(&token_hash(token)).await?.ok_or_else(|| {
            Error::Precondition(
                "This invitation link is not valid: it was replaced by a newer one or never existed.".into(),
            )
        })?;
        invitation.ensure_acceptable(self.now())?;
        let account = tx.lock_account(&invitation.account_sid).await?.ok_or(Error::NotFound)?;
        account.ensure_active()?;
        Ok((invitation, account))
    }

    /// Makes `user` a member with the invitation's roles and marks it accepted.
    async fn join(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        user: &User,
        invitation: Invitation,
        account: &gatehouse_domain::account::Account,
    ) -> Result<()> {
        let now = self.now();
        let current = roles_of(tx, &account.sid, &user.sid).await?;
        if current.contains(&AccountRole::Owner) {
            return Err(Error::Precondition("You own this account already.".into()));
        }
        set_account_roles(tx, &account.sid, &user.sid, invitation.roles.iter().copied(), now).await?;
        let org = account.organization_sid.as_ref();
        tx.append_audit(
            &AuditEvent::new(actor, "invitation.accepted", invitation.sid.as_str(), now)
                .in_account(&account.sid, org)
                .with_details(json!({
                    "email": invitation.email,
                    "roles": role_keys(invitation.roles.iter().copied()),
                    "previous_roles": role_keys(current.iter().copied()),
                })),
        )
        .await?;
        tx.update_invitation(&Invitation { status: InvitationStatus::Accepted, updated_at: now, ..invitation }).await
    }
}
