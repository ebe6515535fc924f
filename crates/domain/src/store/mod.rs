//! The store traits every adapter implements (SQLite, PostgreSQL), checked by one contract suite.
//!
//! All access goes through a transaction: use cases open a write transaction, load, authorize,
//! change, append the audit event and commit, so a change and its audit record land together.
//! Tenant-owned lists take the owning `OrganizationSid` / `AccountSid` first.
//! Finders return `Result<Option<T>>`; errors are never swallowed into `None`.

mod access;
mod access_index;
mod credentials;
mod instance;
mod roles;
mod scim;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::account::{Account, AccountSettings, AccountStatus};
use crate::account_request::AccountRequest;
use crate::audit::{AuditEvent, AuditScope};
use crate::billing::{Invoice, PaymentMethod};
use crate::domains::Domain;
use crate::error::Result;
use crate::invitation::{Invitation, OrgInvitation};
use crate::membership::{OrgUser, ScopeRef};
use crate::nomination::OwnerNomination;
use crate::notification::NoticeCategory;
use crate::oauth::OAuthApp;
use crate::offboarding::OffboardingReport;
use crate::organization::Organization;
use crate::page::{Page, PageRequest};
use crate::role::AccountRole;
use crate::security::{EmailOutcome, OneTimeToken, OutboxEmail, SecondFactor, Throttle, TokenPurpose};
use crate::session::{Session, SessionStage};
use crate::sid::{
    AccountRequestSid, AccountSid, DomainSid, EmailSid, InvitationSid, OAuthAppSid, OffboardingSid, OrganizationSid,
    PaymentMethodSid, UserSid,
};
use crate::user::{Email, User};
pub use access::AccessTx;
pub use access_index::AccessIndexTx;
pub use credentials::{ApiKeysTx, AuthTokensTx, PublicKeysTx};
pub use instance::InstanceTx;
pub use roles::RolesTx;
pub use scim::{GroupsTx, ScimTx};

/// What a store reports about itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Rows this engine's queries have read since the process started.
    pub rows_read: u64,
    /// Connections open in the pool, and how many of them are idle.
    pub connections: u32,
    pub idle_connections: u32,
    /// Transactions begun since the process started, and the time spent waiting to begin them
    /// (for a connection and, on SQLite, for the write lock).
    pub transactions: u64,
    pub begin_wait_micros: u64,
}

/// A database: hands out transactions.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so concurrent writers queue instead of failing on upgrade.
    async fn write(&self) -> Result<Box<dyn Tx>>;
    /// A transaction that only reads: its statements see one snapshot of the database.
    async fn read(&self) -> Result<Box<dyn Tx>>;
    /// Reads whose statements each run alone and see what is committed when they run, with no
    /// snapshot held across them: no `BEGIN` and no rollback, two round trips fewer than
    /// [`Store::read`]. For a use case that reads with one statement, or whose statements need
    /// not agree with each other (a permission check, then one lookup). Never for writes.
    async fn read_autocommit(&self) -> Result<Box<dyn Tx>>;
    /// Checks the database answers (for `/readyz`).
    async fn ping(&self) -> Result<()>;
    /// `sqlite` or `postgres`.
    fn engine(&self) -> &'static str;
    /// What the store reports for metrics (and for tests that bound how much one request reads).
    fn stats(&self) -> StoreStats;
    /// A number that moves whenever a credential may have been revoked or rotated (API keys,
    /// SCIM tokens, OAuth apps, auth tokens, an account's status): at once when this node commits
    /// such a change, and within a poll of [`Store::poll_credential_changes`] when another node
    /// does. A credential cached under one value is stale under any other.
    fn credential_epoch(&self) -> u64;
    /// Reads the version every node shares and moves [`Store::credential_epoch`] if it changed.
    /// The server calls it twice a second.
    async fn poll_credential_changes(&self) -> Result<()>;
    /// Returns when an access change may have been committed by another node (PostgreSQL's
    /// `NOTIFY gatehouse_access`), or after `at_most`, whichever is first; on SQLite, whose one
    /// node commits every change, after `at_most`. An error means the listener failed (the
    /// caller waits and polls; the next call listens again).
    async fn wait_for_access_change(&self, at_most: std::time::Duration) -> Result<()>;
    /// Upkeep the engine needs now and then, kept off the request path: on SQLite, copies the
    /// write-ahead log back into the database file without holding up writers (see ADR 0018);
    /// nothing on PostgreSQL. The server calls it ten times a second.
    async fn maintain(&self) -> Result<()>;
    /// Brings the query planner's statistics up to date where the tables changed enough to need
    /// it: on SQLite, `PRAGMA optimize` (which bounds its own work), queued with the writes as it
    /// may write the statistics; nothing on PostgreSQL, whose autovacuum does it. The server
    /// calls it once after start-up and then every hour.
    async fn refresh_statistics(&self) -> Result<()>;
    /// Closes the store's connections (on SQLite the last to close checkpoints the log into the
    /// database file and removes it). The server calls it when it stops.
    async fn close(&self);
}

