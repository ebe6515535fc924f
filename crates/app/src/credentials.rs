//! Use cases for proving and recovering a login: email verification, password reset and
//! change, and a user's own sessions.

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::security::{OneTimeToken, OutboxEmail, TokenPurpose};
use gatehouse_domain::session::Session;
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{Email, User, UserStatus};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::auth::append_user_event;
use crate::password::check_policy;
use crate::secret::{new_token, token_hash};
use crate::{App, acting_user, throttle};

/// Shown for any reset request, whether or not the address is known.
pub const RESET_REQUESTED: &str =
    "If an account uses that address, we have sent it a link to choose a new password. The link works for one hour.";

impl App {
    /// Creates a verification token for the user's current email and queues the email, in the
    /// caller's transaction. Earlier verification links stop working.
    pub(crate) async fn queue_verification(&self, tx: &mut dyn Tx, user: &User) -> Result<OutboxEmail> {
        let now = self.now();
        let token = new_token()?;
        tx.delete_user_tokens(&user.sid, TokenPurpose::VerifyEmail).await?;
        tx.insert_token(&OneTimeToken {
            token_hash: token_hash(&token),
            purpose: TokenPurpose::VerifyEmail,
            user_sid: user.sid.clone(),
            email: user.email.clone(),
            created_at: now,
            expires_at: now + TokenPurpose::VerifyEmail.lifetime(),
        })
        .await?;
        let link = format!("{}/verify-email?token={token}", self.public_url);
        let body = format!(
            "Hello {},\n\nConfirm that {} is your email address by opening this link:\n\n{link}\n\n\
             The link works once, for 24 hours. If you did not sign up for Gatehouse, ignore this email.\n",
            user.name, user.email
        );
        let mut email =
            OutboxEmail::new(user.email.clone(), "Confirm your email address".into(), body, "verify_email", now);
        email.organization_sid = user.organization_sid.clone();
        self.enqueue(tx, &email).await?;
        Ok(email)
    }

