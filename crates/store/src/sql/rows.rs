//! Row decoding and error mapping shared by the query modules.

use gatehouse_domain::account::{Account, AccountSettings, AccountStatus};
use gatehouse_domain::organization::Organization;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::sid::{AccountSid, OrganizationSid, UserSid};
use gatehouse_domain::user::{Email, User, UserStatus};
use gatehouse_domain::{Error, Result};
use sqlx::Row as _;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Db;

pub(crate) type Conn = <Db as sqlx::Database>::Connection;
pub(crate) type Row = <Db as sqlx::Database>::Row;

/// Maps a database error: unique violations become a `Conflict` that names what collided.
pub(crate) fn db_err(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(d) = &e
        && d.is_unique_violation()
    {
        let what = format!("{} {}", d.constraint().unwrap_or_default(), d.message());
        // SQLite names the columns ("domains.organization_sid, domains.name"), PostgreSQL the index.
        let msg = if what.contains("domains_once_per_organization") || what.contains("domains.organization_sid") {
            "this organization has added this domain already"
        } else if what.contains("domains_verified_once") || what.contains("domains.name") {
            "another organization has verified this domain"
        } else if what.contains("groups") {
            "a group with this externalId already exists in this organization"
        } else if what.contains("scim_profiles") {
            gatehouse_domain::scim::EXTERNAL_ID_TAKEN
        } else if what.contains("account_requests") {
            "this account already has a pending request; wait for its Owner's answer or cancel it"
        } else if what.contains("org_invitations") {
            "this address already has a pending invitation to this organization"
        } else if what.contains("invitations") {
            "this address already has a pending invitation to this account"
        } else if what.contains("email") {
            "a user with this email address already exists"
        } else if what.contains("one_owner") {
            "this already has an Owner"
        } else if what.contains("role_assignments") {
            "this role is already assigned"
        } else {
            "this already exists"
        };
        return Error::Conflict(msg.into());
    }
    // PostgreSQL's text cannot hold NUL (SQLSTATE 22021); a value that carries one was typed
    // by a client, whatever surface it came through, and is refused as such, never a 500.
    if let sqlx::Error::Database(d) = &e
        && d.code().as_deref() == Some("22021")
    {
        return Error::invalid("text", "must not contain the NUL character");
    }
    Error::Internal(format!("database: {e}"))
}

/// The `VALUES` of a multi-row `INSERT` (or the list of an `IN`): `rows` tuples of `columns`
/// parameters numbered from `$first` in row order, each written by `param(column,
/// placeholder)` (to wrap one in a conversion). A batch of rows is one statement, so one round
/// trip to the database.
pub(crate) fn values(first: usize, rows: usize, columns: usize, param: impl Fn(usize, String) -> String) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (0..columns).map(|c| param(c, format!("${}", first + r * columns + c))).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many values one `IN (…)` list or multi-row `INSERT` carries at most (SQLite allows
/// 32,766 parameters a statement; PostgreSQL 65,535).
pub(crate) const IN_LIST: usize = 1000;

/// Maps a value stored in the database that no longer parses: data corruption, not user error.
pub(crate) fn corrupt(e: Error) -> Error {
    Error::Internal(format!("stored value does not parse: {e:?}"))
}

pub(crate) fn get<'r, T>(row: &'r Row, col: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    row.try_get(col).map_err(db_err)
}

