//! Gatehouse use cases: one method per use case, the only way to change state.
//!
//! Each write opens a transaction, loads the target, authorizes against the *loaded* target's
//! tenant with `policy::authorize`, applies the domain rules, appends the audit event and
//! commits. Must not import axum, sqlx or a concrete store; surfaces turn requests into an
//! `Actor` and call these methods.

mod access_check;
mod access_views;
mod account_status;
mod accounts;
mod api_keys;
mod auth;
mod auth_tokens;
mod batch;
mod billing;
mod credential_cache;
mod credentials;
mod custom_roles;
mod domains;
mod groups;
mod invitations;
mod mail;
mod members;
mod notifications;
mod oauth;
mod offboarding;
mod operator;
mod org_accounts;
mod org_invitations;
mod org_ownership;
mod org_users;
mod organizations;
mod ownership;
mod password;
mod public_keys;
mod role_assignments;
mod scim;
mod secret;
mod self_deletion;
mod settings;
mod sms;
mod throttle;
mod two_factor;

use std::sync::Arc;

use gatehouse_domain::account::Account;
use gatehouse_domain::clock::{Clock, SystemClock};
use gatehouse_domain::membership::ScopeRef;
use gatehouse_domain::oauth::OAuthAppOwner;
use gatehouse_domain::policy::{Actor, ActorKind, Grant, Principal, Reach};
use gatehouse_domain::role::{AccountRole, BuiltinRole};
use gatehouse_domain::sid::RoleSid;
use gatehouse_domain::store::{Store, Tx};
use gatehouse_domain::user::UserStatus;
use gatehouse_domain::{Error, Result};

pub use access_check::{CheckAnswer, CheckQuestion, MAX_BATCH as MAX_CHECKS};
pub use access_views::{AccessLine, AccessMap, Grantee, MapRow};
pub use accounts::{AccountOverview, AccountView, NewAccount, NewSignUp, SignUpMode};
pub use api_keys::{ApiKeyView, NewApiKey};
pub use auth::{SessionTimeouts, SignedIn, Visitor};
pub use billing::{NewInvoice, PaymentError, PaymentProvider, TestPayments};
pub use credential_cache::{DEFAULT_CAPACITY as CREDENTIAL_CACHE_CAPACITY, DEFAULT_TTL as CREDENTIAL_CACHE_TTL};
pub use credentials::RESET_REQUESTED;
pub use custom_roles::AssignedRoleDeletion;
pub use domains::{DnsError, DnsResolver, RECHECK_EVERY_HOURS};
pub use groups::{GroupChange, GroupInput, GroupView, MembersChange};
pub use invitations::{InvitationView, NewInvitation, NewInvitee};
pub use mail::{MailError, Mailer};
pub use members::{NewMember, RoleChange};
pub use oauth::{AccessToken, NewOAuthApp, OAuthAppInput};
pub use offboarding::OffboardingPreview;
pub use operator::BANNER_REFRESH;
pub use org_accounts::AccountRequestView;
pub use org_invitations::OrgInvitationView;
pub use org_users::AddedOrInvited;
pub use org_users::OrgUserView;
pub use organizations::{CreatedOrganization, NewOrganization};
pub use ownership::NominationView;
pub use password::{PasswordHasher, check_policy};
pub use public_keys::{SignedRequest, ValidationRefusal};
pub use scim::NewScimToken;
pub use secret::{constant_time_eq, new_token as new_random_token};
pub use self_deletion::{AccountFate, SelfDeletionPreview};
pub use settings::OrgSwitch;
pub use sms::{LogSms, SmsSender};
pub use two_factor::{RECOVERY_CODES, SecondFactorProof, TotpEnrolment, TwoFactorStatus};

/// The application: a store, a clock and the password hasher, shared by every surface. A
/// handle: cloning it (the router does, for every request) copies one pointer.
#[derive(Clone)]
pub struct App(Arc<AppParts>);

