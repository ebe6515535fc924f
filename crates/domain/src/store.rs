//! The store traits every adapter implements (SQLite, PostgreSQL), checked by one contract suite.
//!
//! All access goes through a transaction: use cases open a write transaction, load, authorize,
//! change, append the audit event and commit, so a change and its audit record land together.
//! Tenant-owned lists take the owning `OrganizationSid` / `AccountSid` first.
//! Finders return `Result<Option<T>>`; errors are never swallowed into `None`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::account::Account;
use crate::audit::{AuditEvent, AuditScope};
use crate::error::Result;
use crate::membership::{Member, OrgUser, RoleAssignment, ScopeRef};
use crate::organization::Organization;
use crate::page::{Page, PageRequest};
use crate::role::OrgRole;
use crate::session::Session;
use crate::sid::{AccountSid, OrganizationSid, UserSid};
use crate::user::{Email, User};

/// A database: hands out transactions.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so concurrent writers queue instead of failing on upgrade.
    async fn write(&self) -> Result<Box<dyn Tx>>;
    /// A transaction that only reads.
    async fn read(&self) -> Result<Box<dyn Tx>>;
    /// Checks the database answers (for `/readyz`).
    async fn ping(&self) -> Result<()>;
    /// `sqlite` or `postgres`.
    fn engine(&self) -> &'static str;
}

/// One open transaction. Dropped without `commit`, it rolls back.
///
/// Unique-constraint violations come back as `Error::Conflict`; every other database failure as
/// `Error::Internal`.
#[async_trait]
pub trait Tx: Send {
    /// Commits every change made through this transaction.
    async fn commit(self: Box<Self>) -> Result<()>;

    // --- users ---------------------------------------------------------------------------
    /// Inserts a user (unique email → Conflict) with an optional argon2id password hash.
    async fn insert_user(&mut self, user: &User, password_hash: Option<&str>) -> Result<()>;
    /// A user by SID.
    async fn user(&mut self, sid: &UserSid) -> Result<Option<User>>;
    /// A user by normalised email.
    async fn user_by_email(&mut self, email: &Email) -> Result<Option<User>>;
    /// The stored password hash of a user, if one is set.
    async fn password_hash(&mut self, sid: &UserSid) -> Result<Option<String>>;
    /// Records a successful sign-in.
    async fn record_login(&mut self, sid: &UserSid, at: DateTime<Utc>) -> Result<()>;
    /// How many users exist (first-run detection).
    async fn count_users(&mut self) -> Result<u64>;
    /// Users the organization manages or that hold a role in it or on one of its accounts,
    /// ordered by SID; search matches email and name.
    async fn organization_users(&mut self, org: &OrganizationSid, page: &PageRequest) -> Result<Page<OrgUser>>;

    // --- organizations -------------------------------------------------------------------
    /// Inserts an organization.
    async fn insert_organization(&mut self, org: &Organization) -> Result<()>;
    /// An organization by SID.
    async fn organization(&mut self, sid: &OrganizationSid) -> Result<Option<Organization>>;
    /// The organizations in which the user holds an organization role, with that role.
    async fn user_organizations(&mut self, user: &UserSid) -> Result<Vec<(Organization, OrgRole)>>;

    // --- accounts ------------------------------------------------------------------------
    /// Inserts an account.
    async fn insert_account(&mut self, account: &Account) -> Result<()>;
    /// An account by SID.
    async fn account(&mut self, sid: &AccountSid) -> Result<Option<Account>>;
    /// An account by SID, locked until the transaction ends, so that concurrent changes to its
    /// members and owner are serialised (`SELECT … FOR UPDATE` on PostgreSQL).
    async fn lock_account(&mut self, sid: &AccountSid) -> Result<Option<Account>>;
    /// The accounts an organization manages, ordered by SID; search matches name and SID.
    async fn organization_accounts(&mut self, org: &OrganizationSid, page: &PageRequest) -> Result<Page<Account>>;
    /// The accounts on which the user holds a role directly, ordered by SID.
    async fn user_accounts(&mut self, user: &UserSid, page: &PageRequest) -> Result<Page<Account>>;
    /// The subaccounts of an account, ordered by SID.
    async fn subaccounts(&mut self, parent: &AccountSid, page: &PageRequest) -> Result<Page<Account>>;

    // --- role assignments ----------------------------------------------------------------
    /// Inserts an assignment. A duplicate, or a second Owner of one account or organization,
    /// is a Conflict (enforced by unique indexes).
    async fn insert_assignment(&mut self, assignment: &RoleAssignment) -> Result<()>;
    /// Removes all of a user's assignments at one scope; returns how many were removed.
    async fn delete_user_assignments(&mut self, scope: &ScopeRef, user: &UserSid) -> Result<u64>;
    /// A user's assignments at any of the given scopes.
    async fn user_assignments(&mut self, user: &UserSid, scopes: &[ScopeRef]) -> Result<Vec<RoleAssignment>>;
    /// All assignments at one scope, ordered by SID.
    async fn scope_assignments(&mut self, scope: &ScopeRef, page: &PageRequest) -> Result<Page<RoleAssignment>>;
    /// The users holding roles on an account, with their roles, ordered by user SID; search
    /// matches email and name.
    async fn account_members(&mut self, account: &AccountSid, page: &PageRequest) -> Result<Page<Member>>;
    /// The Owner of an account.
    async fn account_owner(&mut self, account: &AccountSid) -> Result<Option<UserSid>>;

    // --- audit ---------------------------------------------------------------------------
    /// Appends an audit event.
    async fn append_audit(&mut self, event: &AuditEvent) -> Result<()>;
    /// Events in a scope, newest first; search matches action, actor and target.
    async fn audit_events(&mut self, scope: &AuditScope, page: &PageRequest) -> Result<Page<AuditEvent>>;

    // --- sessions ------------------------------------------------------------------------
    /// Stores a new session.
    async fn insert_session(&mut self, session: &Session) -> Result<()>;
    /// A session by token hash (expired ones included; the caller checks).
    async fn session(&mut self, token_hash: &str) -> Result<Option<Session>>;
    /// Records activity on a session.
    async fn touch_session(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<()>;
    /// Ends one session.
    async fn delete_session(&mut self, token_hash: &str) -> Result<()>;
    /// Ends every session of a user; returns how many.
    async fn delete_user_sessions(&mut self, user: &UserSid) -> Result<u64>;

    // --- first-run setup -----------------------------------------------------------------
    /// Replaces any setup token with this one (only the newest printed link works).
    async fn replace_setup_token(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<()>;
    /// Whether this setup token is the current one.
    async fn setup_token_valid(&mut self, token_hash: &str) -> Result<bool>;
    /// Deletes the setup token; true if it was the current one.
    async fn consume_setup_token(&mut self, token_hash: &str) -> Result<bool>;
}