pub(crate) fn user(row: &Row) -> Result<User> {
    Ok(User {
        sid: UserSid::parse(&get::<String>(row, "sid")?).map_err(corrupt)?,
        email: Email::parse(&get::<String>(row, "email")?).map_err(corrupt)?,
        name: get(row, "name")?,
        status: UserStatus::parse(&get::<String>(row, "status")?).map_err(corrupt)?,
        organization_sid: get::<Option<String>>(row, "organization_sid")?
            .map(|s| OrganizationSid::parse(&s))
            .transpose()
            .map_err(corrupt)?,
        last_login_at: get(row, "last_login_at")?,
        email_verified_at: get(row, "email_verified_at")?,
        require_two_factor: get(row, "require_two_factor")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(crate) fn organization(row: &Row) -> Result<Organization> {
    Ok(Organization {
        sid: OrganizationSid::parse(&get::<String>(row, "sid")?).map_err(corrupt)?,
        name: get(row, "name")?,
        require_two_factor: get(row, "require_two_factor")?,
        invitation_lifetime_days: get(row, "invitation_lifetime_days")?,
        deprovision_keeps_keys: get(row, "deprovision_keeps_keys")?,
        auto_join: get(row, "auto_join")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(crate) fn account(row: &Row) -> Result<Account> {
    Ok(Account {
        sid: AccountSid::parse(&get::<String>(row, "sid")?).map_err(corrupt)?,
        name: get(row, "name")?,
        status: AccountStatus::parse(&get::<String>(row, "status")?).map_err(corrupt)?,
        organization_sid: get::<Option<String>>(row, "organization_sid")?
            .map(|s| OrganizationSid::parse(&s))
            .transpose()
            .map_err(corrupt)?,
        parent_sid: get::<Option<String>>(row, "parent_sid")?
            .map(|s| AccountSid::parse(&s))
            .transpose()
            .map_err(corrupt)?,
        settings: AccountSettings {
            require_two_factor: get(row, "require_two_factor")?,
            require_https_webhooks: get(row, "require_https_webhooks")?,
            require_public_key_validation: get(row, "require_public_key_validation")?,
        },
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

/// The user columns, prefixed with the `u` alias, for `concat!`.
macro_rules! user_columns {
    () => {
        "u.sid, u.email, u.name, u.status, u.organization_sid, u.last_login_at, u.email_verified_at, \
         u.require_two_factor, u.created_at, u.updated_at"
    };
}

/// The account columns, prefixed with the `a` alias, for `concat!`.
macro_rules! account_columns {
    () => {
        "a.sid, a.name, a.status, a.organization_sid, a.parent_sid, a.require_two_factor, \
         a.require_https_webhooks, a.require_public_key_validation, a.created_at, a.updated_at"
    };
}

pub(crate) use {account_columns, user_columns};

/// Which way a keyset page runs through its SIDs. A page's cursor is bound as a value that
/// every query compares with (`sid > $n` ascending, `sid < $n` descending), never as
/// `($n IS NULL OR sid > $n)`: an `OR` with a test of the parameter cannot bound an index
/// range, and SQLite plans a statement once for any value, so every later page walked the index
/// from its start (page 2,000 of 100,000 users read 100,000 index entries). Without a cursor
/// the bound is one that every SID passes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Keyset {
    Ascending,
    Descending,
}

impl Keyset {
    /// The value the page's SIDs are compared with.
    pub(crate) fn bound(self, page: &PageRequest) -> String {
        match (&page.after, self) {
            (Some(cursor), _) => cursor.clone(),
            // The empty string sorts before everything.
            (None, Keyset::Ascending) => String::new(),
            // SIDs are two capital letters and hex digits: lower-case `z` sorts after each of
            // them byte-wise and in every linguistic collation alike.
            (None, Keyset::Descending) => "zzzzzzzz".to_owned(),
        }
    }
}

/// Rows the queries of this engine have read since the process started (every read goes
/// through [`Run`]): what `/metrics` reports, and what tests bound a request's work by.
pub(crate) static ROWS_READ: AtomicU64 = AtomicU64::new(0);

fn counted<T>(rows: T, n: usize) -> T {
    ROWS_READ.fetch_add(n as u64, Ordering::Relaxed);
    rows
}

/// How the query modules run a statement: each mapping database errors, and counting the rows
/// read, in one place.
pub(crate) trait Run {
    /// Every row it returns.
    async fn rows(self, c: &mut Conn) -> Result<Vec<Row>>;
    /// Its first row, if it returns one.
    async fn row(self, c: &mut Conn) -> Result<Option<Row>>;
    /// Its one row (an aggregate).
    async fn one(self, c: &mut Conn) -> Result<Row>;
    /// Runs it for its effect.
    async fn run(self, c: &mut Conn) -> Result<()>;
    /// Runs it; how many rows it changed.
    async fn affected(self, c: &mut Conn) -> Result<u64>;
    /// Its first row, decoded, if it returns one.
    async fn optional<T>(self, c: &mut Conn, decode: impl Fn(&Row) -> Result<T> + Send) -> Result<Option<T>>;
    /// Every row it returns, decoded.
    async fn all<T>(self, c: &mut Conn, decode: impl Fn(&Row) -> Result<T> + Send) -> Result<Vec<T>>;
    /// One page of the rows it returns, decoded. The page's keyset bound (see [`Keyset`]), search
    /// pattern and row limit are bound after the parameters already bound; `key` is an item's
    /// keyset position.
    async fn page<T: Send>(
        self,
        c: &mut Conn,
        page: &PageRequest,
        order: Keyset,
        decode: impl Fn(&Row) -> Result<T> + Send,
        key: impl Fn(&T) -> String + Send,
    ) -> Result<Page<T>>;
}

impl Run for sqlx::query::Query<'_, Db, <Db as sqlx::Database>::Arguments> {
    async fn rows(self, c: &mut Conn) -> Result<Vec<Row>> {
        let rows = self.fetch_all(c).await.map_err(db_err)?;
        let n = rows.len();
        Ok(counted(rows, n))
    }

    async fn row(self, c: &mut Conn) -> Result<Option<Row>> {
        let row = self.fetch_optional(c).await.map_err(db_err)?;
        let n = usize::from(row.is_some());
        Ok(counted(row, n))
    }

    async fn one(self, c: &mut Conn) -> Result<Row> {
        Ok(counted(self.fetch_one(c).await.map_err(db_err)?, 1))
    }

    async fn run(self, c: &mut Conn) -> Result<()> {
        self.execute(c).await.map_err(db_err)?;
        Ok(())
    }

    async fn affected(self, c: &mut Conn) -> Result<u64> {
        Ok(self.execute(c).await.map_err(db_err)?.rows_affected())
    }

    async fn optional<T>(self, c: &mut Conn, decode: impl Fn(&Row) -> Result<T> + Send) -> Result<Option<T>> {
        self.row(c).await?.as_ref().map(decode).transpose()
    }

    async fn all<T>(self, c: &mut Conn, decode: impl Fn(&Row) -> Result<T> + Send) -> Result<Vec<T>> {
        // Decoded as they arrive: a long list never holds its raw rows and its items at once.
        use futures_util::TryStreamExt;
        let mut rows = self.fetch(c);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await.map_err(db_err)? {
            out.push(decode(&row)?);
        }
        let n = out.len();
        Ok(counted(out, n))
    }

    async fn page<T: Send>(
        self,
        c: &mut Conn,
        page: &PageRequest,
        order: Keyset,
        decode: impl Fn(&Row) -> Result<T> + Send,
        key: impl Fn(&T) -> String + Send,
    ) -> Result<Page<T>> {
        let items =
            self.bind(order.bound(page)).bind(page.like_pattern()).bind(page.fetch_limit()).all(c, decode).await?;
        Ok(Page::from_rows(items, page, key))
    }
}
