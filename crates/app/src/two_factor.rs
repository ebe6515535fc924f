//! Use cases for second factors: TOTP (RFC 6238) and SMS codes, one-time recovery codes,
//! completing a sign-in, and the rules that require 2FA.

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::security::{OneTimeToken, PhoneNumber, SecondFactor, SecondFactorKind, TokenPurpose};
use gatehouse_domain::session::SessionStage;
use gatehouse_domain::sid::{AccountSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::User;
use gatehouse_domain::{Error, Result};
use serde_json::json;
use totp_rs::{Builder, Secret, Totp};

use crate::auth::{append_user_event, scoped};
use crate::secret::{random_bytes, token_hash};
use crate::{App, acting_user, throttle};

/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "Gatehouse";

/// What a user needs to add an authenticator app.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    /// The secret in base32, for typing in by hand.
    pub secret: String,
    /// The `otpauth://` URL the QR code encodes.
    pub otpauth_url: String,
}

/// A user's second-factor state, for their security page.
#[derive(Debug, Clone)]
pub struct TwoFactorStatus {
    pub totp: bool,
    /// The confirmed phone, masked.
    pub sms_phone: Option<String>,
    pub recovery_codes_left: u64,
    /// Whether the user's organization or an admin requires 2FA of them.
    pub required: bool,
}

impl TwoFactorStatus {
    /// Whether any confirmed factor exists.
    pub fn enabled(&self) -> bool {
        self.totp || self.sms_phone.is_some()
    }
}

/// What a user presents as their second factor.
#[derive(Debug, Clone)]
pub enum SecondFactorProof {
    Totp(String),
    Sms(String),
    Recovery(String),
}

fn totp(secret_b32: &str, account: &str) -> Result<Totp> {
    let secret =
        Secret::try_from_base32(secret_b32).map_err(|e| Error::Internal(format!("stored TOTP secret: {e:?}")))?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| Error::Internal(format!("TOTP: {e:?}")))
}

/// The current Unix time in seconds from the app clock.
fn unix(app: &App) -> u64 {
    u64::try_from(app.now().timestamp()).unwrap_or_default()
}

/// Recovery codes look like `k7mq2-x9cfa`: 50 random bits each, easy to read and type.
fn new_recovery_codes() -> Result<Vec<String>> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let bytes = random_bytes::<10>()?;
            let chars: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
            Ok(format!("{}-{}", &chars[..5], &chars[5..]))
        })
        .collect()
}

/// The stored form of a short code: hashed together with its owner, so equal codes of two
/// users never collide and a leaked table reveals no code.
fn code_hash(user: &UserSid, code: &str) -> String {
    let normalized: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
    token_hash(&format!("{user}:{normalized}"))
}

fn six_digits() -> Result<String> {
    let b = random_bytes::<4>()?;
    Ok(format!("{:06}", u32::from_le_bytes(b) % 1_000_000))
}

impl App {
    /// The signed-in user's second-factor state.
    pub async fn two_factor_status(&self, actor: &Actor) -> Result<TwoFactorStatus> {
        let sid = acting_user(actor)?;
        let mut tx = self.store.read().await?;
        let user = tx.user(sid).await?.ok_or(Error::Unauthenticated)?;
        let factors = tx.second_factors(sid).await?;
        let confirmed = |k| factors.iter().find(|f| f.kind == k && f.confirmed_at.is_some());
        Ok(TwoFactorStatus {
            totp: confirmed(SecondFactorKind::Totp).is_some(),
            sms_phone: confirmed(SecondFactorKind::Sms).and_then(|f| f.phone.as_ref()).map(PhoneNumber::masked),
            recovery_codes_left: tx.remaining_recovery_codes(sid).await?,
            required: self.two_factor_required(&mut *tx, &user).await?,
        })
    }