/// What an [`App`] holds; reached through it (`Deref`), set through its `with_…` methods.
#[derive(Clone)]
pub struct AppParts {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    passwords: PasswordHasher,
    timeouts: SessionTimeouts,
    /// How browsers reach the server, for links in emails.
    public_url: String,
    mail: mail::MailSettings,
    sms: Arc<dyn SmsSender>,
    payments: Arc<dyn PaymentProvider>,
    dns: Arc<dyn DnsResolver>,
    /// The instance's API-key hash key, loaded (or created) on first use.
    api_key_hash_key: Arc<tokio::sync::OnceCell<Vec<u8>>>,
    /// The instance's keys for access tokens (HS256): the first signs, every one verifies (so a
    /// rotation does not cut off tokens already issued). From the configuration, or else one
    /// loaded (or created) in the database on first use.
    token_signing_keys: Arc<tokio::sync::OnceCell<Vec<Vec<u8>>>>,
    /// Machine credentials checked from memory (see `credential_cache`).
    credentials: Arc<credential_cache::CredentialCache>,
    /// SCIM creations waiting to be written together.
    provisioning: Arc<batch::Batcher<scim::Provision, gatehouse_domain::scim::ScimUser>>,
    /// What public sign-up creates, if anything.
    sign_up_mode: SignUpMode,
    /// The service banner this node read last.
    banner: Arc<operator::BannerCache>,
    /// The permission-check index (ADR 0025).
    access: Arc<access_check::AccessState>,
}

/// Instance secrets given by the operator (a key file or the environment) instead of the
/// database copies that a zero-configuration install creates for itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceSecrets {
    /// Access-token signing keys, newest first (each at least 32 bytes).
    pub token_signing_keys: Vec<Vec<u8>>,
    /// The key API-key secrets are hashed under (at least 32 bytes). Changing it ends every
    /// existing API key, so an install keeps the one it started with.
    pub api_key_hash_key: Option<Vec<u8>>,
}

/// The shortest instance secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

impl std::ops::Deref for App {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

impl App {
    /// An app on `store` with the system clock and default session timeouts.
    pub fn new(store: Arc<dyn Store>) -> Self {
        App(Arc::new(AppParts {
            store,
            clock: Arc::new(SystemClock),
            passwords: PasswordHasher::new(),
            timeouts: SessionTimeouts::default(),
            public_url: "http://127.0.0.1:8080".into(),
            mail: mail::MailSettings { log_bodies: true, signal: Arc::new(tokio::sync::Notify::new()) },
            sms: Arc::new(LogSms),
            payments: Arc::new(TestPayments),
            dns: Arc::new(NoDns),
            api_key_hash_key: Arc::new(tokio::sync::OnceCell::new()),
            token_signing_keys: Arc::new(tokio::sync::OnceCell::new()),
            credentials: Arc::new(credential_cache::CredentialCache::new(
                credential_cache::DEFAULT_CAPACITY,
                credential_cache::DEFAULT_TTL,
            )),
            provisioning: Arc::default(),
            sign_up_mode: SignUpMode::default(),
            banner: Arc::default(),
            access: Arc::default(),
        }))
    }

    /// The parts, to change while the app is being set up (copied if already shared).
    fn parts_mut(&mut self) -> &mut AppParts {
        Arc::make_mut(&mut self.0)
    }

    /// What public sign-up creates: an organization, a standalone account, or nothing.
    pub fn with_sign_up(mut self, mode: SignUpMode) -> Self {
        self.parts_mut().sign_up_mode = mode;
        self
    }

    /// What public sign-up creates on this server.
    pub fn sign_up_mode(&self) -> SignUpMode {
        self.sign_up_mode
    }

    /// Keeps at most `capacity` machine credentials in memory, each for at most `ttl`
    /// (capacity 0: every request reads the store).
    pub fn with_credential_cache(mut self, capacity: usize, ttl: std::time::Duration) -> Self {
        self.parts_mut().credentials = Arc::new(credential_cache::CredentialCache::new(capacity, ttl));
        self
    }

    /// Credential lookups answered from memory, and those that read the store (for metrics).
    pub fn credential_cache_counts(&self) -> (u64, u64) {
        self.credentials.counts()
    }

