//! Use cases for signing in and out, web sessions, and the first-run setup link.
//!
//! Sessions live in the database (so several nodes share them); only a SHA-256 of the cookie
//! token is stored. Sign-in failures answer with one generic error, and an unknown email costs
//! the same argon2 time as a wrong password.

use chrono::Duration;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::organization::Organization;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::role::OrgRole;
use gatehouse_domain::session::{Session, SessionStage};
use gatehouse_domain::sid::{AccountSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{Email, User, UserStatus};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::credential_cache::Use;
use crate::organizations::{CreatedOrganization, NewOrganization, check_new_organization};
use crate::secret::{new_token, token_hash};
use crate::{App, throttle};

/// How long a session lives without activity, and at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimeouts {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionTimeouts {
    /// Eight idle hours (a working day), seven days at most.
    fn default() -> Self {
        SessionTimeouts { idle: Duration::hours(8), absolute: Duration::days(7) }
    }
}

/// A new session: the cookie token (shown to the browser only) and what is stored.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub session: Session,
    pub user: User,
}

/// A signed-in visitor, as a page sees them (see [`App::visit`]).
#[derive(Debug, Clone)]
pub struct Visitor {
    pub user: User,
    pub session: Session,
    pub must_enrol_two_factor: bool,
    pub organizations: Vec<(Organization, OrgRole)>,
}

/// A sign-in event about a managed user belongs to their organization's audit log.
pub(crate) fn scoped(event: AuditEvent, user: &User) -> AuditEvent {
    match &user.organization_sid {
        Some(org) => event.in_organization(org),
        None => event,
    }
}

/// Appends an event about a user; a managed user's also belongs to their organization's log.
pub(crate) async fn append_user_event(tx: &mut dyn Tx, event: AuditEvent, user: &UserSid) -> Result<()> {
    let event = match tx.user(user).await? {
        Some(u) => scoped(event, &u),
        None => event,
    };
    tx.append_audit(&event).await
}

