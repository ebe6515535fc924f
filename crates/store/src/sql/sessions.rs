//! SQL for web sessions and the first-run setup token.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::session::{Session, SessionStage};
use gatehouse_domain::sid::UserSid;
use gatehouse_domain::store::SessionsTx;
use gatehouse_domain::{Error, Result};

use super::EngineTx;
use super::rows::{Row, Run, corrupt, get};

#[async_trait]
impl SessionsTx for EngineTx {
    async fn insert_session(&mut self, s: &Session) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_sid, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent, stage) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&s.token_hash)
        .bind(s.user_sid.as_str())
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.expires_at)
        .bind(s.ip.as_deref())
        .bind(s.user_agent.as_deref())
        .bind(s.stage.as_str())
        .run(&mut self.tx).await
    }

    async fn session(&mut self, token_hash: &str) -> Result<Option<Session>> {
        sqlx::query(
            "SELECT token_hash, user_sid, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent, stage \
             FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .optional(&mut self.tx, session)
        .await
    }

    async fn user_sessions(&mut self, user: &UserSid) -> Result<Vec<Session>> {
        sqlx::query(
            "SELECT token_hash, user_sid, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent, stage \
             FROM sessions WHERE user_sid = $1 ORDER BY created_at DESC",
        )
        .bind(user.as_str())
        .all(&mut self.tx, session)
        .await
    }

    async fn delete_user_sessions_except(&mut self, user: &UserSid, keep_hash: &str) -> Result<u64> {
        sqlx::query("DELETE FROM sessions WHERE user_sid = $1 AND token_hash <> $2")
            .bind(user.as_str())
            .bind(keep_hash)
            .affected(&mut self.tx)
            .await
    }

    async fn set_session_stage(&mut self, token_hash: &str, stage: SessionStage) -> Result<()> {
        sqlx::query("UPDATE sessions SET stage = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(stage.as_str())
            .run(&mut self.tx)
            .await
    }

    async fn touch_session(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).run(&mut self.tx).await
    }

    async fn delete_user_sessions(&mut self, user: &UserSid) -> Result<u64> {
        sqlx::query("DELETE FROM sessions WHERE user_sid = $1").bind(user.as_str()).affected(&mut self.tx).await
    }

    async fn add_setup_token(
        &mut self,
        token_hash: &str,
        at: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()> {
        let c = &mut *self.tx;
        sqlx::query("DELETE FROM setup_tokens WHERE created_at < $1").bind(stale_before).run(c).await?;
        sqlx::query("INSERT INTO setup_tokens (token_hash, created_at) VALUES ($1, $2)")
            .bind(token_hash)
            .bind(at)
            .run(c)
            .await
    }

    async fn setup_token_valid(&mut self, token_hash: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM setup_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .row(&mut self.tx)
            .await?;
        Ok(row.is_some())
    }

    async fn consume_setup_token(&mut self, token_hash: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM setup_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .affected(&mut self.tx)
            .await?;
        if done == 1 {
            sqlx::query("DELETE FROM setup_tokens").run(&mut self.tx).await?;
        }
        Ok(done == 1)
    }

    async fn put_session_flash(&mut self, token_hash: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO session_flashes (token_hash, value) VALUES ($1, $2) \
             ON CONFLICT (token_hash) DO UPDATE SET value = excluded.value",
        )
        .bind(token_hash)
        .bind(value)
        .run(&mut self.tx)
        .await
    }

    async fn take_session_flash(&mut self, token_hash: &str) -> Result<Option<String>> {
        let row = sqlx::query("DELETE FROM session_flashes WHERE token_hash = $1 RETURNING value")
            .bind(token_hash)
            .row(&mut self.tx)
            .await?;
        row.map(|r| get(&r, "value")).transpose()
    }
}

fn session(r: &Row) -> Result<Session> {
    Ok(Session {
        token_hash: get(r, "token_hash")?,
        user_sid: UserSid::parse(&get::<String>(r, "user_sid")?).map_err(corrupt)?,
        csrf_token: get(r, "csrf_token")?,
        created_at: get(r, "created_at")?,
        last_seen_at: get(r, "last_seen_at")?,
        expires_at: get(r, "expires_at")?,
        ip: get(r, "ip")?,
        user_agent: get(r, "user_agent")?,
        stage: SessionStage::parse(&get::<String>(r, "stage")?)
            .ok_or_else(|| Error::Internal("unknown session stage".into()))?,
    })
}
