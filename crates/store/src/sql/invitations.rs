//! SQL for invitations to accounts.

use async_trait::async_trait;
use gatehouse_domain::Result;
use gatehouse_domain::invitation::{Invitation, InvitationStatus};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::sid::{AccountSid, InvitationSid, UserSid};
use gatehouse_domain::store::InvitationsTx;
use gatehouse_domain::user::Email;

use super::EngineTx;
use super::rows::{Keyset, Row, Run, corrupt, get};

macro_rules! columns {
    () => {
        "sid, account_sid, email, roles, invited_by, token_hash, status, created_at, expires_at, updated_at"
    };
}

fn invitation(r: &Row) -> Result<Invitation> {
    Ok(Invitation {
        sid: InvitationSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        account_sid: AccountSid::parse(&get::<String>(r, "account_sid")?).map_err(corrupt)?,
        email: Email::parse(&get::<String>(r, "email")?).map_err(corrupt)?,
        roles: Invitation::parse_roles(&get::<String>(r, "roles")?).map_err(corrupt)?,
        invited_by: get::<Option<String>>(r, "invited_by")?.map(|s| UserSid::parse(&s)).transpose().map_err(corrupt)?,
        token_hash: get(r, "token_hash")?,
        status: InvitationStatus::parse(&get::<String>(r, "status")?).map_err(corrupt)?,
        created_at: get(r, "created_at")?,
        expires_at: get(r, "expires_at")?,
        updated_at: get(r, "updated_at")?,
    })
}

#[async_trait]
impl InvitationsTx for EngineTx {
    async fn insert_invitation(&mut self, i: &Invitation) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO invitations (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(i.sid.as_str())
        .bind(i.account_sid.as_str())
        .bind(i.email.as_str())
        .bind(i.roles_text())
        .bind(i.invited_by.as_ref().map(|s| s.as_str()))
        .bind(&i.token_hash)
        .bind(i.status.as_str())
        .bind(i.created_at)
        .bind(i.expires_at)
        .bind(i.updated_at)
        .run(&mut self.tx)
        .await
    }

    async fn update_invitation(&mut self, i: &Invitation) -> Result<()> {
        sqlx::query(
            "UPDATE invitations SET roles = $3, token_hash = $4, status = $5, expires_at = $6, updated_at = $7 \
             WHERE account_sid = $1 AND sid = $2",
        )
        .bind(i.account_sid.as_str())
        .bind(i.sid.as_str())
        .bind(i.roles_text())
        .bind(&i.token_hash)
        .bind(i.status.as_str())
        .bind(i.expires_at)
        .bind(i.updated_at)
        .run(&mut self.tx)
        .await
    }

    async fn invitation(&mut self, account: &AccountSid, sid: &InvitationSid) -> Result<Option<Invitation>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM invitations WHERE account_sid = $1 AND sid = $2"))
            .bind(account.as_str())
            .bind(sid.as_str())
            .optional(&mut self.tx, invitation)
            .await
    }

    async fn invitation_by_token(&mut self, token_hash: &str) -> Result<Option<Invitation>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM invitations WHERE token_hash = $1"))
            .bind(token_hash)
            .optional(&mut self.tx, invitation)
            .await
    }

    async fn pending_invitation(&mut self, account: &AccountSid, email: &Email) -> Result<Option<Invitation>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM invitations WHERE account_sid = $1 AND lower(email) = lower($2) AND status = 'pending'"
        ))
        .bind(account.as_str())
        .bind(email.as_str())
        .optional(&mut self.tx, invitation)
        .await
    }

    async fn pending_invitations(&mut self, account: &AccountSid, page: &PageRequest) -> Result<Page<Invitation>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM invitations WHERE account_sid = $1 AND status = 'pending' \
               AND sid > $2 AND ($3 IS NULL OR lower(email) LIKE $3 ESCAPE '\\') \
             ORDER BY sid LIMIT $4"
        ))
        .bind(account.as_str())
        .page(&mut self.tx, page, Keyset::Ascending, invitation, |i| i.sid.to_string())
        .await
    }

    async fn invitations_sent_by(&mut self, user: &UserSid) -> Result<Vec<Invitation>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM invitations WHERE invited_by = $1 AND status = 'pending' ORDER BY sid"
        ))
        .bind(user.as_str())
        .all(&mut self.tx, invitation)
        .await
    }
}
