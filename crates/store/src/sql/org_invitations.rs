//! SQL for invitations to organizations, and making a user a managed user.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::invitation::{InvitationStatus, OrgInvitation, org_role_key, parse_invited_org_role};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::sid::{InvitationSid, OrganizationSid, UserSid};
use gatehouse_domain::store::OrgInvitationsTx;
use gatehouse_domain::user::Email;

use super::EngineTx;
use super::access::{Guests, refresh_guests};
use super::rows::{Keyset, Row, Run, corrupt, get};

macro_rules! columns {
    () => {
        "sid, organization_sid, email, org_role, invited_by, token_hash, status, created_at, expires_at, updated_at"
    };
}

fn invitation(r: &Row) -> Result<OrgInvitation> {
    Ok(OrgInvitation {
        sid: InvitationSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        organization_sid: OrganizationSid::parse(&get::<String>(r, "organization_sid")?).map_err(corrupt)?,
        email: Email::parse(&get::<String>(r, "email")?).map_err(corrupt)?,
        role: parse_invited_org_role(&get::<String>(r, "org_role")?).map_err(corrupt)?,
        invited_by: get::<Option<String>>(r, "invited_by")?.map(|s| UserSid::parse(&s)).transpose().map_err(corrupt)?,
        token_hash: get(r, "token_hash")?,
        status: InvitationStatus::parse(&get::<String>(r, "status")?).map_err(corrupt)?,
        created_at: get(r, "created_at")?,
        expires_at: get(r, "expires_at")?,
        updated_at: get(r, "updated_at")?,
    })
}

#[async_trait]
impl OrgInvitationsTx for EngineTx {
    async fn insert_org_invitation(&mut self, i: &OrgInvitation) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO org_invitations (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(i.sid.as_str())
        .bind(i.organization_sid.as_str())
        .bind(i.email.as_str())
        .bind(org_role_key(i.role))
        .bind(i.invited_by.as_ref().map(|s| s.as_str()))
        .bind(&i.token_hash)
        .bind(i.status.as_str())
        .bind(i.created_at)
        .bind(i.expires_at)
        .bind(i.updated_at)
        .run(&mut self.tx)
        .await
    }

    async fn update_org_invitation(&mut self, i: &OrgInvitation) -> Result<()> {
        sqlx::query(
            "UPDATE org_invitations SET org_role = $3, token_hash = $4, status = $5, expires_at = $6, updated_at = $7 \
             WHERE organization_sid = $1 AND sid = $2",
        )
        .bind(i.organization_sid.as_str())
        .bind(i.sid.as_str())
        .bind(org_role_key(i.role))
        .bind(&i.token_hash)
        .bind(i.status.as_str())
        .bind(i.expires_at)
        .bind(i.updated_at)
        .run(&mut self.tx)
        .await
    }

    async fn org_invitation(&mut self, org: &OrganizationSid, sid: &InvitationSid) -> Result<Option<OrgInvitation>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM org_invitations WHERE organization_sid = $1 AND sid = $2"))
            .bind(org.as_str())
            .bind(sid.as_str())
            .optional(&mut self.tx, invitation)
            .await
    }

    async fn org_invitation_by_token(&mut self, token_hash: &str) -> Result<Option<OrgInvitation>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM org_invitations WHERE token_hash = $1"))
            .bind(token_hash)
            .optional(&mut self.tx, invitation)
            .await
    }

    async fn pending_org_invitation(&mut self, org: &OrganizationSid, email: &Email) -> Result<Option<OrgInvitation>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM org_invitations WHERE organization_sid = $1 AND lower(email) = lower($2) AND status = 'pending'"
        ))
        .bind(org.as_str())
        .bind(email.as_str())
        .optional(&mut self.tx, invitation)
        .await
    }

    async fn pending_org_invitations(
        &mut self,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<OrgInvitation>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM org_invitations WHERE organization_sid = $1 AND status = 'pending' \
               AND sid > $2 AND ($3 IS NULL OR lower(email) LIKE $3 ESCAPE '\\') \
             ORDER BY sid LIMIT $4"
        ))
        .bind(org.as_str())
        .page(&mut self.tx, page, Keyset::Ascending, invitation, |i| i.sid.to_string())
        .await
    }

    async fn set_user_organization(
        &mut self,
        user: &UserSid,
        org: Option<&OrganizationSid>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("UPDATE users SET organization_sid = $2, updated_at = $3 WHERE sid = $1")
            .bind(user.as_str())
            .bind(org.map(|o| o.as_str()))
            .bind(at)
            .run(&mut self.tx)
            .await?;
        refresh_guests(&mut self.tx, Guests::OfUser, user.as_str()).await
    }

    async fn org_invitations_sent_by(&mut self, user: &UserSid) -> Result<Vec<OrgInvitation>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM org_invitations WHERE invited_by = $1 AND status = 'pending' ORDER BY sid"
        ))
        .bind(user.as_str())
        .all(&mut self.tx, invitation)
        .await
    }
}