    /// Whether the user's organization, or an admin through the per-user flag, requires 2FA.
    pub(crate) async fn two_factor_required(&self, tx: &mut dyn Tx, user: &User) -> Result<bool> {
        if user.require_two_factor {
            return Ok(true);
        }
        Ok(match &user.organization_sid {
            Some(org) => tx.organization(org).await?.is_some_and(|o| o.require_two_factor),
            None => false,
        })
    }

    /// Whether the user must enrol a second factor before doing anything else: 2FA is required
    /// of them (user or organization) or by the account they are opening, and they have none.
    /// An unknown account requires nothing here; the page itself then answers "not found".
    pub async fn must_enrol_two_factor(&self, user: &User, account: Option<&AccountSid>) -> Result<bool> {
        let mut tx = self.store.read().await?;
        self.must_enrol_in(&mut *tx, user, account).await
    }

    /// [`App::must_enrol_two_factor`] inside a transaction.
    pub(crate) async fn must_enrol_in(
        &self,
        tx: &mut dyn Tx,
        user: &User,
        account: Option<&AccountSid>,
    ) -> Result<bool> {
        let by_account = match account {
            Some(sid) => tx.account(sid).await?.is_some_and(|a| a.settings.require_two_factor),
            None => false,
        };
        if !by_account && !self.two_factor_required(tx, user).await? {
            return Ok(false);
        }
        Ok(!tx.second_factors(&user.sid).await?.iter().any(|f| f.confirmed_at.is_some()))
    }

    fn ensure_verified(user: &User) -> Result<()> {
        if user.email_verified() {
            Ok(())
        } else {
            Err(Error::Precondition("Confirm your email address before you set up two-factor authentication.".into()))
        }
    }

    /// Starts adding an authenticator app: a new secret (kept until confirmed) and its URL.
    pub async fn start_totp(&self, actor: &Actor) -> Result<TotpEnrolment> {
        let sid = acting_user(actor)?.clone();
        let mut tx = self.store.write().await?;
        let user = tx.user(&sid).await?.ok_or(Error::Unauthenticated)?;
        Self::ensure_verified(&user)?;
        let existing = tx.second_factors(&sid).await?.into_iter().find(|f| f.kind == SecondFactorKind::Totp);
        let secret = match existing {
            Some(f) if f.confirmed_at.is_some() => {
                return Err(Error::Precondition("An authenticator app is already set up.".into()));
            }
            // Re-opening the page shows the same secret, so a half-done scan still works.
            Some(f) => f.secret.ok_or_else(|| Error::Internal("TOTP factor without secret".into()))?,
            None => {
                let secret = Secret::from(random_bytes::<20>()?.to_vec()).to_base32();
                tx.upsert_second_factor(&SecondFactor {
                    user_sid: sid.clone(),
                    kind: SecondFactorKind::Totp,
                    secret: Some(secret.clone()),
                    phone: None,
                    confirmed_at: None,
                    last_used_step: None,
                    created_at: self.now(),
                })
                .await?;
                tx.commit().await?;
                secret
            }
        };
        let otpauth_url =
            totp(&secret, user.email.as_str())?.to_url().map_err(|e| Error::Internal(format!("{e:?}")))?;
        Ok(TotpEnrolment { secret, otpauth_url })
    }

