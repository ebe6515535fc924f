//! Where a SCIM User's stored attributes are, for the SCIM lists' SQL (`scim_filter`): a filter
//! such as `userName eq "…"` becomes one lookup in the users' email index.

use gatehouse_domain::Result;
use gatehouse_domain::scim::ScimUser;
use gatehouse_domain::scim_filter::users::{UserColumn, UserQuery};
use gatehouse_domain::sid::OrganizationSid;

use super::dialect;
use super::rows::{self, Conn, Row, user_columns};
use super::scim::profile_columns;
use super::scim_filter::{self, Columns};

/// Users, with their SCIM profiles.
struct Users;

impl Columns for Users {
    type Column = UserColumn;
    const FROM: &'static str = "FROM users u LEFT JOIN scim_profiles p ON p.user_sid = u.sid \
                                AND p.organization_sid = u.organization_sid WHERE u.organization_sid = $1";
    const SELECT: &'static str = concat!(user_columns!(), ", p.external_id, p.given_name, p.family_name, p.attributes");
    const SID: &'static str = "u.sid";

    fn expr(column: UserColumn) -> &'static str {
        match column {
            UserColumn::Sid => "u.sid",
            UserColumn::Email => "u.email",
            UserColumn::Name => "u.name",
            UserColumn::GivenName => "p.given_name",
            UserColumn::FamilyName => "p.family_name",
            UserColumn::ExternalId => "p.external_id",
            UserColumn::CreatedAt => "u.created_at",
            UserColumn::UpdatedAt => "u.updated_at",
        }
    }

    /// Addresses are stored lowercased, so `lower(u.email)` is the address itself, and it is
    /// what the unique index is on.
    fn folded(column: UserColumn) -> String {
        match column {
            UserColumn::Email => "lower(u.email)".into(),
            other => dialect::fold_ascii(Self::expr(other)),
        }
    }

    fn active(yes: bool) -> String {
        if yes { "(u.status = 'active')".into() } else { "(u.status <> 'active')".into() }
    }

    /// Users have no members; the resolver never asks.
    fn member(_inner: &str) -> String {
        "1 = 0".into()
    }
}

/// See `ScimTx::scim_user_page`.
pub(super) async fn page(c: &mut Conn, org: &OrganizationSid, query: &UserQuery) -> Result<(Vec<ScimUser>, u64)> {
    scim_filter::page::<Users, _>(c, org, query, scim_user).await
}

fn scim_user(r: &Row) -> Result<ScimUser> {
    Ok(ScimUser { user: rows::user(r)?, profile: profile_columns(r)? })
}
