//! SQL for pending ownership transfers: an account's in `owner_nominations`, an organization's in
//! `organization_owner_nominations` (each table keyed by its scope, with a foreign key to it).

use async_trait::async_trait;
use gatehouse_domain::Result;
use gatehouse_domain::membership::ScopeRef;
use gatehouse_domain::nomination::OwnerNomination;
use gatehouse_domain::sid::UserSid;
use gatehouse_domain::store::NominationsTx;
use sqlx::AssertSqlSafe;

use super::EngineTx;
use super::rows::{Run, corrupt, get};

/// The table holding a scope's offer, and its key column.
fn table(scope: &ScopeRef) -> (&'static str, &'static str) {
    match scope {
        ScopeRef::Account(_) => ("owner_nominations", "account_sid"),
        ScopeRef::Organization(_) => ("organization_owner_nominations", "organization_sid"),
    }
}

#[async_trait]
impl NominationsTx for EngineTx {
    async fn put_owner_nomination(&mut self, n: &OwnerNomination) -> Result<()> {
        self.delete_owner_nomination(&n.scope).await?;
        let (table, key) = table(&n.scope);
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {table} ({key}, nominee_sid, nominated_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)"
        )))
        .bind(n.scope.sid_str())
        .bind(n.nominee.as_str())
        .bind(n.nominated_by.as_str())
        .bind(n.created_at)
        .bind(n.expires_at)
        .run(&mut self.tx)
        .await
    }

    async fn owner_nomination(&mut self, scope: &ScopeRef) -> Result<Option<OwnerNomination>> {
        let (table, key) = table(scope);
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT nominee_sid, nominated_by, created_at, expires_at FROM {table} WHERE {key} = $1"
        )))
        .bind(scope.sid_str())
        .row(&mut self.tx)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(OwnerNomination {
            scope: scope.clone(),
            nominee: UserSid::parse(&get::<String>(&r, "nominee_sid")?).map_err(corrupt)?,
            nominated_by: UserSid::parse(&get::<String>(&r, "nominated_by")?).map_err(corrupt)?,
            created_at: get(&r, "created_at")?,
            expires_at: get(&r, "expires_at")?,
        }))
    }

    async fn delete_owner_nomination(&mut self, scope: &ScopeRef) -> Result<()> {
        let (table, key) = table(scope);
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE {key} = $1")))
            .bind(scope.sid_str())
            .run(&mut self.tx)
            .await
    }
}
