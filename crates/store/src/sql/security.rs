//! SQL for the email outbox, one-time tokens, second factors, recovery codes and throttles.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::audit::AuditScope;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::security::{
    EmailOutcome, EmailStatus, OneTimeToken, OutboxEmail, PhoneNumber, SecondFactor, SecondFactorKind, Throttle,
    TokenPurpose,
};
use gatehouse_domain::sid::{AccountSid, EmailSid, OrganizationSid, UserSid};
use gatehouse_domain::store::SecurityTx;
use gatehouse_domain::user::Email;
use gatehouse_domain::{Error, Result};
use sqlx::AssertSqlSafe;

use super::rows::{Conn, Keyset, Row, Run, corrupt, get};
use super::{EngineTx, dialect};

macro_rules! email_columns {
    () => {
        "sid, recipient, subject, body, kind, organization_sid, account_sid, status, attempts, next_attempt_at, \
         sent_at, last_error, created_at"
    };
}

fn email(r: &Row) -> Result<OutboxEmail> {
    Ok(OutboxEmail {
        sid: EmailSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        recipient: Email::parse(&get::<String>(r, "recipient")?).map_err(corrupt)?,
        subject: get(r, "subject")?,
        body: get(r, "body")?,
        kind: get(r, "kind")?,
        organization_sid: get::<Option<String>>(r, "organization_sid")?
            .map(|s| OrganizationSid::parse(&s))
            .transpose()
            .map_err(corrupt)?,
        account_sid: get::<Option<String>>(r, "account_sid")?
            .map(|s| AccountSid::parse(&s))
            .transpose()
            .map_err(corrupt)?,
        status: EmailStatus::parse(&get::<String>(r, "status")?).map_err(corrupt)?,
        attempts: get(r, "attempts")?,
        next_attempt_at: get(r, "next_attempt_at")?,
        sent_at: get(r, "sent_at")?,
        last_error: get(r, "last_error")?,
        created_at: get(r, "created_at")?,
    })
}

#[async_trait]
impl SecurityTx for EngineTx {
    async fn enqueue_email(&mut self, e: &OutboxEmail) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO email_outbox (",
            email_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(e.sid.as_str())
        .bind(e.recipient.as_str())
        .bind(&e.subject)
        .bind(&e.body)
        .bind(&e.kind)
        .bind(e.organization_sid.as_ref().map(|s| s.as_str()))
        .bind(e.account_sid.as_ref().map(|s| s.as_str()))
        .bind(e.status.as_str())
        .bind(e.attempts)
        .bind(e.next_attempt_at)
        .bind(e.sent_at)
        .bind(e.last_error.as_deref())
        .bind(e.created_at)
        .run(&mut self.tx)
        .await
    }

    async fn claim_emails(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxEmail>> {
        let sql = format!(
            concat!(
                "UPDATE email_outbox SET locked_until = $2 WHERE sid IN (\
                   SELECT sid FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
                     AND (locked_until IS NULL OR locked_until <= $1) ORDER BY next_attempt_at LIMIT $3{}) \
                 RETURNING ",
                email_columns!()
            ),
            dialect::CLAIM_ROWS
        );
        sqlx::query(AssertSqlSafe(sql)).bind(now).bind(lease_until).bind(limit).all(&mut self.tx, email).await
    }

    async fn record_email_attempt(&mut self, sid: &EmailSid, outcome: &EmailOutcome) -> Result<()> {
        let q = match outcome {
            EmailOutcome::Sent { at } => sqlx::query(
                "UPDATE email_outbox SET status = 'sent', sent_at = $2, attempts = attempts + 1, locked_until = NULL, \
                 last_error = NULL WHERE sid = $1",
            )
            .bind(sid.as_str())
            .bind(*at),
            EmailOutcome::Retry { attempts, next_attempt_at, error } => sqlx::query(
                "UPDATE email_outbox SET attempts = $2, next_attempt_at = $3, last_error = $4, locked_until = NULL \
                 WHERE sid = $1",
            )
            .bind(sid.as_str())
            .bind(*attempts)
            .bind(*next_attempt_at)
            .bind(error.as_str()),
            EmailOutcome::Failed { attempts, error } => sqlx::query(
                "UPDATE email_outbox SET status = 'failed', attempts = $2, last_error = $3, locked_until = NULL \
                 WHERE sid = $1",
            )
            .bind(sid.as_str())
            .bind(*attempts)
            .bind(error.as_str()),
        };
        q.run(&mut self.tx).await
    }