    /// Confirms an email address with the token from the verification link.
    pub async fn verify_email(&self, token: &str) -> Result<User> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let Some(used) = tx.use_token(&token_hash(token), TokenPurpose::VerifyEmail, now).await? else {
            return Err(Error::Precondition(
                "This confirmation link is not valid any more: it was used, replaced by a newer one, or it expired."
                    .into(),
            ));
        };
        let user = tx.user(&used.user_sid).await?.ok_or(Error::NotFound)?;
        if user.email != used.email {
            return Err(Error::Precondition("This link confirms an address the user no longer has.".into()));
        }
        tx.mark_email_verified(&user.sid, now).await?;
        let actor = Actor::user(user.sid.clone(), None);
        append_user_event(
            &mut *tx,
            AuditEvent::new(&actor, "user.email_verified", user.sid.as_str(), now)
                .with_details(json!({ "email": user.email })),
            &user.sid,
        )
        .await?;
        tx.commit().await?;
        Ok(User { email_verified_at: Some(now), ..user })
    }

    /// Sends a new verification link to the signed-in user.
    pub async fn resend_verification(&self, actor: &Actor) -> Result<()> {
        let sid = acting_user(actor)?;
        let mut tx = self.store.write().await?;
        let user = tx.user(sid).await?.ok_or(Error::Unauthenticated)?;
        if user.email_verified() {
            return Err(Error::Precondition("Your email address is already confirmed.".into()));
        }
        let keys = throttle::keys("verify_resend", sid.as_str(), None);
        throttle::ensure_allowed(&mut *tx, &keys, self.now()).await?;
        throttle::record_failure(&mut *tx, &keys, self.now()).await?;
        let email = self.queue_verification(&mut *tx, &user).await?;
        tx.commit().await?;
        self.emails_queued(&[email]);
        Ok(())
    }

    /// Issues a reset token (replacing earlier ones) and queues the email carrying its link.
    pub(crate) async fn queue_reset_email(
        &self,
        tx: &mut dyn Tx,
        user: &User,
        why: &str,
        closing: &str,
    ) -> Result<OutboxEmail> {
        let now = self.now();
        let token = new_token()?;
        tx.delete_user_tokens(&user.sid, TokenPurpose::ResetPassword).await?;
        tx.insert_token(&OneTimeToken {
            token_hash: token_hash(&token),
            purpose: TokenPurpose::ResetPassword,
            user_sid: user.sid.clone(),
            email: user.email.clone(),
            created_at: now,
            expires_at: now + TokenPurpose::ResetPassword.lifetime(),
        })
        .await?;
        let link = format!("{}/password/reset?token={token}", self.public_url);
        let body = format!(
            "Hello {},\n\n{why} {}. To choose a new one, open:\n\n{link}\n\n\
             The link works once, for one hour, and signs you out everywhere. {closing}\n",
            user.name, user.email
        );
        let mut email =
            OutboxEmail::new(user.email.clone(), "Reset your Gatehouse password".into(), body, "reset_password", now);
        email.organization_sid = user.organization_sid.clone();
        self.enqueue(tx, &email).await?;
        Ok(email)
    }

    /// Starts a password reset. Answers the same way for unknown addresses, and takes the same
    /// path through the database, so the answer reveals nothing.
    pub async fn request_password_reset(&self, email: &str, ip: Option<String>) -> Result<&'static str> {
        let now = self.now();
        let parsed = Email::parse(email)?;
        let mut tx = self.store.write().await?;
        let keys = throttle::keys("reset", parsed.as_str(), ip.as_deref());
        throttle::ensure_allowed(&mut *tx, &keys, now).await?;
        // Every request counts: resets are not failures, but they are what an attacker floods.
        throttle::record_failure(&mut *tx, &keys, now).await?;
        let user = tx.user_by_email(&parsed).await?.filter(|u| u.status == UserStatus::Active);
        let actor = Actor { kind: ActorKind::Anonymous, source_ip: ip };
        let mut queued = Vec::new();
        if let Some(user) = user {
            let email = self
                .queue_reset_email(
                    &mut *tx,
                    &user,
                    "Someone asked to reset the Gatehouse password for",
                    "If it was not you, ignore this email.",
                )
                .await?;
            append_user_event(
                &mut *tx,
                AuditEvent::new(&actor, "user.password_reset_requested", user.sid.as_str(), now),
                &user.sid,
            )
            .await?;
            queued.push(email);
        } else {
            tx.append_audit(
                &AuditEvent::new(&actor, "user.password_reset_requested", "unknown", now)
                    .with_details(json!({ "email": parsed })),
            )
            .await?;
        }
        tx.commit().await?;
        self.emails_queued(&queued);
        Ok(RESET_REQUESTED)
    }

    /// Sets a new password with a reset token. The token works once; every session of the user
    /// ends; the address counts as verified (the user just proved they read its mail).
    pub async fn reset_password(&self, token: &str, new_password: &str, ip: Option<String>) -> Result<User> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let Some(used) = tx.use_token(&token_hash(token), TokenPurpose::ResetPassword, now).await? else {
            return Err(Error::Precondition(
                "This reset link is not valid any more: it was used, replaced by a newer one, or it expired. Ask for a new one."
                    .into(),
            ));
        };
        let user = tx.user(&used.user_sid).await?.ok_or(Error::NotFound)?;
        // A weak password returns before commit, so the token stays usable.
        check_policy(new_password, &user.email, &user.name)?;
        let hash = self.passwords.hash(new_password).await?;
        tx.set_password_hash(&user.sid, &hash, now).await?;
        let ended = tx.delete_user_sessions(&user.sid).await?;
        if !user.email_verified() {
            tx.mark_email_verified(&user.sid, now).await?;
        }
        tx.clear_throttle(&throttle::target_key("sign_in", user.email.as_str())).await?;
        let actor = Actor { kind: ActorKind::Anonymous, source_ip: ip };
        append_user_event(
            &mut *tx,
            AuditEvent::new(&actor, "user.password_reset", user.sid.as_str(), now)
                .with_details(json!({ "sessions_ended": ended })),
            &user.sid,
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Changes the signed-in user's password (the current one is required); every other session
    /// of the user ends.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current_session: &str,
        current: &str,
        new_password: &str,
    ) -> Result<u64> {
        let sid = acting_user(actor)?.clone();
        let mut tx = self.store.read().await?;
        let user = tx.user(&sid).await?.ok_or(Error::Unauthenticated)?;
        let stored = tx.password_hash(&sid).await?;
        drop(tx);
        if !self.passwords.verify(current, stored.as_deref()).await? {
            return Err(Error::invalid("current_password", "this is not your current password"));
        }
        check_policy(new_password, &user.email, &user.name)?;
        let hash = self.passwords.hash(new_password).await?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        tx.set_password_hash(&sid, &hash, now).await?;
        let ended = tx.delete_user_sessions_except(&sid, &token_hash(current_session)).await?;
        append_user_event(
            &mut *tx,
            AuditEvent::new(actor, "user.password_changed", sid.as_str(), now)
                .with_details(json!({ "other_sessions_ended": ended })),
            &sid,
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Changes the signed-in user's email address (the password is required). The new address
    /// must be confirmed before the login can be used again; the old address is told.
    pub async fn change_email(&self, actor: &Actor, password: &str, new_email: &str) -> Result<User> {
        let sid = acting_user(actor)?.clone();
        let new_email = Email::parse(new_email).map_err(|_| Error::invalid("email", "enter an email address"))?;
        let mut tx = self.store.read().await?;
        let user = tx.user(&sid).await?.ok_or(Error::Unauthenticated)?;
        let stored = tx.password_hash(&sid).await?;
        drop(tx);
        if !self.passwords.verify(password, stored.as_deref()).await? {
            return Err(Error::invalid("current_password", "this is not your current password"));
        }
        if new_email == user.email {
            return Err(Error::invalid("email", "this is already your email address"));
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        tx.set_user_email(&sid, &new_email, now).await?;
        let changed = User { email: new_email.clone(), email_verified_at: None, ..user.clone() };
        let verification = self.queue_verification(&mut *tx, &changed).await?;
        let body = format!(
            "Hello {},\n\nThe email address of your Gatehouse login was changed from {} to {}.\n\n\
             If you did not do this, ask an administrator of your organization for help at once.\n",
            user.name, user.email, new_email
        );
        let mut notice = OutboxEmail::new(
            user.email.clone(),
            "Your Gatehouse email address was changed".into(),
            body,
            "email_changed",
            now,
        );
        notice.organization_sid = user.organization_sid.clone();
        self.enqueue(&mut *tx, &notice).await?;
        append_user_event(
            &mut *tx,
            AuditEvent::new(actor, "user.email_changed", sid.as_str(), now)
                .with_details(json!({ "from": user.email, "to": new_email })),
            &sid,
        )
        .await?;
        tx.commit().await?;
        self.emails_queued(&[verification, notice]);
        Ok(changed)
    }

    /// The signed-in user's sessions, newest first.
    pub async fn my_sessions(&self, actor: &Actor) -> Result<Vec<Session>> {
        let sid = acting_user(actor)?;
        let mut tx = self.store.read().await?;
        tx.user_sessions(sid).await
    }

    /// Ends one of the signed-in user's sessions, named by the start of its id.
    pub async fn revoke_session(&self, actor: &Actor, id: &str) -> Result<()> {
        let sid = acting_user(actor)?;
        if id.len() < 16 {
            return Err(Error::NotFound);
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        let session =
            tx.user_sessions(sid).await?.into_iter().find(|s| s.token_hash.starts_with(id)).ok_or(Error::NotFound)?;
        tx.delete_session(&session.token_hash).await?;
        append_user_event(
            &mut *tx,
            AuditEvent::new(actor, "session.revoked", sid.as_str(), now).with_details(json!({ "session": id })),
            sid,
        )
        .await?;
        tx.commit().await
    }

    /// Ends every session of the signed-in user except the current one.
    pub async fn revoke_other_sessions(&self, actor: &Actor, current_session: &str) -> Result<u64> {
        let sid = acting_user(actor)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let ended = tx.delete_user_sessions_except(sid, &token_hash(current_session)).await?;
        append_user_event(
            &mut *tx,
            AuditEvent::new(actor, "session.revoked_others", sid.as_str(), now)
                .with_details(json!({ "sessions_ended": ended })),
            sid,
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }
}