    /// Writes the credential and session uses noted since the last call, in one transaction
    /// (the server calls it every second and when it stops); returns how many. Uses that could
    /// not be written wait for the next call.
    pub async fn record_credential_uses(&self) -> Result<usize> {
        use credential_cache::Use;
        let uses = self.credentials.take_uses();
        if uses.is_empty() {
            return Ok(0);
        }
        let written = async {
            let mut tx = self.store.write().await?;
            for (used, at) in &uses {
                match used {
                    Use::ApiKey(sid) => tx.touch_api_key(sid, *at).await?,
                    Use::ScimToken(sid) => tx.touch_scim_token(sid, *at).await?,
                    Use::OAuthApp(sid) => tx.touch_oauth_app(sid, *at).await?,
                    Use::Session(hash) => tx.touch_session(hash, *at).await?,
                }
            }
            tx.commit().await
        }
        .await;
        match written {
            Ok(()) => Ok(uses.len()),
            Err(e) => {
                self.credentials.restore_uses(uses);
                Err(e)
            }
        }
    }

    /// Uses the operator's secrets instead of the database copies, where given.
    pub fn with_instance_secrets(mut self, secrets: InstanceSecrets) -> Result<Self> {
        let short = |k: &Vec<u8>| k.len() < MIN_SECRET_BYTES;
        if secrets.token_signing_keys.iter().any(short) || secrets.api_key_hash_key.as_ref().is_some_and(short) {
            return Err(Error::invalid(
                "secrets",
                format!("every instance secret has at least {MIN_SECRET_BYTES} bytes"),
            ));
        }
        if !secrets.token_signing_keys.is_empty() {
            self.parts_mut().token_signing_keys =
                Arc::new(tokio::sync::OnceCell::new_with(Some(secrets.token_signing_keys)));
        }
        if let Some(key) = secrets.api_key_hash_key {
            self.parts_mut().api_key_hash_key = Arc::new(tokio::sync::OnceCell::new_with(Some(key)));
        }
        Ok(self)
    }

    /// Sets the URL that links in emails start with.
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.parts_mut().public_url = url.trim_end_matches('/').to_owned();
        self
    }

    /// The URL browsers and clients reach the server at, without a trailing slash (links in
    /// emails, SCIM locations, absolute paging links).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Whether email bodies go to the log (when no SMTP server delivers them).
    pub fn with_email_logging(mut self, log_bodies: bool) -> Self {
        self.parts_mut().mail.log_bodies = log_bodies;
        self
    }

    /// Replaces the SMS sender (the default writes to the log).
    pub fn with_sms(mut self, sms: Arc<dyn SmsSender>) -> Self {
        self.parts_mut().sms = sms;
        self
    }

    /// Sets the DNS resolver used to verify domains.
    pub fn with_dns(mut self, dns: Arc<dyn DnsResolver>) -> Self {
        self.parts_mut().dns = dns;
        self
    }

    /// Replaces the payment provider (the default is [`TestPayments`]).
    pub fn with_payments(mut self, payments: Arc<dyn PaymentProvider>) -> Self {
        self.parts_mut().payments = payments;
        self
    }

