//! The Gatehouse store on PostgreSQL (sqlx), for several nodes sharing one database.
//!
//! Owns its migrations (`migrations/`, same file names as the SQLite adapter) and the SQL for
//! every store method, one module per noun; the text is identical to the SQLite adapter's where
//! the dialects agree. Must not import the app, http or server crates. Changes to an account's
//! members lock the account row (`SELECT … FOR UPDATE`) so they serialise per account.

mod access;
mod account_requests;
mod accounts;
mod api_keys;
mod audit;
mod auth_tokens;
mod billing;
mod domains;
mod groups;
mod invitations;
mod nominations;
mod notifications;
mod oauth;
mod offboarding;
mod org_invitations;
mod rows;
mod scim;
mod security;
mod sessions;
mod users;

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::account::{Account, AccountSettings, AccountStatus};
use gatehouse_domain::account_request::AccountRequest;
use gatehouse_domain::api_key::ApiKey;
use gatehouse_domain::audit::{AuditEvent, AuditScope};
use gatehouse_domain::billing::{Invoice, PaymentMethod};
use gatehouse_domain::domains::Domain;
use gatehouse_domain::group::Group;
use gatehouse_domain::invitation::{Invitation, OrgInvitation};
use gatehouse_domain::membership::{Member, OrgUser, RoleAssignment, ScopeRef};
use gatehouse_domain::nomination::OwnerNomination;
use gatehouse_domain::notification::NoticeCategory;
use gatehouse_domain::oauth::OAuthApp;
use gatehouse_domain::offboarding::OffboardingReport;
use gatehouse_domain::organization::Organization;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::scim::{ScimProfile, ScimToken};
use gatehouse_domain::security::{EmailOutcome, OneTimeToken, OutboxEmail, SecondFactor, Throttle, TokenPurpose};
use gatehouse_domain::session::{Session, SessionStage};
use gatehouse_domain::sid::{
    AccountRequestSid, AccountSid, ApiKeySid, DomainSid, EmailSid, GroupSid, InvitationSid, OAuthAppSid,
    OffboardingSid, OrganizationSid, PaymentMethodSid, RoleAssignmentSid, ScimTokenSid, UserSid,
};
use gatehouse_domain::store::{Store, Tx};
use gatehouse_domain::user::{Email, User, UserStatus};
use gatehouse_domain::{Error, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection as _, PgPool, Postgres, Transaction};

pub(crate) use rows::db_err;

