//! SQL for SCIM lists: a resolved filter (`domain::scim_filter::stored::Condition`, from
//! `users` or `groups`) becomes one `WHERE` clause, a sort one `ORDER BY`, and a page one query
//! plus, only when the page is full, a `COUNT` over the same condition. Each resource says where
//! its columns are ([`Columns`]); everything else is written once here.

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::scim_filter::stored::{Column, Condition, Order, Query, TextOp, TimeOp};
use gatehouse_domain::sid::OrganizationSid;
use sqlx::AssertSqlSafe;

use super::dialect;
use super::rows::{Conn, Row, Run, get};

/// Where a resource's columns are, in the `FROM` of its list.
pub(super) trait Columns {
    type Column: Column;
    /// `FROM … WHERE <the organization is $1>`.
    const FROM: &'static str;
    /// The columns a page selects.
    const SELECT: &'static str;
    /// The resource's SID, the order after any other (and the only one without a sort).
    const SID: &'static str;
    /// The column's SQL expression.
    fn expr(column: Self::Column) -> &'static str;
    /// The column with its ASCII letters lowercased.
    fn folded(column: Self::Column) -> String {
        dialect::fold_ascii(Self::expr(column))
    }
    /// Whether the resource is active (`yes`) or not; only Users have a status.
    fn active(yes: bool) -> String;
    /// Some member satisfies `inner`; only Groups have members.
    fn member(inner: &str) -> String;
}

/// A value the condition binds.
enum Bind {
    Text(String),
    Time(DateTime<Utc>),
}

/// The condition as SQL, with its binds numbered after the organization (`$1`).
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
    fn sql<S: Columns>(&mut self, c: &Condition<S::Column>) -> String {
        match c {
            Condition::Always(true) => "1 = 1".into(),
            Condition::Always(false) => "1 = 0".into(),
            Condition::HasValue(column, true) => format!("{} IS NOT NULL", S::expr(*column)),
            Condition::HasValue(column, false) => format!("{} IS NULL", S::expr(*column)),
            Condition::Active(yes) => S::active(*yes),
            Condition::Text { column, op, value, fold } => {
                let a = if *fold { S::folded(*column) } else { S::expr(*column).to_owned() };
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
                guarded::<S>(*column, &test)
            }
            Condition::Time { column, op, at } => {
                let col = S::expr(*column);
                let test = match op {
                    TimeOp::Within => {
                        let from = self.param(Bind::Time(*at));
                        let to = self.param(Bind::Time(*at + Duration::milliseconds(1)));
                        format!("{col} >= {from} AND {col} < {to}")
                    }
                    TimeOp::AtOrAfter => format!("{col} >= {}", self.param(Bind::Time(*at))),
                    TimeOp::Before => format!("{col} < {}", self.param(Bind::Time(*at))),
                };
                guarded::<S>(*column, &test)
            }
            Condition::Member(inner) => {
                let inner = self.sql::<S>(inner);
                S::member(&inner)
            }
            Condition::And(a, b) => format!("({} AND {})", self.sql::<S>(a), self.sql::<S>(b)),
            Condition::Or(a, b) => format!("({} OR {})", self.sql::<S>(a), self.sql::<S>(b)),
            Condition::Not(inner) => format!("NOT ({})", self.sql::<S>(inner)),
        }
    }
}

/// A test on a column that may have no value holds only where it has one.
fn guarded<S: Columns>(column: S::Column, test: &str) -> String {
    if column.nullable() { format!("({} IS NOT NULL AND {test})", S::expr(column)) } else { format!("({test})") }
}

fn order_by<S: Columns>(query: &Query<S::Column>) -> String {
    let direction = if query.descending { "DESC" } else { "ASC" };
    match query.order {
        None => S::SID.into(),
        Some(Order::Active) => format!("{} {direction}, {}", S::active(true), S::SID),
        Some(Order::Column { column, fold }) => {
            let key = if fold { S::folded(column) } else { S::expr(column).to_owned() };
            format!("{key}{} {direction} NULLS LAST, {}", dialect::BYTE_ORDER, S::SID)
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

/// One page of the organization's resources that `query` selects, decoded by `decode`, and how
/// many it selects in all. The page is read first: when it is not full, it reaches the end, so
/// the total is known without counting (an `eq` lookup is one query).
pub(super) async fn page<S: Columns, T>(
    c: &mut Conn,
    org: &OrganizationSid,
    query: &Query<S::Column>,
    decode: fn(&Row) -> Result<T>,
) -> Result<(Vec<T>, u64)> {
    let mut clause = Clause { binds: Vec::new() };
    let condition = clause.sql::<S>(&query.condition);
    let found = if query.limit == 0 {
        Vec::new()
    } else {
        let n = clause.binds.len();
        let sql = format!(
            "SELECT {} {} AND {condition} ORDER BY {} LIMIT ${} OFFSET ${}",
            S::SELECT,
            S::FROM,
            order_by::<S>(query),
            n + 2,
            n + 3
        );
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
        bind_all(sqlx::query(AssertSqlSafe(sql)).bind(org.as_str()), &clause.binds)
            .bind(limit)
            .bind(offset)
            .all(&mut *c, decode)
            .await?
    };
    let short = (found.len() as u64) < query.limit;
    if short && (query.offset == 0 || !found.is_empty()) {
        let total = query.offset + found.len() as u64;
        return Ok((found, total));
    }
    let count_sql = format!("SELECT COUNT(*) AS n {} AND {condition}", S::FROM);
    let row = bind_all(sqlx::query(AssertSqlSafe(count_sql)).bind(org.as_str()), &clause.binds).one(c).await?;
    Ok((found, u64::try_from(get::<i64>(&row, "n")?).unwrap_or_default()))
}