    /// Replaces the clock (tests use a fixed one).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.parts_mut().clock = clock;
        self
    }

    /// Replaces the session timeouts.
    pub fn with_session_timeouts(mut self, timeouts: SessionTimeouts) -> Self {
        self.parts_mut().timeouts = timeouts;
        self
    }

    /// The store, for readiness checks.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// What the store reports about itself, for metrics.
    pub fn store_stats(&self) -> gatehouse_domain::store::StoreStats {
        self.store.stats()
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// The resolver of an app that was given none: every lookup fails and says why.
struct NoDns;

#[async_trait::async_trait]
impl DnsResolver for NoDns {
    async fn txt(&self, _: &str) -> std::result::Result<Vec<String>, DnsError> {
        Err(DnsError::Failed("no DNS resolver is configured".into()))
    }
}

/// The scopes whose grants apply to an account: itself, its parent, its organization.
fn account_scopes(account: &Account) -> Vec<ScopeRef> {
    let mut scopes = vec![ScopeRef::Account(account.sid.clone())];
    scopes.extend(account.parent_sid.iter().cloned().map(ScopeRef::Account));
    scopes.extend(account.organization_sid.iter().cloned().map(ScopeRef::Organization));
    scopes
}

/// What the actor holds on an account: their grants at the account, its parent and its
/// organization; and, on an independent account (or a subaccount of one) to which an
/// organization holds standing access, an Administrator's permissions for every Owner and
/// Administrator of that organization, for as long as the access stands (ADR 0024).
async fn account_principal(tx: &mut dyn Tx, actor: &Actor, account: &Account) -> Result<Principal> {
    let mut p = principal(tx, actor, &account_scopes(account)).await?;
    if account.organization_sid.is_none()
        && let Principal::User { sid, grants } = &mut p
    {
        let parent = account.parent_sid.as_ref().unwrap_or(&account.sid);
        for reached in tx.accounts_shared_with_admin(sid, &account.sid, parent).await? {
            grants.push(Grant::at(ScopeRef::Account(reached), AccountRole::Administrator.permissions()));
        }
    }
    Ok(p)
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
            // The user's own assignments at these scopes, then those of the groups they are in.
            let held: Vec<(RoleSid, ScopeRef, Reach)> = tx
                .user_assignments(sid, scopes)
                .await?
                .into_iter()
                .map(|a| (a.role_sid.clone(), a.scope.clone(), a.reach()))
                .chain(
                    tx.user_group_grants(sid, scopes)
                        .await?
                        .into_iter()
                        .map(|g| (g.role_sid.clone(), g.scope.clone(), g.reach())),
                )
                .collect();
            // Custom roles are read in one query, only when the user holds one here.
            let custom: Vec<RoleSid> =
                held.iter().filter(|(r, ..)| BuiltinRole::from_sid(r).is_none()).map(|(r, ..)| r.clone()).collect();
            let custom = tx.custom_roles_by_sids(&custom).await?;
            let grants = held
                .into_iter()
                .filter_map(|(role, scope, reach)| {
                    let permissions = match BuiltinRole::from_sid(&role) {
                        Some(r) => r.permissions(),
                        None => custom.iter().find(|c| c.sid == role)?.permissions,
                    };
                    Some(Grant::at(scope, permissions).reaching(reach))
                })
                .collect();
            Ok(Principal::User { sid: sid.clone(), grants })
        }
        ActorKind::ApiKey { account, permissions, .. } => {
            Ok(Principal::Credential { grants: gatehouse_domain::api_key::api_key_grants(account, *permissions) })
        }
        ActorKind::ScimToken { organization, .. } => Ok(Principal::Credential {
            grants: vec![Grant::at(
                ScopeRef::Organization(organization.clone()),
                gatehouse_domain::scim::scim_token_permissions(),
            )],
        }),
        ActorKind::AuthToken { account } => {
            Ok(Principal::Credential { grants: gatehouse_domain::api_key::auth_token_grants(account) })
        }
        ActorKind::OAuthApp { owner: OAuthAppOwner::Organization(organization), .. } => Ok(Principal::Credential {
            grants: vec![Grant::at(
                ScopeRef::Organization(organization.clone()),
                gatehouse_domain::oauth::oauth_app_permissions(),
            )],
        }),
        // An account's app may do what the account's API keys may.
        ActorKind::OAuthApp { owner: OAuthAppOwner::Account(account), .. } => Ok(Principal::Credential {
            grants: gatehouse_domain::api_key::api_key_grants(
                account,
                gatehouse_domain::api_key::api_key_permissions(),
            ),
        }),
    }
}

/// The signed-in user behind an actor, or `Unauthenticated`.
fn acting_user(actor: &Actor) -> Result<&gatehouse_domain::sid::UserSid> {
    actor.user_sid().ok_or(Error::Unauthenticated)
}
