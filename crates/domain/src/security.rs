//! Sign-in security state: outbox emails, one-time tokens, second factors, throttles, phone
//! numbers. Pure data and rules; delivery and hashing live in the app.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::sid::{AccountSid, EmailSid, OrganizationSid, UserSid};
use crate::user::Email;

/// Where an outbox email stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EmailStatus {
    Pending,
    Sent,
    Failed,
}

impl EmailStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Pending => "pending",
            EmailStatus::Sent => "sent",
            EmailStatus::Failed => "failed",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "pending" => Ok(EmailStatus::Pending),
            "sent" => Ok(EmailStatus::Sent),
            "failed" => Ok(EmailStatus::Failed),
            _ => Err(Error::invalid("status", "must be pending, sent or failed")),
        }
    }
}

/// An email written in the same transaction as the change that causes it, delivered later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEmail {
    pub sid: EmailSid,
    pub recipient: Email,
    pub subject: String,
    pub body: String,
    /// What the email is for, e.g. `verify_email`, `reset_password`.
    pub kind: String,
    /// Who may read it on a local outbox page: admins of this organization or account.
    pub organization_sid: Option<OrganizationSid>,
    pub account_sid: Option<AccountSid>,
    pub status: EmailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl OutboxEmail {
    /// A new pending email, due now.
    pub fn new(recipient: Email, subject: String, body: String, kind: &str, now: DateTime<Utc>) -> Self {
        OutboxEmail {
            sid: EmailSid::generate(),
            recipient,
            subject,
            body,
            kind: kind.to_owned(),
            organization_sid: None,
            account_sid: None,
            status: EmailStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            sent_at: None,
            last_error: None,
            created_at: now,
        }
    }
}

/// Give up on an email after this many failed attempts.
pub const MAX_EMAIL_ATTEMPTS: i32 = 8;

/// What happened when a worker tried to deliver an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailOutcome {
    Sent {
        at: DateTime<Utc>,
    },
    /// Try again at `next_attempt_at`.
    Retry {
        attempts: i32,
        next_attempt_at: DateTime<Utc>,
        error: String,
    },
    /// Permanently failed (rejected, or too many attempts).
    Failed {
        attempts: i32,
        error: String,
    },
}

/// Exponential backoff for email retries: 30 s, 1 min, 2 min … capped at 1 hour.
pub fn email_retry_delay(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 8) - 1;
    Duration::seconds((30i64 << exp).min(3600))
}

/// What a one-time token proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    SmsCode,
}

impl TokenPurpose {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
            TokenPurpose::SmsCode => "sms_code",
        }
    }

    /// How long a token of this purpose lives.
    pub fn lifetime(self) -> Duration {
        match self {
            TokenPurpose::VerifyEmail => Duration::hours(24),
            TokenPurpose::ResetPassword => Duration::hours(1),
            TokenPurpose::SmsCode => Duration::minutes(10),
        }
    }
}

/// A single-use secret sent to a user (stored hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeToken {
    pub token_hash: String,
    pub purpose: TokenPurpose,
    pub user_sid: UserSid,
    /// The address the token was sent to (what verifying proves).
    pub email: Email,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The kinds of second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SecondFactorKind {
    Totp,
    Sms,
}

impl SecondFactorKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            SecondFactorKind::Totp => "totp",
            SecondFactorKind::Sms => "sms",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "totp" => Ok(SecondFactorKind::Totp),
            "sms" => Ok(SecondFactorKind::Sms),
            _ => Err(Error::invalid("kind", "must be totp or sms")),
        }
    }
}

/// An enrolled (or enrolling) second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondFactor {
    pub user_sid: UserSid,
    pub kind: SecondFactorKind,
    /// The TOTP secret, base32.
    pub secret: Option<String>,
    pub phone: Option<PhoneNumber>,
    /// Set once the user proved the factor works; unconfirmed factors do not count.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The last TOTP time step accepted, so a code is never accepted twice.
    pub last_used_step: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// A phone number in E.164 form: `+` and 8–15 digits, the first not 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts spaces, dashes, dots and parentheses as separators and removes them.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        let digits = compact.strip_prefix('+').unwrap_or_default();
        let ok = compact.starts_with('+')
            && (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if ok {
            Ok(PhoneNumber(compact))
        } else {
            Err(Error::invalid("phone", "enter the number in international form, e.g. +14155550123"))
        }
    }

    /// The E.164 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but the last two digits hidden, for display.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        format!("{}{}", "•".repeat(n.saturating_sub(2)), &self.0[n.saturating_sub(2)..])
    }
}

/// Failed attempts against one key (a user or a source address, per action), shared by nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttle {
    pub key: String,
    pub failures: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// Failures allowed against one target (an email, a user), or one target from one address,
/// before a temporary lock.
pub const THROTTLE_FREE_FAILURES: i32 = 5;

/// Failures allowed from one address across all targets before it is locked. Much higher than
/// per target: a whole office behind one NAT address shares it, and one person's typos must
/// not lock out the others; it still stops one address from spraying guesses at many users.
pub const THROTTLE_FREE_FAILURES_PER_ADDRESS: i32 = 100;

impl Throttle {
    /// The throttle after one more failure at `now`: once more than `free` failures are counted,
    /// the key is locked for a delay that doubles each time (1 s, 2 s, 4 s … capped at 15
    /// minutes). Failures older than an hour are forgotten.
    pub fn after_failure(previous: Option<Throttle>, key: &str, free: i32, now: DateTime<Utc>) -> Throttle {
        let failures = match previous {
            Some(t) if now - t.updated_at < Duration::hours(1) => t.failures + 1,
            _ => 1,
        };
        let over = failures - free;
        let locked_until = (over > 0).then(|| now + Duration::seconds((1i64 << (over - 1).min(10)).min(900)));
        Throttle { key: key.to_owned(), failures, locked_until, updated_at: now }
    }

    /// How long until the key may try again, if it is locked.
    pub fn wait(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.locked_until.filter(|until| *until > now).map(|until| until - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_must_be_e164() {
        assert_eq!(PhoneNumber::parse("+1 (415) 555-0123").unwrap().as_str(), "+14155550123");
        for bad in ["", "4155550123", "+0123456789", "+1234", "+1234567890123456", "+1415555O123"] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(PhoneNumber::parse("+14155550123").unwrap().masked(), "••••••••••23");
    }

    #[test]
    fn throttles_lock_after_five_failures_with_growing_delays() {
        let now = Utc::now();
        let mut t = None;
        for _ in 0..5 {
            t = Some(Throttle::after_failure(t, "k", THROTTLE_FREE_FAILURES, now));
        }
        assert_eq!(t.as_ref().unwrap().wait(now), None, "five failures are free");
        let sixth = Throttle::after_failure(t, "k", THROTTLE_FREE_FAILURES, now);
        assert_eq!(sixth.wait(now), Some(Duration::seconds(1)));
        let seventh = Throttle::after_failure(Some(sixth), "k", THROTTLE_FREE_FAILURES, now);
        assert_eq!(seventh.wait(now), Some(Duration::seconds(2)));
        let later = Throttle::after_failure(Some(seventh), "k", THROTTLE_FREE_FAILURES, now + Duration::hours(2));
        assert_eq!(later.failures, 1, "old failures are forgotten");
    }

    #[test]
    fn email_retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(email_retry_delay(1), Duration::seconds(30));
        assert_eq!(email_retry_delay(2), Duration::seconds(60));
        assert_eq!(email_retry_delay(8), Duration::seconds(3600));
    }
}