    async fn outbox(&mut self, scope: &AuditScope, page: &PageRequest) -> Result<Page<OutboxEmail>> {
        let (account, org) = match scope {
            AuditScope::Account(a) => (Some(a.as_str()), None),
            AuditScope::Organization(o) => (None, Some(o.as_str())),
        };
        sqlx::query(concat!(
            "SELECT ",
            email_columns!(),
            " FROM email_outbox \
             WHERE (($1 IS NOT NULL AND account_sid = $1) OR ($2 IS NOT NULL AND organization_sid = $2)) \
               AND sid < $3 \
               AND ($4 IS NULL OR lower(recipient) LIKE $4 ESCAPE '\\' OR lower(subject) LIKE $4 ESCAPE '\\') \
             ORDER BY sid DESC LIMIT $5"
        ))
        .bind(account)
        .bind(org)
        .page(&mut self.tx, page, Keyset::Descending, email, |e| e.sid.to_string())
        .await
    }

    async fn insert_token(&mut self, t: &OneTimeToken) -> Result<()> {
        sqlx::query(
            "INSERT INTO one_time_tokens (token_hash, purpose, user_sid, email, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&t.token_hash)
        .bind(t.purpose.as_str())
        .bind(t.user_sid.as_str())
        .bind(t.email.as_str())
        .bind(t.created_at)
        .bind(t.expires_at)
        .run(&mut self.tx)
        .await
    }

    async fn use_token(
        &mut self,
        hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>> {
        let row = sqlx::query(
            "UPDATE one_time_tokens SET used_at = $3 \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
             RETURNING token_hash, user_sid, email, created_at, expires_at",
        )
        .bind(hash)
        .bind(purpose.as_str())
        .bind(now)
        .row(&mut self.tx)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(OneTimeToken {
            token_hash: get(&r, "token_hash")?,
            purpose,
            user_sid: UserSid::parse(&get::<String>(&r, "user_sid")?).map_err(corrupt)?,
            email: Email::parse(&get::<String>(&r, "email")?).map_err(corrupt)?,
            created_at: get(&r, "created_at")?,
            expires_at: get(&r, "expires_at")?,
        }))
    }

    async fn delete_user_tokens(&mut self, user: &UserSid, purpose: TokenPurpose) -> Result<()> {
        sqlx::query("DELETE FROM one_time_tokens WHERE user_sid = $1 AND purpose = $2")
            .bind(user.as_str())
            .bind(purpose.as_str())
            .run(&mut self.tx)
            .await
    }

    async fn upsert_second_factor(&mut self, f: &SecondFactor) -> Result<()> {
        sqlx::query(
            "INSERT INTO second_factors (user_sid, kind, secret, phone, confirmed_at, last_used_step, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (user_sid, kind) DO UPDATE SET secret = excluded.secret, phone = excluded.phone, \
               confirmed_at = excluded.confirmed_at, last_used_step = excluded.last_used_step, \
               created_at = excluded.created_at",
        )
        .bind(f.user_sid.as_str())
        .bind(f.kind.as_str())
        .bind(f.secret.as_deref())
        .bind(f.phone.as_ref().map(|p| p.as_str()))
        .bind(f.confirmed_at)
        .bind(f.last_used_step)
        .bind(f.created_at)
        .run(&mut self.tx)
        .await
    }

    async fn second_factors(&mut self, user: &UserSid) -> Result<Vec<SecondFactor>> {
        let rows = sqlx::query(
            "SELECT user_sid, kind, secret, phone, confirmed_at, last_used_step, created_at \
             FROM second_factors WHERE user_sid = $1 ORDER BY kind",
        )
        .bind(user.as_str())
        .rows(&mut self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SecondFactor {
                    user_sid: UserSid::parse(&get::<String>(r, "user_sid")?).map_err(corrupt)?,
                    kind: SecondFactorKind::parse(&get::<String>(r, "kind")?).map_err(corrupt)?,
                    secret: get(r, "secret")?,
                    phone: get::<Option<String>>(r, "phone")?
                        .map(|p| PhoneNumber::parse(&p))
                        .transpose()
                        .map_err(corrupt)?,
                    confirmed_at: get(r, "confirmed_at")?,
                    last_used_step: get(r, "last_used_step")?,
                    created_at: get(r, "created_at")?,
                })
            })
            .collect()
    }

    async fn delete_second_factors(&mut self, user: &UserSid) -> Result<()> {
        let c = &mut *self.tx;
        sqlx::query("DELETE FROM second_factors WHERE user_sid = $1").bind(user.as_str()).run(c).await?;
        delete_recovery_codes(c, user).await
    }

    async fn advance_totp_step(&mut self, user: &UserSid, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE second_factors SET last_used_step = $2 \
             WHERE user_sid = $1 AND kind = 'totp' AND (last_used_step IS NULL OR last_used_step < $2)",
        )
        .bind(user.as_str())
        .bind(step)
        .affected(&mut self.tx)
        .await?;
        Ok(done == 1)
    }

    async fn replace_recovery_codes(&mut self, user: &UserSid, hashes: &[String], at: DateTime<Utc>) -> Result<()> {
        let c = &mut *self.tx;
        delete_recovery_codes(c, user).await?;
        for hash in hashes {
            sqlx::query("INSERT INTO recovery_codes (user_sid, code_hash, created_at) VALUES ($1, $2, $3)")
                .bind(user.as_str())
                .bind(hash)
                .bind(at)
                .run(c)
                .await?;
        }
        Ok(())
    }

    async fn use_recovery_code(&mut self, user: &UserSid, hash: &str, at: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 WHERE user_sid = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user.as_str())
        .bind(hash)
        .bind(at)
        .affected(&mut self.tx)
        .await?;
        Ok(done == 1)
    }

    async fn remaining_recovery_codes(&mut self, user: &UserSid) -> Result<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_sid = $1 AND used_at IS NULL")
            .bind(user.as_str())
            .one(&mut self.tx)
            .await?;
        u64::try_from(get::<i64>(&row, "n")?).map_err(Error::internal)
    }

    async fn throttle(&mut self, key: &str) -> Result<Option<Throttle>> {
        let row = sqlx::query("SELECT key, failures, locked_until, updated_at FROM throttles WHERE key = $1")
            .bind(key)
            .row(&mut self.tx)
            .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(Throttle {
            key: get(&r, "key")?,
            failures: get(&r, "failures")?,
            locked_until: get(&r, "locked_until")?,
            updated_at: get(&r, "updated_at")?,
        }))
    }

    async fn save_throttle(&mut self, t: &Throttle) -> Result<()> {
        sqlx::query(
            "INSERT INTO throttles (key, failures, locked_until, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, \
               updated_at = excluded.updated_at",
        )
        .bind(&t.key)
        .bind(t.failures)
        .bind(t.locked_until)
        .bind(t.updated_at)
        .run(&mut self.tx)
        .await
    }

    async fn clear_throttle(&mut self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM throttles WHERE key = $1").bind(key).run(&mut self.tx).await
    }

    async fn pending_emails(&mut self) -> Result<u64> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM email_outbox WHERE status = 'pending'").one(&mut self.tx).await?;
        Ok(u64::try_from(get::<i64>(&row, "n")?).unwrap_or_default())
    }
}

async fn delete_recovery_codes(c: &mut Conn, user: &UserSid) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_sid = $1").bind(user.as_str()).run(c).await
}