impl App {
    /// Checks an email and password and opens a session. Every failure is the same
    /// `Unauthenticated`; successes and failures are audited and successes update last login.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<SignedIn> {
        let actor = Actor { kind: ActorKind::Anonymous, source_ip: ip.clone() };
        let email = Email::parse(email).ok();
        let target = email.as_ref().map_or_else(|| "invalid".to_owned(), |e| e.to_string());
        let keys = throttle::keys("sign_in", &target, ip.as_deref());
        let (user, hash) = {
            let mut tx = self.store.read().await?;
            if let Err(refused) = throttle::ensure_allowed(&mut *tx, &keys, self.now()).await {
                drop(tx);
                let mut tx = self.store.write().await?;
                let known = match &email {
                    Some(e) => tx.user_by_email(e).await?,
                    None => None,
                };
                let mut event = AuditEvent::new(
                    &actor,
                    "user.sign_in_failed",
                    known.as_ref().map_or("unknown", |u| u.sid.as_str()),
                    self.now(),
                )
                .with_details(json!({ "email": email.as_ref().map(|e| e.as_str()), "reason": "throttled" }));
                if let Some(u) = &known {
                    event = scoped(event, u);
                }
                tx.append_audit(&event).await?;
                tx.commit().await?;
                return Err(refused);
            }
            match &email {
                Some(e) => match tx.user_by_email(e).await? {
                    Some(u) => {
                        let h = tx.password_hash(&u.sid).await?;
                        (Some(u), h)
                    }
                    None => (None, None),
                },
                None => (None, None),
            }
        };
        // Unknown emails are checked against a decoy hash: they cost the same time.
        let ok = self.passwords.verify(password, hash.as_deref()).await?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        match user {
            Some(user) if ok && user.status == UserStatus::Active => {
                let second_factor = tx.second_factors(&user.sid).await?.iter().any(|f| f.confirmed_at.is_some());
                let token = new_token()?;
                let session = Session {
                    token_hash: token_hash(&token),
                    user_sid: user.sid.clone(),
                    csrf_token: new_token()?,
                    created_at: now,
                    last_seen_at: now,
                    expires_at: now + self.timeouts.absolute,
                    ip,
                    user_agent: user_agent.map(|ua| ua.chars().take(300).collect()),
                    stage: if second_factor { SessionStage::SecondFactor } else { SessionStage::Full },
                };
                tx.insert_session(&session).await?;
                // With a second factor owed, the login counts once it is given.
                if !second_factor {
                    tx.record_login(&user.sid, now).await?;
                }
                throttle::record_success(&mut *tx, &keys).await?;
                let actor = Actor::user(user.sid.clone(), actor.source_ip);
                let action = if second_factor { "user.password_accepted" } else { "user.signed_in" };
                tx.append_audit(&scoped(AuditEvent::new(&actor, action, user.sid.as_str(), now), &user)).await?;
                tx.commit().await?;
                let last_login_at = if second_factor { user.last_login_at } else { Some(now) };
                Ok(SignedIn { token, session, user: User { last_login_at, ..user } })
            }
            other => {
                let target = other.as_ref().map_or("unknown", |u| u.sid.as_str());
                let reason = match &other {
                    None => "unknown email",
                    Some(u) if u.status != UserStatus::Active => "user not active",
                    Some(_) => "wrong password",
                };
                throttle::record_failure(&mut *tx, &keys, now).await?;
                let mut event = AuditEvent::new(&actor, "user.sign_in_failed", target, now)
                    .with_details(json!({ "email": email.as_ref().map(|e| e.as_str()), "reason": reason }));
                if let Some(u) = &other {
                    event = scoped(event, u);
                }
                tx.append_audit(&event).await?;
                tx.commit().await?;
                Err(Error::Unauthenticated)
            }
        }
    }

    /// Leaves a one-time message for the session's next page, such as a secret to show once
    /// after a redirect (so that reloading the page does not repeat the action).
    pub async fn put_flash(&self, session_token: &str, value: &str) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.put_session_flash(&token_hash(session_token), value).await?;
        tx.commit().await
    }

    /// Reads the session's one-time message; it is gone afterwards.
    pub async fn take_flash(&self, session_token: &str) -> Result<Option<String>> {
        let mut tx = self.store.write().await?;
        let value = tx.take_session_flash(&token_hash(session_token)).await?;
        tx.commit().await?;
        Ok(value)
    }

    /// The user and session behind a cookie token, if the session is live and the user active.
    /// The session may still owe its second factor (`stage`); surfaces check that.
    pub async fn authenticate(&self, token: &str) -> Result<(User, Session)> {
        let hash = token_hash(token);
        let mut tx = self.store.read().await?;
        let found = self.live_session(&mut *tx, &hash).await?;
        drop(tx);
        self.kept_or_ended(hash, found).await
    }

    /// What a signed-in page needs about its visitor, read in one transaction: the user and
    /// session (as [`App::authenticate`]), whether they must enrol a second factor first (in
    /// `account`, when the page is inside one), and their organizations for the navigation.
    pub async fn visit(&self, token: &str, account: Option<&AccountSid>) -> Result<Visitor> {
        let hash = token_hash(token);
        let mut tx = self.store.read().await?;
        let found = self.live_session(&mut *tx, &hash).await?;
        let mut extra = None;
        if let Some((user, session)) = &found {
            let must_enrol = session.stage == SessionStage::Full
                && user.email_verified()
                && self.must_enrol_in(&mut *tx, user, account).await?;
            extra = Some((must_enrol, tx.user_organizations(&user.sid).await?));
        }
        drop(tx);
        let (user, session) = self.kept_or_ended(hash, found).await?;
        let (must_enrol_two_factor, organizations) = extra.unwrap_or_default();
        Ok(Visitor { user, session, must_enrol_two_factor, organizations })
    }

    /// The session whose token hashes to `hash` and its user, or `None` when it has ended
    /// (expired, idle too long, or its user is no longer active).
    async fn live_session(&self, tx: &mut dyn Tx, hash: &str) -> Result<Option<(User, Session)>> {
        let now = self.now();
        let Some(session) = tx.session(hash).await? else { return Err(Error::Unauthenticated) };
        let user = tx.user(&session.user_sid).await?.ok_or(Error::Unauthenticated)?;
        let expired = now >= session.expires_at || now >= session.last_seen_at + self.timeouts.idle;
        Ok((!expired && user.status == UserStatus::Active).then_some((user, session)))
    }

    /// A live session's use is noted (written off the request path); an ended one is deleted.
    async fn kept_or_ended(&self, hash: String, found: Option<(User, Session)>) -> Result<(User, Session)> {
        let Some((user, session)) = found else {
            let mut tx = self.store.write().await?;
            tx.delete_session(&hash).await?;
            tx.commit().await?;
            return Err(Error::Unauthenticated);
        };
        self.credentials.note_use(None, Use::Session(hash), Some(session.last_seen_at), self.now());
        Ok((user, session))
    }

    /// Ends the session behind a cookie token.
    pub async fn sign_out(&self, actor: &Actor, token: &str) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        tx.delete_session(&token_hash(token)).await?;
        if let Some(user) = actor.user_sid() {
            tx.append_audit(&AuditEvent::new(actor, "user.signed_out", user.as_str(), now)).await?;
        }
        tx.commit().await
    }

    /// On first run (no users at all), makes a new one-time setup token and returns it; `None`
    /// once anyone exists. Tokens made in the last ten minutes stay valid beside it, so nodes
    /// that start together each print a working link; older ones are replaced.
    pub async fn issue_setup_token(&self) -> Result<Option<String>> {
        let mut tx = self.store.write().await?;
        if tx.any_users().await? {
            return Ok(None);
        }
        let token = new_token()?;
        let now = self.now();
        tx.add_setup_token(&token_hash(&token), now, now - chrono::Duration::minutes(10)).await?;
        tx.commit().await?;
        Ok(Some(token))
    }

    /// Whether nobody exists yet, so the server is waiting for first-run setup.
    pub async fn needs_setup(&self) -> Result<bool> {
        let mut tx = self.store.read().await?;
        Ok(!tx.any_users().await?)
    }

    /// Whether a setup token is the current one and nobody exists yet.
    pub async fn setup_token_valid(&self, token: &str) -> Result<bool> {
        let mut tx = self.store.read().await?;
        Ok(!tx.any_users().await? && tx.setup_token_valid(&token_hash(token)).await?)
    }

    /// First-run setup: with the current setup token, creates the first organization, its
    /// Owner and account, consumes the token, and signs the Owner in.
    pub async fn complete_setup(
        &self,
        token: &str,
        input: NewOrganization,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<(CreatedOrganization, SignedIn), Vec<Error>> {
        let checked = check_new_organization(&input)?;
        let hash = self.passwords.hash(&input.password).await.map_err(|e| vec![e])?;
        let actor = Actor { kind: ActorKind::Setup, source_ip: ip.clone() };
        let created = async {
            let mut tx = self.store.write().await?;
            if tx.any_users().await? || !tx.consume_setup_token(&token_hash(token)).await? {
                return Err(Error::Precondition("this setup link has already been used or has been replaced".into()));
            }
            let created = self.insert_organization(&mut *tx, &actor, checked, &hash, true).await?;
            tx.commit().await?;
            Ok(created)
        }
        .await
        .map_err(|e| vec![e])?;
        let signed_in =
            self.sign_in(created.user.email.as_str(), &input.password, ip, user_agent).await.map_err(|e| vec![e])?;
        Ok((created, signed_in))
    }
}
