//! SQL for listing an organization's SCIM users: a `UserQuery` (a SCIM filter resolved by
//! `domain::scim_filter::users`) becomes one `WHERE` clause, one `ORDER BY` and a `COUNT` over
//! the same condition, so a filter such as `userName eq "…"` is one index lookup.

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::scim::ScimUser;
use gatehouse_domain::scim_filter::users::{TextOp, TimeOp, UserColumn, UserCondition, UserOrder, UserQuery};
use gatehouse_domain::sid::OrganizationSid;
use sqlx::AssertSqlSafe;

use super::dialect;
use super::rows::{self, Conn, Row, Run, get, user_columns};
use super::scim::profile_columns;

/// A value the condition binds.
enum Bind {
    Text(String),
    Time(DateTime<Utc>),
}

/// The condition as SQL over `users u LEFT JOIN scim_profiles p`, with its binds numbered after
/// the organization (`$1`).
struct Clause {
    binds: Vec<Bind>,
}

impl Clause {
    fn param(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("${}", self.binds.len() + 1)
    }

    /// Every condition is two-valued (a column without a value makes a comparison false, never
    /// NULL), so `NOT` means what the in-memory evaluator means.
    fn sql(&mut self, c: &UserCondition) -> String {
        match c {
            UserCondition::Always(true) => "1 = 1".into(),
            UserCondition::Always(false) => "1 = 0".into(),
            UserCondition::HasValue(column, true) => format!("{} IS NOT NULL", expr(*column)),
            UserCondition::HasValue(column, false) => format!("{} IS NULL", expr(*column)),
            UserCondition::Active(true) => "u.status = 'active'".into(),
            UserCondition::Active(false) => "u.status <> 'active'".into(),
            UserCondition::Text { column, op, value, fold } => {
                let a = if *fold { folded(*column) } else { expr(*column).to_owned() };
                let b = self.param(Bind::Text(value.clone()));
                let test = match op {
                    TextOp::Eq => format!("{a} = {b}"),
                    TextOp::Contains => dialect::text_contains(&a, &b),
                    TextOp::StartsWith => format!("substr({a}, 1, length({b})) = {b}"),
                    TextOp::EndsWith => {
                        format!("length({a}) >= length({b}) AND substr({a}, length({a}) - length({b}) + 1) = {b}")
                    }
                    TextOp::Greater => format!("{a} > {b}{}", dialect::BYTE_ORDER),
                    TextOp::GreaterOrEqual => format!("{a} >= {b}{}", dialect::BYTE_ORDER),
                    TextOp::Less => format!("{a} < {b}{}", dialect::BYTE_ORDER),
                    TextOp::LessOrEqual => format!("{a} <= {b}{}", dialect::BYTE_ORDER),
                };
                guarded(*column, &test)
            }
            UserCondition::Time { column, op, at } => {
                let col = expr(*column);
                let test = match op {
                    TimeOp::Within => {
                        let from = self.param(Bind::Time(*at));
                        let to = self.param(Bind::Time(*at + Duration::milliseconds(1)));
                        format!("{col} >= {from} AND {col} < {to}")
                    }
                    TimeOp::AtOrAfter => format!("{col} >= {}", self.param(Bind::Time(*at))),
                    TimeOp::Before => format!("{col} < {}", self.param(Bind::Time(*at))),
                };
                guarded(*column, &test)
            }
            UserCondition::And(a, b) => format!("({} AND {})", self.sql(a), self.sql(b)),
            UserCondition::Or(a, b) => format!("({} OR {})", self.sql(a), self.sql(b)),
            UserCondition::Not(inner) => format!("NOT ({})", self.sql(inner)),
        }
    }
}

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

/// The column with its ASCII letters lowercased. Addresses are stored lowercased, so
/// `lower(u.email)` is the address itself, and it is what the unique index is on.
fn folded(column: UserColumn) -> String {
    match column {
        UserColumn::Email => "lower(u.email)".into(),
        other => dialect::fold_ascii(expr(other)),
    }
}

/// A test on a column that may have no value holds only where it has one.
fn guarded(column: UserColumn, test: &str) -> String {
    if column.nullable() { format!("({} IS NOT NULL AND {test})", expr(column)) } else { format!("({test})") }
}

fn order_by(query: &UserQuery) -> String {
    let direction = if query.descending { "DESC" } else { "ASC" };
    match query.order {
        None => "u.sid".into(),
        Some(UserOrder::Active) => format!("(u.status = 'active') {direction}, u.sid"),
        Some(UserOrder::Column { column, fold }) => {
            let key = if fold { folded(column) } else { expr(column).to_owned() };
            format!("{key}{} {direction} NULLS LAST, u.sid", dialect::BYTE_ORDER)
        }
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, super::Db, <super::Db as sqlx::Database>::Arguments>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, super::Db, <super::Db as sqlx::Database>::Arguments> {
    for b in binds {
        q = match b {
            Bind::Text(t) => q.bind(t.as_str()),
            Bind::Time(t) => q.bind(*t),
        };
    }
    q
}

const FROM: &str = "FROM users u LEFT JOIN scim_profiles p ON p.user_sid = u.sid AND p.organization_sid = u.organization_sid \
                    WHERE u.organization_sid = $1";

/// See `ScimTx::scim_user_page`. The page is read first: when it is not full, it reaches the
/// end, so the total is known without counting (an `eq` lookup is one query).
pub(super) async fn page(c: &mut Conn, org: &OrganizationSid, query: &UserQuery) -> Result<(Vec<ScimUser>, u64)> {
    let mut clause = Clause { binds: Vec::new() };
    let condition = clause.sql(&query.condition);
    let users = if query.limit == 0 {
        Vec::new()
    } else {
        let n = clause.binds.len();
        let sql = format!(
            concat!(
                "SELECT ",
                user_columns!(),
                ", p.external_id, p.given_name, p.family_name {} AND {} ORDER BY {} LIMIT ${} OFFSET ${}"
            ),
            FROM,
            condition,
            order_by(query),
            n + 2,
            n + 3
        );
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
        bind_all(sqlx::query(AssertSqlSafe(sql)).bind(org.as_str()), &clause.binds)
            .bind(limit)
            .bind(offset)
            .all(&mut *c, scim_user)
            .await?
    };
    let short = (users.len() as u64) < query.limit;
    if short && (query.offset == 0 || !users.is_empty()) {
        let total = query.offset + users.len() as u64;
        return Ok((users, total));
    }
    let count_sql = format!("SELECT COUNT(*) AS n {FROM} AND {condition}");
    let row = bind_all(sqlx::query(AssertSqlSafe(count_sql)).bind(org.as_str()), &clause.binds).one(c).await?;
    Ok((users, u64::try_from(get::<i64>(&row, "n")?).unwrap_or_default()))
}

fn scim_user(r: &Row) -> Result<ScimUser> {
    Ok(ScimUser { user: rows::user(r)?, profile: profile_columns(r)? })
}
