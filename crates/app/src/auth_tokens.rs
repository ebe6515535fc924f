//! Accounts' auth tokens: the 2010 API's `AC…:token` credential. Only a hash is kept, so a token
//! is shown when it is made — on rotation in the console (Owner or Administrator), or in the
//! answer that creates a subaccount through the API — and a rotation ends the old one at once.

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::sid::AccountSid;
use gatehouse_domain::store::Tx;
use gatehouse_domain::{Error, Result};

use crate::App;
use crate::members::locked_for;
use crate::secret::{constant_time_eq, new_token, token_hash};

impl App {
    /// Makes a new token for an account inside the caller's transaction and returns it.
    pub(crate) async fn issue_auth_token(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        account: &AccountSid,
    ) -> Result<String> {
        let token = new_token()?[..32].to_owned();
        let now = self.now();
        tx.put_auth_token(account, &token_hash(&token), now).await?;
        let org = tx.account(account).await?.and_then(|a| a.organization_sid);
        tx.append_audit(
            &AuditEvent::new(actor, "account.auth_token_rotated", account.as_str(), now)
                .in_account(account, org.as_ref()),
        )
        .await?;
        Ok(token)
    }

    /// Rotates an account's auth token (Owner or Administrator): the new one is returned once
    /// and the old one stops working.
    pub async fn rotate_auth_token(&self, actor: &Actor, account: &AccountSid) -> Result<String> {
        let mut tx = self.store.write().await?;
        locked_for(&mut *tx, actor, account, Permission::AccountSettingsWrite).await?;
        let token = self.issue_auth_token(&mut *tx, actor, account).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// When the account's auth token was made, if it has one.
    pub async fn auth_token_rotated_at(
        &self,
        actor: &Actor,
        account: &AccountSid,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        let view = self.account(actor, account).await?;
        if !view.permissions.contains(Permission::AccountSettingsWrite) {
            return Err(Error::Forbidden);
        }
        let mut tx = self.store.read().await?;
        Ok(tx.auth_token(account).await?.map(|(_, at)| at))
    }

    /// Authenticates `AC…:token`. Any mismatch is `Unauthenticated`; a suspended or closed
    /// account is refused with the reason.
    pub async fn authenticate_auth_token(&self, sid: &str, token: &str, source_ip: Option<String>) -> Result<Actor> {
        let sid = AccountSid::parse(sid).map_err(|_| Error::Unauthenticated)?;
        let mut tx = self.store.read().await?;
        let (hash, _) = tx.auth_token(&sid).await?.ok_or(Error::Unauthenticated)?;
        if !constant_time_eq(&hash, &token_hash(token)) {
            return Err(Error::Unauthenticated);
        }
        let account = tx.account(&sid).await?.ok_or(Error::Unauthenticated)?;
        account.ensure_active()?;
        Ok(Actor { kind: ActorKind::AuthToken { account: sid }, source_ip })
    }
}