/// The PostgreSQL store.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at a `postgres:` URL.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(|e| Error::invalid("database_url", e.to_string()))?;
        let pool = PgPoolOptions::new().max_connections(16).connect_with(options).await.map_err(db_err)?;
        Ok(PgStore { pool })
    }

    /// For tests: creates a new, empty database on the server `base_url` points at and returns
    /// its URL. Names start with `gh_t_` so a CI run can drop them afterwards.
    pub async fn create_test_database(base_url: &str) -> Result<String> {
        let base = PgConnectOptions::from_str(base_url).map_err(|e| Error::invalid("database_url", e.to_string()))?;
        let name = format!("gh_t_{}", &UserSid::generate().as_str()[2..]);
        let mut admin = sqlx::PgConnection::connect_with(&base).await.map_err(db_err)?;
        // The name is generated here from hex digits only, so formatting it in is safe.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .map_err(db_err)?;
        admin.close().await.map_err(db_err)?;
        let (path, query) = base_url.split_once('?').map_or((base_url, None), |(p, q)| (p, Some(q)));
        let prefix = match path.split_once("://") {
            Some((scheme, rest)) => format!("{scheme}://{}", rest.split_once('/').map_or(rest, |(host, _)| host)),
            None => return Err(Error::invalid("database_url", "expected postgres://host/database")),
        };
        Ok(match query {
            Some(q) => format!("{prefix}/{name}?{q}"),
            None => format!("{prefix}/{name}"),
        })
    }

    /// For tests: a migrated store on a new, empty database (see [`PgStore::create_test_database`]).
    pub async fn connect_fresh(base_url: &str) -> Result<Self> {
        let url = Self::create_test_database(base_url).await?;
        let store = Self::connect(&url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the embedded migrations that have not run yet (forward-only).
    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations")
            .run(&self.pool)
            .await
            .map_err(|e| Error::Internal(format!("migration failed: {e}")))
    }

    /// The names of the embedded migrations, for the parity check.
    pub fn migration_names() -> Vec<String> {
        sqlx::migrate!("./migrations")
            .iter()
            .map(|m| format!("{:04}_{}", m.version, m.description.replace(' ', "_")))
            .collect()
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Store for PgStore {
    async fn write(&self) -> Result<Box<dyn Tx>> {
        let tx = self.pool.begin().await.map_err(db_err)?;
        Ok(Box::new(PgTx { tx }))
    }

    async fn read(&self) -> Result<Box<dyn Tx>> {
        let tx = self.pool.begin().await.map_err(db_err)?;
        Ok(Box::new(PgTx { tx }))
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    fn engine(&self) -> &'static str {
        "postgres"
    }
}

/// An open PostgreSQL transaction.
struct PgTx {
    tx: Transaction<'static, Postgres>,
}

#[async_trait]
impl Tx for PgTx {
    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await.map_err(db_err)
    }

    async fn insert_user(&mut self, user: &User, password_hash: Option<&str>) -> Result<()> {
        users::insert(&mut self.tx, user, password_hash).await
    }
    async fn user(&mut self, sid: &UserSid) -> Result<Option<User>> {
        users::by_sid(&mut self.tx, sid).await
    }
    async fn user_by_email(&mut self, email: &Email) -> Result<Option<User>> {
        users::by_email(&mut self.tx, email).await
    }
    async fn password_hash(&mut self, sid: &UserSid) -> Result<Option<String>> {
        users::password_hash(&mut self.tx, sid).await
    }
    async fn record_login(&mut self, sid: &UserSid, at: DateTime<Utc>) -> Result<()> {
        users::record_login(&mut self.tx, sid, at).await
    }
    async fn mark_email_verified(&mut self, user: &UserSid, at: DateTime<Utc>) -> Result<()> {
        users::mark_email_verified(&mut self.tx, user, at).await
    }
    async fn set_user_email(&mut self, user: &UserSid, email: &Email, at: DateTime<Utc>) -> Result<()> {
        users::set_email(&mut self.tx, user, email, at).await
    }
    async fn set_password_hash(&mut self, user: &UserSid, hash: &str, at: DateTime<Utc>) -> Result<()> {
        users::set_password_hash(&mut self.tx, user, hash, at).await
    }
    async fn set_user_require_two_factor(&mut self, user: &UserSid, on: bool, at: DateTime<Utc>) -> Result<()> {
        users::set_require_two_factor(&mut self.tx, user, on, at).await
    }
    async fn count_users(&mut self) -> Result<u64> {
        users::count(&mut self.tx).await
    }
    async fn organization_users(
        &mut self,
        org: &OrganizationSid,
        page: &PageRequest,
        managed: Option<bool>,
    ) -> Result<Page<OrgUser>> {
        users::of_organization(&mut self.tx, org, page, managed).await
    }

    async fn insert_organization(&mut self, org: &Organization) -> Result<()> {
        accounts::insert_organization(&mut self.tx, org).await
    }
    async fn organization(&mut self, sid: &OrganizationSid) -> Result<Option<Organization>> {
        accounts::organization(&mut self.tx, sid).await
    }
    async fn update_organization(&mut self, org: &Organization) -> Result<()> {
        accounts::update_organization(&mut self.tx, org).await
    }
    async fn set_organization_require_two_factor(
        &mut self,
        org: &OrganizationSid,
        on: bool,
        at: DateTime<Utc>,
    ) -> Result<()> {
        accounts::set_organization_require_two_factor(&mut self.tx, org, on, at).await
    }
    async fn user_organizations(&mut self, user: &UserSid) -> Result<Vec<(Organization, OrgRole)>> {
        access::user_organizations(&mut self.tx, user).await
    }

    async fn insert_account(&mut self, account: &Account) -> Result<()> {
        accounts::insert(&mut self.tx, account).await
    }
    async fn account(&mut self, sid: &AccountSid) -> Result<Option<Account>> {
        accounts::by_sid(&mut self.tx, sid).await
    }
    async fn update_account_settings(
        &mut self,
        account: &AccountSid,
        settings: &AccountSettings,
        at: DateTime<Utc>,
    ) -> Result<()> {
        accounts::update_settings(&mut self.tx, account, settings, at).await
    }
    async fn rename_account(&mut self, account: &AccountSid, name: &str, at: DateTime<Utc>) -> Result<()> {
        accounts::rename(&mut self.tx, account, name, at).await
    }
    async fn set_account_status(
        &mut self,
        account: &AccountSid,
        status: AccountStatus,
        at: DateTime<Utc>,
    ) -> Result<()> {
        accounts::set_status(&mut self.tx, account, status, at).await
    }
    async fn lock_account(&mut self, sid: &AccountSid) -> Result<Option<Account>> {
        accounts::lock(&mut self.tx, sid).await
    }
    async fn organization_accounts(&mut self, org: &OrganizationSid, page: &PageRequest) -> Result<Page<Account>> {
        accounts::of_organization(&mut self.tx, org, page).await
    }
    async fn user_accounts(&mut self, user: &UserSid, page: &PageRequest) -> Result<Page<Account>> {
        accounts::of_user(&mut self.tx, user, page).await
    }
    async fn subaccounts(&mut self, parent: &AccountSid, page: &PageRequest) -> Result<Page<Account>> {
        accounts::children(&mut self.tx, parent, page).await
    }

    async fn insert_assignment(&mut self, assignment: &RoleAssignment) -> Result<()> {
        access::insert(&mut self.tx, assignment).await
    }
    async fn delete_user_assignments(&mut self, scope: &ScopeRef, user: &UserSid) -> Result<u64> {
        access::delete_user_at(&mut self.tx, scope, user).await
    }
    async fn user_assignments(&mut self, user: &UserSid, scopes: &[ScopeRef]) -> Result<Vec<RoleAssignment>> {
        access::of_user_at(&mut self.tx, user, scopes).await
    }
    async fn scope_assignments(&mut self, scope: &ScopeRef, page: &PageRequest) -> Result<Page<RoleAssignment>> {
        access::at_scope(&mut self.tx, scope, page).await
    }
    async fn account_members(&mut self, account: &AccountSid, page: &PageRequest) -> Result<Page<Member>> {
        access::members(&mut self.tx, account, page).await
    }
    async fn account_owner(&mut self, account: &AccountSid) -> Result<Option<UserSid>> {
        access::owner(&mut self.tx, account).await
    }

    async fn notification_roles(&mut self, account: &AccountSid) -> Result<Vec<(NoticeCategory, Vec<AccountRole>)>> {
        notifications::of_account(&mut self.tx, account).await
    }
    async fn set_notification_roles(
        &mut self,
        account: &AccountSid,
        category: NoticeCategory,
        roles: &[AccountRole],
        at: DateTime<Utc>,
    ) -> Result<()> {
        notifications::set(&mut self.tx, account, category, roles, at).await
    }
    async fn insert_payment_method(&mut self, method: &PaymentMethod) -> Result<()> {
        billing::insert_method(&mut self.tx, method).await
    }
    async fn payment_methods(&mut self, account: &AccountSid) -> Result<Vec<PaymentMethod>> {
        billing::methods(&mut self.tx, account).await
    }
    async fn set_default_payment_method(&mut self, account: &AccountSid, sid: &PaymentMethodSid) -> Result<()> {
        billing::set_default(&mut self.tx, account, sid).await
    }
    async fn delete_payment_method(&mut self, account: &AccountSid, sid: &PaymentMethodSid) -> Result<()> {
        billing::delete_method(&mut self.tx, account, sid).await
    }
    async fn insert_invoice(&mut self, invoice: &Invoice) -> Result<()> {
        billing::insert_invoice(&mut self.tx, invoice).await
    }
    async fn invoices(&mut self, account: &AccountSid, page: &PageRequest) -> Result<Page<Invoice>> {
        billing::invoices(&mut self.tx, account, page).await
    }
    async fn insert_api_key(&mut self, key: &ApiKey) -> Result<()> {
        api_keys::insert(&mut self.tx, key).await
    }
    async fn api_key(&mut self, sid: &ApiKeySid) -> Result<Option<ApiKey>> {
        api_keys::by_sid(&mut self.tx, sid).await
    }
    async fn account_api_keys(&mut self, account: &AccountSid, page: &PageRequest) -> Result<Page<ApiKey>> {
        api_keys::of_account(&mut self.tx, account, page).await
    }
    async fn rename_api_key(&mut self, account: &AccountSid, sid: &ApiKeySid, name: &str) -> Result<()> {
        api_keys::rename(&mut self.tx, account, sid, name).await
    }
    async fn revoke_api_key(&mut self, account: &AccountSid, sid: &ApiKeySid, at: DateTime<Utc>) -> Result<()> {
        api_keys::revoke(&mut self.tx, account, sid, at).await
    }
    async fn touch_api_key(&mut self, sid: &ApiKeySid, at: DateTime<Utc>) -> Result<()> {
        api_keys::touch(&mut self.tx, sid, at).await
    }
    async fn instance_secret(&mut self, name: &str, value: &str) -> Result<String> {
        api_keys::instance_secret(&mut self.tx, name, value).await
    }
    async fn put_owner_nomination(&mut self, nomination: &OwnerNomination) -> Result<()> {
        nominations::put(&mut self.tx, nomination).await
    }
    async fn owner_nomination(&mut self, account: &AccountSid) -> Result<Option<OwnerNomination>> {
        nominations::get_for(&mut self.tx, account).await
    }
    async fn delete_owner_nomination(&mut self, account: &AccountSid) -> Result<()> {
        nominations::delete(&mut self.tx, account).await
    }
    async fn insert_domain(&mut self, domain: &Domain) -> Result<()> {
        domains::insert(&mut self.tx, domain).await
    }
    async fn update_domain(&mut self, domain: &Domain) -> Result<()> {
        domains::update(&mut self.tx, domain).await
    }
    async fn organization_domains(&mut self, org: &OrganizationSid) -> Result<Vec<Domain>> {
        domains::of_organization(&mut self.tx, org).await
    }
    async fn domain(&mut self, org: &OrganizationSid, sid: &DomainSid) -> Result<Option<Domain>> {
        domains::by_sid(&mut self.tx, org, sid).await
    }
    async fn verified_domain(&mut self, name: &str) -> Result<Option<Domain>> {
        domains::verified_named(&mut self.tx, name).await
    }
    async fn domains_due_for_recheck(&mut self, before: DateTime<Utc>, limit: i64) -> Result<Vec<Domain>> {
        domains::due_for_recheck(&mut self.tx, before, limit).await
    }
    async fn delete_domain(&mut self, org: &OrganizationSid, sid: &DomainSid) -> Result<()> {
        domains::delete(&mut self.tx, org, sid).await
    }
    async fn insert_org_invitation(&mut self, invitation: &OrgInvitation) -> Result<()> {
        org_invitations::insert(&mut self.tx, invitation).await
    }
    async fn update_org_invitation(&mut self, invitation: &OrgInvitation) -> Result<()> {
        org_invitations::update(&mut self.tx, invitation).await
    }
    async fn org_invitation(&mut self, org: &OrganizationSid, sid: &InvitationSid) -> Result<Option<OrgInvitation>> {
        org_invitations::by_sid(&mut self.tx, org, sid).await
    }
    async fn org_invitation_by_token(&mut self, token_hash: &str) -> Result<Option<OrgInvitation>> {
        org_invitations::by_token(&mut self.tx, token_hash).await
    }
    async fn pending_org_invitation(&mut self, org: &OrganizationSid, email: &Email) -> Result<Option<OrgInvitation>> {
        org_invitations::pending_for(&mut self.tx, org, email).await
    }
    async fn pending_org_invitations(
        &mut self,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<OrgInvitation>> {
        org_invitations::pending(&mut self.tx, org, page).await
    }
    async fn set_user_organization(
        &mut self,
        user: &UserSid,
        org: Option<&OrganizationSid>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        org_invitations::set_user_organization(&mut self.tx, user, org, at).await
    }
    async fn set_user_name(&mut self, user: &UserSid, name: &str, at: DateTime<Utc>) -> Result<()> {
        offboarding::set_user_name(&mut self.tx, user, name, at).await
    }
    async fn clear_password_hash(&mut self, user: &UserSid, at: DateTime<Utc>) -> Result<()> {
        offboarding::clear_password_hash(&mut self.tx, user, at).await
    }
    async fn user_memberships(&mut self, user: &UserSid) -> Result<Vec<(Account, AccountRole)>> {
        access::memberships(&mut self.tx, user).await
    }
    async fn api_keys_created_by(&mut self, user: &UserSid) -> Result<Vec<ApiKey>> {
        api_keys::created_by(&mut self.tx, user).await
    }
    async fn invitations_sent_by(&mut self, user: &UserSid) -> Result<Vec<Invitation>> {
        invitations::sent_by(&mut self.tx, user).await
    }
    async fn org_invitations_sent_by(&mut self, user: &UserSid) -> Result<Vec<OrgInvitation>> {
        org_invitations::sent_by(&mut self.tx, user).await
    }
    async fn set_account_organization(
        &mut self,
        account: &AccountSid,
        org: Option<&OrganizationSid>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        offboarding::set_account_organization(&mut self.tx, account, org, at).await
    }
    async fn erase_user(&mut self, user: &UserSid, erased: &Email, name: &str, at: DateTime<Utc>) -> Result<()> {
        offboarding::erase_user(&mut self.tx, user, erased, name, at).await
    }
    async fn pseudonymize_audit(&mut self, user: &UserSid, email: &str, name: &str, replacement: &str) -> Result<u64> {
        audit::pseudonymize(&mut self.tx, user, email, name, replacement).await
    }
    async fn insert_offboarding_report(&mut self, report: &OffboardingReport) -> Result<()> {
        offboarding::insert_report(&mut self.tx, report).await
    }
    async fn offboarding_reports(
        &mut self,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<OffboardingReport>> {
        offboarding::reports(&mut self.tx, org, page).await
    }
    async fn offboarding_report(
        &mut self,
        org: &OrganizationSid,
        sid: &OffboardingSid,
    ) -> Result<Option<OffboardingReport>> {
        offboarding::report_by_sid(&mut self.tx, org, sid).await
    }
    async fn insert_scim_token(&mut self, token: &ScimToken) -> Result<()> {
        scim::insert_token(&mut self.tx, token).await
    }
    async fn scim_tokens(&mut self, org: &OrganizationSid) -> Result<Vec<ScimToken>> {
        scim::tokens(&mut self.tx, org).await
    }
    async fn scim_token_by_hash(&mut self, token_hash: &str) -> Result<Option<ScimToken>> {
        scim::token_by_hash(&mut self.tx, token_hash).await
    }
    async fn revoke_scim_token(&mut self, org: &OrganizationSid, sid: &ScimTokenSid, at: DateTime<Utc>) -> Result<u64> {
        scim::revoke_token(&mut self.tx, org, sid, at).await
    }
    async fn touch_scim_token(&mut self, sid: &ScimTokenSid, at: DateTime<Utc>) -> Result<()> {
        scim::touch_token(&mut self.tx, sid, at).await
    }
    async fn set_user_status(&mut self, user: &UserSid, status: UserStatus, at: DateTime<Utc>) -> Result<()> {
        scim::set_user_status(&mut self.tx, user, status, at).await
    }
    async fn scim_profile(&mut self, user: &UserSid) -> Result<Option<ScimProfile>> {
        scim::profile_of(&mut self.tx, user).await
    }
    async fn scim_profiles(&mut self, org: &OrganizationSid) -> Result<Vec<(UserSid, ScimProfile)>> {
        scim::profiles(&mut self.tx, org).await
    }
    async fn put_scim_profile(
        &mut self,
        org: &OrganizationSid,
        user: &UserSid,
        profile: &ScimProfile,
        at: DateTime<Utc>,
    ) -> Result<()> {
        scim::put_profile(&mut self.tx, org, user, profile, at).await
    }
    async fn insert_group(&mut self, group: &Group) -> Result<()> {
        groups::insert(&mut self.tx, group).await
    }
    async fn update_group(&mut self, group: &Group) -> Result<()> {
        groups::update(&mut self.tx, group).await
    }
    async fn group(&mut self, org: &OrganizationSid, sid: &GroupSid) -> Result<Option<Group>> {
        groups::by_sid(&mut self.tx, org, sid).await
    }
    async fn groups(&mut self, org: &OrganizationSid) -> Result<Vec<Group>> {
        groups::of_organization(&mut self.tx, org).await
    }
    async fn delete_group(&mut self, org: &OrganizationSid, sid: &GroupSid) -> Result<u64> {
        groups::delete(&mut self.tx, org, sid).await
    }
    async fn group_members(&mut self, org: &OrganizationSid) -> Result<Vec<(GroupSid, UserSid)>> {
        groups::members(&mut self.tx, org).await
    }
    async fn set_group_members(&mut self, group: &GroupSid, users: &[UserSid]) -> Result<()> {
        groups::set_members(&mut self.tx, group, users).await
    }
    async fn leave_all_groups(&mut self, user: &UserSid, at: DateTime<Utc>) -> Result<u64> {
        groups::leave_all(&mut self.tx, user, at).await
    }
    async fn insert_oauth_app(&mut self, app: &OAuthApp) -> Result<()> {
        oauth::insert(&mut self.tx, app).await
    }
    async fn oauth_apps(&mut self, org: &OrganizationSid) -> Result<Vec<OAuthApp>> {
        oauth::of_organization(&mut self.tx, org).await
    }
    async fn oauth_app(&mut self, sid: &OAuthAppSid) -> Result<Option<OAuthApp>> {
        oauth::by_sid(&mut self.tx, sid).await
    }
    async fn revoke_oauth_app(&mut self, org: &OrganizationSid, sid: &OAuthAppSid, at: DateTime<Utc>) -> Result<u64> {
        oauth::revoke(&mut self.tx, org, sid, at).await
    }
    async fn touch_oauth_app(&mut self, sid: &OAuthAppSid, at: DateTime<Utc>) -> Result<()> {
        oauth::touch(&mut self.tx, sid, at).await
    }
    async fn role_assignment(&mut self, sid: &RoleAssignmentSid) -> Result<Option<RoleAssignment>> {
        access::by_sid(&mut self.tx, sid).await
    }
    async fn all_user_assignments(&mut self, user: &UserSid) -> Result<Vec<RoleAssignment>> {
        access::of_user(&mut self.tx, user).await
    }
    async fn delete_role_assignment(&mut self, sid: &RoleAssignmentSid) -> Result<u64> {
        access::delete_by_sid(&mut self.tx, sid).await
    }
    async fn put_auth_token(&mut self, account: &AccountSid, token_hash: &str, at: DateTime<Utc>) -> Result<()> {
        auth_tokens::put(&mut self.tx, account, token_hash, at).await
    }
    async fn auth_token(&mut self, account: &AccountSid) -> Result<Option<(String, DateTime<Utc>)>> {
        auth_tokens::get_for(&mut self.tx, account).await
    }
    async fn insert_account_request(&mut self, request: &AccountRequest) -> Result<()> {
        account_requests::insert(&mut self.tx, request).await
    }
    async fn update_account_request(&mut self, request: &AccountRequest) -> Result<()> {
        account_requests::update(&mut self.tx, request).await
    }
    async fn account_request(
        &mut self,
        org: &OrganizationSid,
        sid: &AccountRequestSid,
    ) -> Result<Option<AccountRequest>> {
        account_requests::by_sid(&mut self.tx, org, sid).await
    }
    async fn pending_account_request(&mut self, account: &AccountSid) -> Result<Option<AccountRequest>> {
        account_requests::pending_for(&mut self.tx, account).await
    }
    async fn accepted_access_request(
        &mut self,
        org: &OrganizationSid,
        account: &AccountSid,
    ) -> Result<Option<AccountRequest>> {
        account_requests::accepted_access(&mut self.tx, org, account).await
    }
    async fn pending_account_requests(
        &mut self,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<AccountRequest>> {
        account_requests::pending(&mut self.tx, org, page).await
    }
    async fn independent_accounts(&mut self, org: &OrganizationSid, page: &PageRequest) -> Result<Page<Account>> {
        account_requests::independent_accounts(&mut self.tx, org, page).await
    }
    async fn insert_invitation(&mut self, invitation: &Invitation) -> Result<()> {
        invitations::insert(&mut self.tx, invitation).await
    }
    async fn update_invitation(&mut self, invitation: &Invitation) -> Result<()> {
        invitations::update(&mut self.tx, invitation).await
    }
    async fn invitation(&mut self, account: &AccountSid, sid: &InvitationSid) -> Result<Option<Invitation>> {
        invitations::by_sid(&mut self.tx, account, sid).await
    }
    async fn invitation_by_token(&mut self, token_hash: &str) -> Result<Option<Invitation>> {
        invitations::by_token(&mut self.tx, token_hash).await
    }
    async fn pending_invitation(&mut self, account: &AccountSid, email: &Email) -> Result<Option<Invitation>> {
        invitations::pending_for(&mut self.tx, account, email).await
    }
    async fn pending_invitations(&mut self, account: &AccountSid, page: &PageRequest) -> Result<Page<Invitation>> {
        invitations::pending(&mut self.tx, account, page).await
    }
    async fn append_audit(&mut self, event: &AuditEvent) -> Result<()> {
        audit::append(&mut self.tx, event).await
    }
    async fn audit_events(&mut self, scope: &AuditScope, page: &PageRequest) -> Result<Page<AuditEvent>> {
        audit::list(&mut self.tx, scope, page).await
    }

    async fn insert_session(&mut self, session: &Session) -> Result<()> {
        sessions::insert(&mut self.tx, session).await
    }
    async fn session(&mut self, token_hash: &str) -> Result<Option<Session>> {
        sessions::by_hash(&mut self.tx, token_hash).await
    }
    async fn touch_session(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<()> {
        sessions::touch(&mut self.tx, token_hash, at).await
    }
    async fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        sessions::delete(&mut self.tx, token_hash).await
    }
    async fn delete_user_sessions(&mut self, user: &UserSid) -> Result<u64> {
        sessions::delete_of_user(&mut self.tx, user).await
    }

    async fn delete_user_sessions_except(&mut self, user: &UserSid, keep_hash: &str) -> Result<u64> {
        sessions::delete_of_user_except(&mut self.tx, user, keep_hash).await
    }
    async fn user_sessions(&mut self, user: &UserSid) -> Result<Vec<Session>> {
        sessions::of_user(&mut self.tx, user).await
    }
    async fn put_session_flash(&mut self, token_hash: &str, value: &str) -> Result<()> {
        sessions::put_flash(&mut self.tx, token_hash, value).await
    }
    async fn take_session_flash(&mut self, token_hash: &str) -> Result<Option<String>> {
        sessions::take_flash(&mut self.tx, token_hash).await
    }
    async fn set_session_stage(&mut self, token_hash: &str, stage: SessionStage) -> Result<()> {
        sessions::set_stage(&mut self.tx, token_hash, stage).await
    }

    async fn enqueue_email(&mut self, email: &OutboxEmail) -> Result<()> {
        security::enqueue(&mut self.tx, email).await
    }
    async fn claim_emails(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxEmail>> {
        security::claim(&mut self.tx, now, lease_until, limit).await
    }
    async fn record_email_attempt(&mut self, sid: &EmailSid, outcome: &EmailOutcome) -> Result<()> {
        security::record_attempt(&mut self.tx, sid, outcome).await
    }
    async fn outbox(&mut self, scope: &AuditScope, page: &PageRequest) -> Result<Page<OutboxEmail>> {
        security::outbox(&mut self.tx, scope, page).await
    }

    async fn insert_token(&mut self, token: &OneTimeToken) -> Result<()> {
        security::insert_token(&mut self.tx, token).await
    }
    async fn use_token(
        &mut self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>> {
        security::use_token(&mut self.tx, token_hash, purpose, now).await
    }
    async fn delete_user_tokens(&mut self, user: &UserSid, purpose: TokenPurpose) -> Result<()> {
        security::delete_user_tokens(&mut self.tx, user, purpose).await
    }

    async fn upsert_second_factor(&mut self, factor: &SecondFactor) -> Result<()> {
        security::upsert_factor(&mut self.tx, factor).await
    }
    async fn second_factors(&mut self, user: &UserSid) -> Result<Vec<SecondFactor>> {
        security::factors(&mut self.tx, user).await
    }
    async fn delete_second_factors(&mut self, user: &UserSid) -> Result<()> {
        security::delete_factors(&mut self.tx, user).await
    }
    async fn advance_totp_step(&mut self, user: &UserSid, step: i64) -> Result<bool> {
        security::advance_totp_step(&mut self.tx, user, step).await
    }
    async fn replace_recovery_codes(&mut self, user: &UserSid, hashes: &[String], at: DateTime<Utc>) -> Result<()> {
        security::replace_recovery_codes(&mut self.tx, user, hashes, at).await
    }
    async fn use_recovery_code(&mut self, user: &UserSid, hash: &str, at: DateTime<Utc>) -> Result<bool> {
        security::use_recovery_code(&mut self.tx, user, hash, at).await
    }
    async fn remaining_recovery_codes(&mut self, user: &UserSid) -> Result<u64> {
        security::remaining_recovery_codes(&mut self.tx, user).await
    }

    async fn throttle(&mut self, key: &str) -> Result<Option<Throttle>> {
        security::throttle(&mut self.tx, key).await
    }
    async fn save_throttle(&mut self, throttle: &Throttle) -> Result<()> {
        security::save_throttle(&mut self.tx, throttle).await
    }
    async fn clear_throttle(&mut self, key: &str) -> Result<()> {
        security::clear_throttle(&mut self.tx, key).await
    }

    async fn replace_setup_token(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<()> {
        sessions::replace_setup_token(&mut self.tx, token_hash, at).await
    }
    async fn setup_token_valid(&mut self, token_hash: &str) -> Result<bool> {
        sessions::setup_token_valid(&mut self.tx, token_hash).await
    }
    async fn consume_setup_token(&mut self, token_hash: &str) -> Result<bool> {
        sessions::consume_setup_token(&mut self.tx, token_hash).await
    }
}