    /// Finishes adding an authenticator app with a first code. Returns the new recovery codes if
    /// this is the user's first factor (shown once), otherwise none.
    pub async fn confirm_totp(&self, actor: &Actor, code: &str) -> Result<Vec<String>> {
        let sid = acting_user(actor)?.clone();
        let now = self.now();
        let mut tx = self.store.write().await?;
        let user = tx.user(&sid).await?.ok_or(Error::Unauthenticated)?;
        let factors = tx.second_factors(&sid).await?;
        let factor = factors
            .iter()
            .find(|f| f.kind == SecondFactorKind::Totp && f.confirmed_at.is_none())
            .ok_or_else(|| Error::Precondition("Start again: open the authenticator setup page.".into()))?;
        let secret = factor.secret.clone().ok_or_else(|| Error::Internal("TOTP factor without secret".into()))?;
        let step = totp(&secret, user.email.as_str())?
            .check(code.trim(), unix(self))
            .ok_or_else(|| Error::invalid("code", "that code is not right; enter the 6 digits your app shows now"))?;
        tx.upsert_second_factor(&SecondFactor {
            confirmed_at: Some(now),
            last_used_step: Some(i64::try_from(step).unwrap_or(i64::MAX)),
            ..factor.clone()
        })
        .await?;
        let first = !factors.iter().any(|f| f.confirmed_at.is_some());
        let codes = if first { self.store_recovery_codes(&mut *tx, &sid).await? } else { Vec::new() };
        append_user_event(
            &mut *tx,
            AuditEvent::new(actor, "user.two_factor_enabled", sid.as_str(), now)
                .with_details(json!({ "kind": "totp" })),
            &sid,
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    async fn store_recovery_codes(&self, tx: &mut dyn Tx, user: &UserSid) -> Result<Vec<String>> {
        let codes = new_recovery_codes()?;
        let hashes: Vec<String> = codes.iter().map(|c| code_hash(user, c)).collect();
        tx.replace_recovery_codes(user, &hashes, self.now()).await?;
        Ok(codes)
    }

    /// Replaces the user's recovery codes with ten new ones (shown once); old ones stop working.
    pub async fn regenerate_recovery_codes(&self, actor: &Actor) -> Result<Vec<String>> {
        let sid = acting_user(actor)?.clone();
        let mut tx = self.store.write().await?;
        if !tx.second_factors(&sid).await?.iter().any(|f| f.confirmed_at.is_some()) {
            return Err(Error::Precondition("Set up two-factor authentication first.".into()));
        }
        let codes = self.store_recovery_codes(&mut *tx, &sid).await?;
        append_user_event(
            &mut *tx,
            AuditEvent::new(actor, "user.recovery_codes_regenerated", sid.as_str(), self.now()),
            &sid,
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Starts adding SMS codes: stores the (unconfirmed) phone and texts it a code.
    pub async fn start_sms(&self, actor: &Actor, phone: &str) -> Result<String> {
        let phone = PhoneNumber::parse(phone)?;
        let sid = acting_user(actor)?.clone();
        let mut tx = self.store.write().await?;
        let user = tx.user(&sid).await?.ok_or(Error::Unauthenticated)?;
        Self::ensure_verified(&user)?;
        let keys = throttle::keys("sms_send", sid.as_str(), actor.source_ip.as_deref());
        throttle::ensure_allowed(&mut *tx, &keys, self.now()).await?;
        throttle::record_failure(&mut *tx, &keys, self.now()).await?;
        tx.upsert_second_factor(&SecondFactor {
            user_sid: sid.clone(),
            kind: SecondFactorKind::Sms,
            secret: None,
            phone: Some(phone.clone()),
            confirmed_at: None,
            last_used_step: None,
            created_at: self.now(),
        })
        .await?;
        let code = self.queue_sms_code(&mut *tx, &user).await?;
        tx.commit().await?;
        self.send_sms(&phone, &code).await?;
        Ok(phone.masked())
    }

    async fn queue_sms_code(&self, tx: &mut dyn Tx, user: &User) -> Result<String> {
        let now = self.now();
        let code = six_digits()?;
        tx.delete_user_tokens(&user.sid, TokenPurpose::SmsCode).await?;
        tx.insert_token(&OneTimeToken {
            token_hash: code_hash(&user.sid, &code),
            purpose: TokenPurpose::SmsCode,
            user_sid: user.sid.clone(),
            email: user.email.clone(),
            created_at: now,
            expires_at: now + TokenPurpose::SmsCode.lifetime(),
        })
        .await?;
        Ok(code)
    }

    async fn send_sms(&self, phone: &PhoneNumber, code: &str) -> Result<()> {
        let body = format!("Your Gatehouse code is {code}. It expires in 10 minutes.");
        self.sms.send(phone, &body).await.map_err(|e| {
            tracing::error!(error = %e, "SMS delivery failed");
            Error::Precondition("The text message could not be sent. Try again, or use another method.".into())
        })
    }

    /// Finishes adding SMS codes with the texted code. Returns new recovery codes if this is the
    /// user's first factor.
    pub async fn confirm_sms(&self, actor: &Actor, code: &str) -> Result<Vec<String>> {
        let sid = acting_user(actor)?.clone();
        let now = self.now();
        let mut tx = self.store.write().await?;
        let factors = tx.second_factors(&sid).await?;
        let factor = factors
            .iter()
            .find(|f| f.kind == SecondFactorKind::Sms && f.confirmed_at.is_none())
            .ok_or_else(|| Error::Precondition("Start again: enter your phone number.".into()))?
            .clone();
        if tx.use_token(&code_hash(&sid, code), TokenPurpose::SmsCode, now).await?.is_none() {
            return Err(Error::invalid("code", "that code is not right, or it expired"));
        }
        tx.upsert_second_factor(&SecondFactor { confirmed_at: Some(now), ..factor }).await?;
        let first = !factors.iter().any(|f| f.confirmed_at.is_some());
        let codes = if first { self.store_recovery_codes(&mut *tx, &sid).await? } else { Vec::new() };
        append_user_event(
            &mut *tx,
            AuditEvent::new(actor, "user.two_factor_enabled", sid.as_str(), now).with_details(json!({ "kind": "sms" })),
            &sid,
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Checks a proof inside the caller's transaction. `Ok(Some(n))` for a recovery code (n left).
    async fn check_proof(
        &self,
        tx: &mut dyn Tx,
        user: &User,
        proof: &SecondFactorProof,
    ) -> Result<Option<Option<u64>>> {
        let now = self.now();
        let factors = tx.second_factors(&user.sid).await?;
        let ok = match proof {
            SecondFactorProof::Totp(code) => {
                let Some(f) = factors.iter().find(|f| f.kind == SecondFactorKind::Totp && f.confirmed_at.is_some())
                else {
                    return Ok(None);
                };
                let secret = f.secret.clone().ok_or_else(|| Error::Internal("TOTP factor without secret".into()))?;
                match totp(&secret, user.email.as_str())?.check(code.trim(), unix(self)) {
                    // RFC 6238 §5.2: a code is accepted once.
                    Some(step) => tx.advance_totp_step(&user.sid, i64::try_from(step).unwrap_or(i64::MAX)).await?,
                    None => false,
                }
            }
            SecondFactorProof::Sms(code) => {
                factors.iter().any(|f| f.kind == SecondFactorKind::Sms && f.confirmed_at.is_some())
                    && tx.use_token(&code_hash(&user.sid, code), TokenPurpose::SmsCode, now).await?.is_some()
            }
            SecondFactorProof::Recovery(code) => {
                if tx.use_recovery_code(&user.sid, &code_hash(&user.sid, code), now).await? {
                    return Ok(Some(Some(tx.remaining_recovery_codes(&user.sid).await?)));
                }
                false
            }
        };
        Ok(ok.then_some(None))
    }

    /// Texts a sign-in code to the phone of the user behind a half-signed-in session.
    pub async fn send_sign_in_sms(&self, session_token: &str) -> Result<String> {
        let (user, session) = self.authenticate(session_token).await?;
        if session.stage != SessionStage::SecondFactor {
            return Err(Error::Precondition("You are already signed in.".into()));
        }
        let mut tx = self.store.write().await?;
        let phone = tx
            .second_factors(&user.sid)
            .await?
            .into_iter()
            .find(|f| f.kind == SecondFactorKind::Sms && f.confirmed_at.is_some())
            .and_then(|f| f.phone)
            .ok_or_else(|| Error::Precondition("No phone is set up for codes by text message.".into()))?;
        let keys = throttle::keys("sms_send", user.sid.as_str(), session.ip.as_deref());
        throttle::ensure_allowed(&mut *tx, &keys, self.now()).await?;
        throttle::record_failure(&mut *tx, &keys, self.now()).await?;
        let code = self.queue_sms_code(&mut *tx, &user).await?;
        tx.commit().await?;
        self.send_sms(&phone, &code).await?;
        Ok(phone.masked())
    }

    /// Completes a sign-in with the second factor. Attempts are throttled per user and address.
    /// Returns how many recovery codes are left when one was used.
    pub async fn complete_second_factor(
        &self,
        session_token: &str,
        proof: SecondFactorProof,
        ip: Option<String>,
    ) -> Result<Option<u64>> {
        let (user, session) = self.authenticate(session_token).await?;
        if session.stage != SessionStage::SecondFactor {
            return Err(Error::Precondition("You are already signed in.".into()));
        }
        let now = self.now();
        let actor = Actor { kind: ActorKind::User(user.sid.clone()), source_ip: ip.clone() };
        let keys = throttle::keys("second_factor", user.sid.as_str(), ip.as_deref());
        let mut tx = self.store.write().await?;
        throttle::ensure_allowed(&mut *tx, &keys, now).await?;
        match self.check_proof(&mut *tx, &user, &proof).await? {
            Some(recovery_left) => {
                throttle::record_success(&mut *tx, &keys).await?;
                tx.set_session_stage(&session.token_hash, SessionStage::Full).await?;
                tx.record_login(&user.sid, now).await?;
                let method = match proof {
                    SecondFactorProof::Totp(_) => "totp",
                    SecondFactorProof::Sms(_) => "sms",
                    SecondFactorProof::Recovery(_) => "recovery_code",
                };
                let event = AuditEvent::new(&actor, "user.signed_in", user.sid.as_str(), now)
                    .with_details(json!({ "second_factor": method, "recovery_codes_left": recovery_left }));
                tx.append_audit(&scoped(event, &user)).await?;
                tx.commit().await?;
                Ok(recovery_left)
            }
            None => {
                throttle::record_failure(&mut *tx, &keys, now).await?;
                let event = AuditEvent::new(&actor, "user.second_factor_failed", user.sid.as_str(), now);
                tx.append_audit(&scoped(event, &user)).await?;
                tx.commit().await?;
                Err(Error::invalid("code", "that code is not right"))
            }
        }
    }

    /// Turns two-factor authentication off; needs a current code or a recovery code. Refused
    /// while the user's organization or an admin requires it.
    pub async fn disable_two_factor(&self, actor: &Actor, proof: SecondFactorProof) -> Result<()> {
        let sid = acting_user(actor)?.clone();
        let now = self.now();
        let keys = throttle::keys("second_factor", sid.as_str(), actor.source_ip.as_deref());
        let mut tx = self.store.write().await?;
        let user = tx.user(&sid).await?.ok_or(Error::Unauthenticated)?;
        if self.two_factor_required(&mut *tx, &user).await? {
            return Err(Error::Precondition("Your organization requires two-factor authentication.".into()));
        }
        throttle::ensure_allowed(&mut *tx, &keys, now).await?;
        if self.check_proof(&mut *tx, &user, &proof).await?.is_none() {
            throttle::record_failure(&mut *tx, &keys, now).await?;
            tx.commit().await?;
            return Err(Error::invalid("code", "that code is not right"));
        }
        tx.delete_second_factors(&sid).await?;
        append_user_event(&mut *tx, AuditEvent::new(actor, "user.two_factor_disabled", sid.as_str(), now), &sid)
            .await?;
        tx.commit().await
    }
}
