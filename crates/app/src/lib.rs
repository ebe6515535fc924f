//! Gatehouse use cases: one method per use case, the only way to change state.
//!
//! Each write opens a transaction, loads the target, authorizes against the *loaded* target's
//! tenant with `policy::authorize`, applies the domain rules, appends the audit event and
//! commits. Must not import axum, sqlx or a concrete store; surfaces turn requests into an
//! `Actor` and call these methods.

mod accounts;
mod auth;
mod members;
mod organizations;
mod password;
mod secret;

use std::sync::Arc;

use gatehouse_domain::account::Account;
use gatehouse_domain::clock::{Clock, SystemClock};
use gatehouse_domain::membership::ScopeRef;
use gatehouse_domain::policy::{Actor, ActorKind, Grant, Principal};
use gatehouse_domain::role::BuiltinRole;
use gatehouse_domain::store::{Store, Tx};
use gatehouse_domain::user::UserStatus;
use gatehouse_domain::{Error, Result};

pub use accounts::{AccountView, NewAccount, NewSignUp};
pub use auth::{SessionTimeouts, SignedIn};
pub use members::{NewMember, RoleChange};
pub use organizations::{CreatedOrganization, NewOrganization};
pub use password::PasswordHasher;
pub use secret::{constant_time_eq, new_token as new_random_token};

/// The application: a store, a clock and the password hasher, shared by every surface.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    passwords: PasswordHasher,
    timeouts: SessionTimeouts,
}

impl App {
    /// An app on `store` with the system clock and default session timeouts.
    pub fn new(store: Arc<dyn Store>) -> Self {
        App {
            store,
            clock: Arc::new(SystemClock),
            passwords: PasswordHasher::new(),
            timeouts: SessionTimeouts::default(),
        }
    }

    /// Replaces the clock (tests use a fixed one).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the session timeouts.
    pub fn with_session_timeouts(mut self, timeouts: SessionTimeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The store, for readiness checks.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// The scopes whose grants apply to an account: itself, its parent, its organization.
fn account_scopes(account: &Account) -> Vec<ScopeRef> {
    let mut scopes = vec![ScopeRef::Account(account.sid.clone())];
    scopes.extend(account.parent_sid.iter().cloned().map(ScopeRef::Account));
    scopes.extend(account.organization_sid.iter().cloned().map(ScopeRef::Organization));
    scopes
}

/// Loads what the actor holds at the given scopes, inside the caller's transaction, so the
/// decision sees the same state the change will be made on. A role change therefore takes
/// effect on the user's next request.
async fn principal(tx: &mut dyn Tx, actor: &Actor, scopes: &[ScopeRef]) -> Result<Principal> {
    match &actor.kind {
        ActorKind::System => Ok(Principal::System),
        ActorKind::Setup | ActorKind::Anonymous => Ok(Principal::Nobody),
        ActorKind::User(sid) => {
            let user = tx.user(sid).await?.ok_or(Error::Unauthenticated)?;
            if user.status != UserStatus::Active {
                return Err(Error::Unauthenticated);
            }
            let grants = tx
                .user_assignments(sid, scopes)
                .await?
                .into_iter()
                .filter_map(|a| {
                    BuiltinRole::from_sid(&a.role_sid).map(|r| Grant { scope: a.scope, permissions: r.permissions() })
                })
                .collect();
            Ok(Principal::User { sid: sid.clone(), grants })
        }
    }
}

/// The signed-in user behind an actor, or `Unauthenticated`.
fn acting_user(actor: &Actor) -> Result<&gatehouse_domain::sid::UserSid> {
    actor.user_sid().ok_or(Error::Unauthenticated)
}