/// One open transaction. Dropped without `commit`, it rolls back.
///
/// Its queries are grouped in one trait per noun (`UsersTx`, `AccountsTx`, …); `Tx` is all of
/// them, and their methods can be called on a `dyn Tx` without importing the noun traits. The
/// store implements each noun trait in one file, `crates/store/src/sql/<noun>.rs`.
///
/// Unique-constraint violations come back as `Error::Conflict`; every other database failure as
/// `Error::Internal`.
#[async_trait]
pub trait Tx:
    UsersTx
    + AccountsTx
    + AccessTx
    + AuditTx
    + SessionsTx
    + SecurityTx
    + ScimTx
    + GroupsTx
    + OAuthTx
    + OffboardingTx
    + InvitationsTx
    + OrgInvitationsTx
    + DomainsTx
    + BillingTx
    + NominationsTx
    + NotificationsTx
    + ApiKeysTx
    + AuthTokensTx
    + AccountRequestsTx
    + InstanceTx
    + PublicKeysTx
    + RolesTx
    + AccessIndexTx
    + Send
{
    /// Commits every change made through this transaction.
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// Users: creation, sign-in records, credentials and the organization's user list.
#[async_trait]
pub trait UsersTx: Send {
    /// Inserts a user (unique email → Conflict) with an optional argon2id password hash.
    async fn insert_user(&mut self, user: &User, password_hash: Option<&str>) -> Result<()>;
    /// Inserts users without passwords (provisioned), in one statement; any duplicate email
    /// fails them all with Conflict.
    async fn insert_users(&mut self, users: &[User]) -> Result<()>;
    /// A user by SID.
    async fn user(&mut self, sid: &UserSid) -> Result<Option<User>>;
    /// A user by normalised email.
    async fn user_by_email(&mut self, email: &Email) -> Result<Option<User>>;
    /// The users with these SIDs (those that exist).
    async fn users_by_sids(&mut self, sids: &[UserSid]) -> Result<Vec<User>>;
    /// The users holding any of these normalised emails.
    async fn users_by_emails(&mut self, emails: &[Email]) -> Result<Vec<User>>;
    /// The stored password hash of a user, if one is set.
    async fn password_hash(&mut self, sid: &UserSid) -> Result<Option<String>>;
    /// Records a successful sign-in.
    async fn record_login(&mut self, sid: &UserSid, at: DateTime<Utc>) -> Result<()>;
    /// How many users exist.
    async fn count_users(&mut self) -> Result<u64>;
    /// Whether any user exists (first-run detection): one row read, whatever the size.
    async fn any_users(&mut self) -> Result<bool>;
    /// Records that the user proved their email address.
    async fn mark_email_verified(&mut self, user: &UserSid, at: DateTime<Utc>) -> Result<()>;
    /// Changes the user's email address; the new one is unconfirmed until verified.
    async fn set_user_email(&mut self, user: &UserSid, email: &Email, at: DateTime<Utc>) -> Result<()>;
    /// Replaces the user's password hash.
    async fn set_password_hash(&mut self, user: &UserSid, hash: &str, at: DateTime<Utc>) -> Result<()>;
    /// Sets the per-user "must use a second factor" flag.
    async fn set_user_require_two_factor(&mut self, user: &UserSid, on: bool, at: DateTime<Utc>) -> Result<()>;
    /// Users the organization manages or that hold a role in it or on one of its accounts,
    /// ordered by SID; search matches email and name; `managed` keeps only managed (`true`) or
    /// independent (`false`) users.
    async fn organization_users(
        &mut self,
        org: &OrganizationSid,
        page: &PageRequest,
        managed: Option<bool>,
    ) -> Result<Page<OrgUser>>;
}

/// Organizations and accounts: creation, settings, status, lists.
#[async_trait]
pub trait AccountsTx: Send {
    /// Inserts an organization.
    async fn insert_organization(&mut self, org: &Organization) -> Result<()>;
    /// An organization by SID.
    async fn organization(&mut self, sid: &OrganizationSid) -> Result<Option<Organization>>;
    /// Saves an organization's name, invitation lifetime and update time.
    async fn update_organization(&mut self, org: &Organization) -> Result<()>;
    /// Sets the organization's "all managed users must use a second factor" setting.
    async fn set_organization_require_two_factor(
        &mut self,
        org: &OrganizationSid,
        on: bool,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Inserts an account.
    async fn insert_account(&mut self, account: &Account) -> Result<()>;
    /// An account by SID.
    async fn account(&mut self, sid: &AccountSid) -> Result<Option<Account>>;
    /// Replaces an account's settings.
    async fn update_account_settings(
        &mut self,
        account: &AccountSid,
        settings: &AccountSettings,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Renames an account.
    async fn rename_account(&mut self, account: &AccountSid, name: &str, at: DateTime<Utc>) -> Result<()>;
    /// Sets an account's status (active, suspended, closed).
    async fn set_account_status(
        &mut self,
        account: &AccountSid,
        status: AccountStatus,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// An account by SID, locked until the transaction ends, so that concurrent changes to its
    /// members and owner are serialised (`SELECT … FOR UPDATE` on PostgreSQL).
    async fn lock_account(&mut self, sid: &AccountSid) -> Result<Option<Account>>;
    /// The accounts an organization manages, ordered by SID; search matches name and SID.
    async fn organization_accounts(&mut self, org: &OrganizationSid, page: &PageRequest) -> Result<Page<Account>>;
    /// The cursor of the page before the one that starts after `cursor` in
    /// [`Self::organization_accounts`] (no search), `size` to a page: the SID `size` rows before
    /// `cursor` (counting it), or `None` when that page is the first (Twilio's previous page).
    async fn organization_accounts_cursor_before(
        &mut self,
        org: &OrganizationSid,
        cursor: &str,
        size: u32,
    ) -> Result<Option<String>>;
    /// The accounts on which the user holds a role directly, ordered by SID.
    async fn user_accounts(&mut self, user: &UserSid, page: &PageRequest) -> Result<Page<Account>>;
    /// The subaccounts of an account, ordered by SID.
    async fn subaccounts(&mut self, parent: &AccountSid, page: &PageRequest) -> Result<Page<Account>>;
    /// The subaccounts of an account with exactly this name and status (each if given), ordered
    /// by SID (Twilio's `FriendlyName` and `Status` filters; the page's search is not used).
    async fn subaccounts_matching(
        &mut self,
        parent: &AccountSid,
        name: Option<&str>,
        status: Option<crate::account::AccountStatus>,
        page: &PageRequest,
    ) -> Result<Page<Account>>;
    /// As [`Self::organization_accounts_cursor_before`], in [`Self::subaccounts_matching`].
    async fn subaccounts_cursor_before(
        &mut self,
        parent: &AccountSid,
        name: Option<&str>,
        status: Option<crate::account::AccountStatus>,
        cursor: &str,
        size: u32,
    ) -> Result<Option<String>>;
}

/// The audit log: append-only, listed per scope, pseudonymised on erasure.
#[async_trait]
pub trait AuditTx: Send {
    /// Replaces the deleted user's `email` (as it appears in JSON) by `replacement` in every
    /// audit event's details, and their `name` in the details of events they acted in or were
    /// the target of; drops the source IP of the events they acted in. The SID stays as a
    /// pseudonymous reference. Returns how many rewrites were made.
    async fn pseudonymize_audit(&mut self, user: &UserSid, email: &str, name: &str, replacement: &str) -> Result<u64>;
    /// Appends an audit event.
    async fn append_audit(&mut self, event: &AuditEvent) -> Result<()>;
    /// Appends audit events, in one statement.
    async fn append_audits(&mut self, events: &[AuditEvent]) -> Result<()>;
    /// Events in a scope, newest first; search matches action, actor and target.
    async fn audit_events(&mut self, scope: &AuditScope, page: &PageRequest) -> Result<Page<AuditEvent>>;
}

/// Sign-in sessions, their flashes, and the first-run setup token.
#[async_trait]
pub trait SessionsTx: Send {
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
    /// Ends every session of a user but one; returns how many.
    async fn delete_user_sessions_except(&mut self, user: &UserSid, keep_hash: &str) -> Result<u64>;
    /// A user's sessions, newest first.
    async fn user_sessions(&mut self, user: &UserSid) -> Result<Vec<Session>>;
    /// Moves a session to another stage (e.g. once the second factor is checked).
    /// Leaves a one-time message for the session's next page (replacing an unread one).
    async fn put_session_flash(&mut self, token_hash: &str, value: &str) -> Result<()>;
    /// Reads and deletes the session's message.
    async fn take_session_flash(&mut self, token_hash: &str) -> Result<Option<String>>;
    async fn set_session_stage(&mut self, token_hash: &str, stage: SessionStage) -> Result<()>;
    /// Adds a setup token, first deleting those made before `stale_before`: tokens printed by
    /// nodes that started together all work, a restart later ends the earlier links.
    async fn add_setup_token(&mut self, token_hash: &str, at: DateTime<Utc>, stale_before: DateTime<Utc>)
    -> Result<()>;
    /// Whether this setup token is a current one.
    async fn setup_token_valid(&mut self, token_hash: &str) -> Result<bool>;
    /// Deletes every setup token if this one is current (setup happens once); true if it was.
    async fn consume_setup_token(&mut self, token_hash: &str) -> Result<bool>;
}

/// The email outbox, one-time tokens, second factors, recovery codes and throttles.
#[async_trait]
pub trait SecurityTx: Send {
    /// Adds an email to the outbox (in the transaction of the change that causes it).
    async fn enqueue_email(&mut self, email: &OutboxEmail) -> Result<()>;
    /// Claims up to `limit` pending emails that are due and not leased by another worker,
    /// leasing them until `lease_until`, so that several nodes never take the same email.
    async fn claim_emails(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxEmail>>;
    /// Records the result of a delivery attempt and releases the lease.
    async fn record_email_attempt(&mut self, sid: &EmailSid, outcome: &EmailOutcome) -> Result<()>;
    /// Outbox emails of an organization or an account, newest first.
    async fn outbox(&mut self, scope: &AuditScope, page: &PageRequest) -> Result<Page<OutboxEmail>>;
    /// Stores a new one-time token.
    async fn insert_token(&mut self, token: &OneTimeToken) -> Result<()>;
    /// Uses a token: if it exists for this purpose, is unexpired and unused, marks it used and
    /// returns it; otherwise `None`. A token works once.
    async fn use_token(
        &mut self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>>;
    /// Deletes a user's tokens of one purpose (a newer one replaces them).
    async fn delete_user_tokens(&mut self, user: &UserSid, purpose: TokenPurpose) -> Result<()>;
    /// Inserts or replaces a user's factor of this kind.
    async fn upsert_second_factor(&mut self, factor: &SecondFactor) -> Result<()>;
    /// A user's factors, confirmed or not.
    async fn second_factors(&mut self, user: &UserSid) -> Result<Vec<SecondFactor>>;
    /// Removes all of a user's factors and recovery codes (2FA off).
    async fn delete_second_factors(&mut self, user: &UserSid) -> Result<()>;
    /// Records an accepted TOTP step if it is newer than the last one; false means the code
    /// was already used (replay).
    async fn advance_totp_step(&mut self, user: &UserSid, step: i64) -> Result<bool>;
    /// Replaces a user's recovery codes with these hashes.
    async fn replace_recovery_codes(&mut self, user: &UserSid, hashes: &[String], at: DateTime<Utc>) -> Result<()>;
    /// Uses a recovery code; false if it is unknown or already used.
    async fn use_recovery_code(&mut self, user: &UserSid, hash: &str, at: DateTime<Utc>) -> Result<bool>;
    /// How many unused recovery codes a user has.
    async fn remaining_recovery_codes(&mut self, user: &UserSid) -> Result<u64>;
    /// The failure record of a key.
    async fn throttle(&mut self, key: &str) -> Result<Option<Throttle>>;
    /// Inserts or replaces a failure record.
    async fn save_throttle(&mut self, throttle: &Throttle) -> Result<()>;
    /// Forgets a key's failures (after a success).
    async fn clear_throttle(&mut self, key: &str) -> Result<()>;
    /// How many emails wait to be sent (pending, due or not).
    async fn pending_emails(&mut self) -> Result<u64>;
}

/// OAuth apps (client credentials) of an organization or an account.
#[async_trait]
pub trait OAuthTx: Send {
    /// Stores a new OAuth app.
    async fn insert_oauth_app(&mut self, app: &OAuthApp) -> Result<()>;
    /// The organization's OAuth apps that are not revoked, by SID.
    async fn oauth_apps(&mut self, org: &OrganizationSid) -> Result<Vec<OAuthApp>>;
    /// An OAuth app by its client id, whatever its owner (token requests look it up).
    async fn oauth_app(&mut self, sid: &OAuthAppSid) -> Result<Option<OAuthApp>>;
    /// Revokes one of the owner's apps; returns how many (0 or 1).
    async fn revoke_oauth_app(
        &mut self,
        owner: &crate::oauth::OAuthAppOwner,
        sid: &OAuthAppSid,
        at: DateTime<Utc>,
    ) -> Result<u64>;
    /// Replaces the name, description and token lifetime of one of `app.owner`'s live apps;
    /// returns how many (0 or 1).
    async fn update_oauth_app(&mut self, app: &OAuthApp) -> Result<u64>;
    /// The live accounts' apps (not organizations') that `user` created, by SID: offboarding
    /// revokes them as it does the user's API keys.
    async fn account_oauth_apps_created_by(&mut self, user: &UserSid) -> Result<Vec<OAuthApp>>;
    /// Records an app's use.
    async fn touch_oauth_app(&mut self, sid: &OAuthAppSid, at: DateTime<Utc>) -> Result<()>;
}

/// User administration and offboarding: what a user holds, erasure, reports.
#[async_trait]
pub trait OffboardingTx: Send {
    /// Renames a user.
    async fn set_user_name(&mut self, user: &UserSid, name: &str, at: DateTime<Utc>) -> Result<()>;
    /// Removes the user's password: they can sign in again only after a reset.
    async fn clear_password_hash(&mut self, user: &UserSid, at: DateTime<Utc>) -> Result<()>;
    /// Moves an account and its subaccounts into an organization, or (with `None`) out of any.
    async fn set_account_organization(
        &mut self,
        account: &AccountSid,
        org: Option<&OrganizationSid>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Erases a user's personal data for good: the address and name are replaced, the password,
    /// one-time tokens, last login, verification, 2FA flag and organization are cleared, the
    /// status becomes `deleted`, and emails to the old address leave the outbox.
    async fn erase_user(&mut self, user: &UserSid, erased: &Email, name: &str, at: DateTime<Utc>) -> Result<()>;
    /// Stores an offboarding report.
    async fn insert_offboarding_report(&mut self, report: &OffboardingReport) -> Result<()>;
    /// The organization's offboarding reports, newest first.
    async fn offboarding_reports(
        &mut self,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<OffboardingReport>>;
    /// One of the organization's offboarding reports.
    async fn offboarding_report(
        &mut self,
        org: &OrganizationSid,
        sid: &OffboardingSid,
    ) -> Result<Option<OffboardingReport>>;
}

/// Invitations to an account.
#[async_trait]
pub trait InvitationsTx: Send {
    /// The pending account invitations the user sent, by SID.
    async fn invitations_sent_by(&mut self, user: &UserSid) -> Result<Vec<Invitation>>;
    /// Stores a new invitation.
    async fn insert_invitation(&mut self, invitation: &Invitation) -> Result<()>;
    /// Saves an invitation's roles, token, status, expiry and update time.
    async fn update_invitation(&mut self, invitation: &Invitation) -> Result<()>;
    /// One invitation of the account.
    async fn invitation(&mut self, account: &AccountSid, sid: &InvitationSid) -> Result<Option<Invitation>>;
    /// The invitation whose link carries this token (by its hash).
    async fn invitation_by_token(&mut self, token_hash: &str) -> Result<Option<Invitation>>;
    /// The account's pending invitation for this address, if any.
    async fn pending_invitation(&mut self, account: &AccountSid, email: &Email) -> Result<Option<Invitation>>;
    /// The account's pending invitations (expired ones included), by SID; search matches email.
    async fn pending_invitations(&mut self, account: &AccountSid, page: &PageRequest) -> Result<Page<Invitation>>;
}

/// Invitations to an organization, and managed-user membership.
#[async_trait]
pub trait OrgInvitationsTx: Send {
    /// Stores a new invitation to an organization.
    async fn insert_org_invitation(&mut self, invitation: &OrgInvitation) -> Result<()>;
    /// Saves an organization invitation's role, token, status, expiry and update time.
    async fn update_org_invitation(&mut self, invitation: &OrgInvitation) -> Result<()>;
    /// One invitation of the organization.
    async fn org_invitation(&mut self, org: &OrganizationSid, sid: &InvitationSid) -> Result<Option<OrgInvitation>>;
    /// The organization invitation whose link carries this token (by its hash).
    async fn org_invitation_by_token(&mut self, token_hash: &str) -> Result<Option<OrgInvitation>>;
    /// The organization's pending invitation for this address.
    async fn pending_org_invitation(&mut self, org: &OrganizationSid, email: &Email) -> Result<Option<OrgInvitation>>;
    /// The organization's pending invitations (expired ones included), by SID.
    async fn pending_org_invitations(
        &mut self,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<OrgInvitation>>;
    /// Makes the user a managed user of the organization, or (with `None`) an independent one.
    async fn set_user_organization(
        &mut self,
        user: &UserSid,
        org: Option<&OrganizationSid>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// The pending organization invitations the user sent, by SID.
    async fn org_invitations_sent_by(&mut self, user: &UserSid) -> Result<Vec<OrgInvitation>>;
}

/// The domains organizations claim and verify.
#[async_trait]
pub trait DomainsTx: Send {
    /// Stores a domain an organization claims.
    async fn insert_domain(&mut self, domain: &Domain) -> Result<()>;
    /// Saves a domain's status, check times and error.
    async fn update_domain(&mut self, domain: &Domain) -> Result<()>;
    /// The organization's domains, by name.
    async fn organization_domains(&mut self, org: &OrganizationSid) -> Result<Vec<Domain>>;
    /// One of the organization's domains.
    async fn domain(&mut self, org: &OrganizationSid, sid: &DomainSid) -> Result<Option<Domain>>;
    /// The organization that verified `name`, if any did.
    async fn verified_domain(&mut self, name: &str) -> Result<Option<Domain>>;
    /// Claims verified domains to check again (last checked before `before`), marking them
    /// checked at `now` so that no other node claims them too (rows another node is claiming
    /// are skipped on PostgreSQL; SQLite has one writer).
    async fn claim_domains_for_recheck(
        &mut self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Domain>>;
    /// Removes one of the organization's domains.
    async fn delete_domain(&mut self, org: &OrganizationSid, sid: &DomainSid) -> Result<()>;
}

/// Payment methods and invoices of an account.
#[async_trait]
pub trait BillingTx: Send {
    /// Stores a payment method.
    async fn insert_payment_method(&mut self, method: &PaymentMethod) -> Result<()>;
    /// The account's payment methods, oldest first.
    async fn payment_methods(&mut self, account: &AccountSid) -> Result<Vec<PaymentMethod>>;
    /// Makes one of the account's methods the default (and no other).
    async fn set_default_payment_method(&mut self, account: &AccountSid, sid: &PaymentMethodSid) -> Result<()>;
    /// Removes one of the account's methods.
    async fn delete_payment_method(&mut self, account: &AccountSid, sid: &PaymentMethodSid) -> Result<()>;
    /// Stores an invoice.
    async fn insert_invoice(&mut self, invoice: &Invoice) -> Result<()>;
    /// The account's invoices, newest first; search matches the period.
    async fn invoices(&mut self, account: &AccountSid, page: &PageRequest) -> Result<Page<Invoice>>;
}

/// Pending ownership offers of an account or an organization.
#[async_trait]
pub trait NominationsTx: Send {
    /// Saves the scope's pending ownership offer, replacing an earlier one.
    async fn put_owner_nomination(&mut self, nomination: &OwnerNomination) -> Result<()>;
    /// The scope's pending ownership offer.
    async fn owner_nomination(&mut self, scope: &ScopeRef) -> Result<Option<OwnerNomination>>;
    /// Withdraws the scope's ownership offer (accepted, declined or cancelled).
    async fn delete_owner_nomination(&mut self, scope: &ScopeRef) -> Result<()>;
}

/// Which account roles receive which notices.
#[async_trait]
pub trait NotificationsTx: Send {
    /// The account's stored notification choices (categories without a row use the defaults).
    async fn notification_roles(&mut self, account: &AccountSid) -> Result<Vec<(NoticeCategory, Vec<AccountRole>)>>;
    /// Chooses which roles receive a category of notice.
    async fn set_notification_roles(
        &mut self,
        account: &AccountSid,
        category: NoticeCategory,
        roles: &[AccountRole],
        at: DateTime<Utc>,
    ) -> Result<()>;
}

/// Requests to import an account into an organization or to access it.
#[async_trait]
pub trait AccountRequestsTx: Send {
    /// Stores a new request (one pending per account → Conflict).
    async fn insert_account_request(&mut self, request: &AccountRequest) -> Result<()>;
    /// Saves a request's status and update time.
    async fn update_account_request(&mut self, request: &AccountRequest) -> Result<()>;
    /// One of the organization's requests.
    async fn account_request(
        &mut self,
        org: &OrganizationSid,
        sid: &AccountRequestSid,
    ) -> Result<Option<AccountRequest>>;
    /// The pending request about an account, if any.
    async fn pending_account_request(&mut self, account: &AccountSid) -> Result<Option<AccountRequest>>;
    /// Of `account` and `parent` (the same SID for a top-level account), those to which an
    /// organization where `user` is Owner or Administrator holds standing access.
    async fn accounts_shared_with_admin(
        &mut self,
        user: &UserSid,
        account: &AccountSid,
        parent: &AccountSid,
    ) -> Result<Vec<AccountSid>>;
    /// The organization's standing access grant to an account, if any.
    async fn accepted_access_request(
        &mut self,
        org: &OrganizationSid,
        account: &AccountSid,
    ) -> Result<Option<AccountRequest>>;
    /// The organization's pending requests (expired ones included), by SID.
    async fn pending_account_requests(
        &mut self,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<AccountRequest>>;
    /// The independent accounts the organization has standing access to, by SID; search matches
    /// name and SID.
    async fn independent_accounts(&mut self, org: &OrganizationSid, page: &PageRequest) -> Result<Page<Account>>;
}
