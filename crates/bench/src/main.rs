//! `gatehouse-bench seed`: fills a database with the benchmark's data set, through the store's
//! own transactions (never raw SQL), so the rows are exactly what the product writes.
//!
//! The data set (defaults): 1,000 organizations, 1,000,000 users and 100,000 accounts. One
//! organization — the one `--big-organization` names, made first with `gatehouse admin
//! create-owner` — holds `--big-users` managed users with SCIM profiles, and its verified domain
//! `--big-domain`; the other organizations share the rest of the users and the accounts evenly.
//! Every account has an Owner and a Developer. Prints what it made as JSON.
//!
//! `gatehouse-bench bare --listen ADDR`: a bare axum server answering `GET /healthz`, on the
//! same runtime and HTTP stack as `gatehouse serve` but with no middleware, so the benchmark can
//! print the fixed cost of Gatehouse's request pipeline beside it.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Utc;
use clap::Parser;
use gatehouse_domain::account::Account;
use gatehouse_domain::domains::{Domain, DomainStatus};
use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
use gatehouse_domain::organization::Organization;
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::scim::ScimProfile;
use gatehouse_domain::sid::{DomainSid, OrganizationSid};
use gatehouse_domain::store::{Store, Tx};
use gatehouse_domain::user::{Email, User};
use gatehouse_store::{PgStore, SqliteStore};

/// How many rows one transaction writes.
const BATCH: usize = 5_000;

#[derive(Parser)]
#[command(name = "gatehouse-bench", about = "Generates the benchmark's data set through the store.")]
enum Cli {
    /// Adds the data set to a migrated database.
    Seed(Seed),
    /// Serves `GET /healthz` with bare axum (the floor the pipeline is measured against).
    Bare {
        /// Where to listen, e.g. `127.0.0.1:8081`.
        #[arg(long)]
        listen: std::net::SocketAddr,
    },
}

#[derive(Parser)]
struct Seed {
    /// `sqlite://path` or `postgres://…`, already migrated (`gatehouse migrate`).
    #[arg(long)]
    database_url: String,
    /// The organization that gets the big share of users (made by `admin create-owner`).
    #[arg(long)]
    big_organization: String,
    /// Its domain, stored as verified so SCIM can provision addresses in it.
    #[arg(long, default_value = "big.bench.test")]
    big_domain: String,
    /// Managed users of the big organization.
    #[arg(long, default_value_t = 100_000)]
    big_users: usize,
    /// Organizations in all, the big one included.
    #[arg(long, default_value_t = 1_000)]
    organizations: usize,
    /// Users in all.
    #[arg(long, default_value_t = 1_000_000)]
    users: usize,
    /// Accounts in all: the big organization's, and the rest spread over the others.
    #[arg(long, default_value_t = 100_000)]
    accounts: usize,
    /// Accounts of the big organization, each with four of its users and one guest (a user
    /// of another organization), so its users list has guests to merge in.
    #[arg(long, default_value_t = 1_000)]
    big_accounts: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seed = match Cli::parse() {
        Cli::Seed(seed) => seed,
        Cli::Bare { listen } => return bare(listen).await,
    };
    let store: Arc<dyn Store> = if seed.database_url.starts_with("postgres") {
        Arc::new(PgStore::connect(&seed.database_url).await?)
    } else {
        Arc::new(SqliteStore::connect(&seed.database_url).await?)
    };
    let started = Instant::now();
    let report = run(&*store, &seed).await?;
    // The planner's statistics, as a server gathers them after start-up (SQLite) or autovacuum
    // a minute after a bulk load (PostgreSQL): measured at once, the first minute would be
    // planned without them.
    store.refresh_statistics().await?;
    store.close().await;
    if seed.database_url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&seed.database_url).await?;
        sqlx::query("ANALYZE").execute(&pool).await?;
        pool.close().await;
    }
    eprintln!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    println!("{report}");
    Ok(())
}

/// The same answer as Gatehouse's `/healthz`, with nothing around it.
async fn bare(listen: std::net::SocketAddr) -> anyhow::Result<()> {
    let healthz = || async { axum::Json(serde_json::json!({ "status": "ok" })) };
    let router = axum::Router::new().route("/healthz", axum::routing::get(healthz));
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
    axum::serve(listener, router).await?;
    Ok(())
}

async fn run(store: &dyn Store, seed: &Seed) -> anyhow::Result<serde_json::Value> {
    if seed.organizations < 2 || seed.users < seed.big_users + 2 * (seed.organizations - 1) {
        bail!("need at least two organizations and two users per organization beyond the big one's");
    }
    if seed.big_users < 4 || seed.big_accounts > seed.accounts {
        bail!("the big organization needs four users, and its accounts are part of --accounts");
    }
    let big = OrganizationSid::parse(&seed.big_organization).context("--big-organization")?;
    let now = Utc::now();
    let mut tx = store.write().await?;
    if tx.organization(&big).await?.is_none() {
        bail!("--big-organization {big} does not exist: make it with `gatehouse admin create-owner`");
    }
    tx.insert_domain(&Domain {
        sid: DomainSid::generate(),
        organization_sid: big.clone(),
        name: seed.big_domain.clone(),
        token: "bench".into(),
        status: DomainStatus::Verified,
        verified_at: Some(now),
        checked_at: Some(now),
        last_error: None,
        created_at: now,
    })
    .await?;
    tx.commit().await?;

    let mut written = 0;
    let mut tx = store.write().await?;
    let mut big_members = Vec::with_capacity(seed.big_users);
    for i in 0..seed.big_users {
        let email = Email::parse(&format!("user{i}@{}", seed.big_domain))?;
        let user =
            User { email_verified_at: Some(now), ..User::new(email, format!("Big User {i}"), Some(big.clone()), now) };
        tx.insert_user(&user, None).await?;
        let profile = ScimProfile {
            external_id: Some(format!("00u{i:08}")),
            given_name: Some("Big".into()),
            family_name: Some(format!("User {i}")),
            attributes: serde_json::Map::new(),
        };
        tx.put_scim_profile(&big, &user.sid, &profile, now).await?;
        big_members.push(user.sid);
        tx = flush(store, tx, &mut written).await?;
    }

    let others = seed.organizations - 1;
    let per_org_users = (seed.users - seed.big_users) / others;
    let per_org_accounts = (seed.accounts - seed.big_accounts) / others;
    let mut sample_account = None;
    let mut guests = Vec::with_capacity(others);
    for o in 0..others {
        let org = Organization::new(format!("Bench Org {o}"), now);
        tx.insert_organization(&org).await?;
        let mut members = Vec::with_capacity(per_org_users);
        for u in 0..per_org_users {
            let email = Email::parse(&format!("u{u}@org{o}.bench.test"))?;
            let user = User::new(email, format!("Org {o} User {u}"), Some(org.sid.clone()), now);
            tx.insert_user(&user, None).await?;
            members.push(user.sid);
            tx = flush(store, tx, &mut written).await?;
        }
        let owner = &members[0];
        guests.push(members[1].clone());
        let org_owner =
            RoleAssignment::new(OrgRole::Owner.sid(), owner.clone(), ScopeRef::Organization(org.sid.clone()), now);
        tx.insert_assignment(&org_owner).await?;
        for a in 0..per_org_accounts {
            let account = Account::new(format!("Bench Account {o}.{a}"), Some(org.sid.clone()), None, now);
            tx.insert_account(&account).await?;
            let scope = ScopeRef::Account(account.sid.clone());
            tx.insert_assignment(&RoleAssignment::new(AccountRole::Owner.sid(), owner.clone(), scope.clone(), now))
                .await?;
            if let Some(dev) = members.get(1 + a % (members.len() - 1).max(1)).filter(|d| *d != owner) {
                tx.insert_assignment(&RoleAssignment::new(AccountRole::Developer.sid(), dev.clone(), scope, now))
                    .await?;
            }
            sample_account.get_or_insert(account.sid);
            tx = flush(store, tx, &mut written).await?;
        }
    }
    for a in 0..seed.big_accounts {
        let account = Account::new(format!("Big Account {a}"), Some(big.clone()), None, now);
        tx.insert_account(&account).await?;
        let scope = ScopeRef::Account(account.sid.clone());
        for k in 0..4 {
            let member = &big_members[(a * 4 + k) * 7919 % big_members.len()];
            let role = if k == 0 { AccountRole::Owner } else { AccountRole::Developer };
            tx.insert_assignment(&RoleAssignment::new(role.sid(), member.clone(), scope.clone(), now)).await?;
        }
        let guest = &guests[a % guests.len()];
        tx.insert_assignment(&RoleAssignment::new(AccountRole::Viewer.sid(), guest.clone(), scope, now)).await?;
        tx = flush(store, tx, &mut written).await?;
    }
    tx.commit().await?;
    // A cursor 99% of the way down the big organization's users list (SID order).
    big_members.sort();
    let late = big_members[big_members.len() * 99 / 100].clone();
    Ok(serde_json::json!({
        "organizations": seed.organizations,
        "users": seed.big_users + others * per_org_users,
        "accounts": seed.big_accounts + others * per_org_accounts,
        "big_accounts": seed.big_accounts,
        "big_guests": guests.len().min(seed.big_accounts),
        "big_late_user": late,
        "big_organization": big,
        "big_users": seed.big_users,
        "big_domain": seed.big_domain,
        "sample_account": sample_account,
    }))
}

/// Commits every `BATCH` rows and opens the next transaction.
async fn flush(store: &dyn Store, tx: Box<dyn Tx>, written: &mut usize) -> anyhow::Result<Box<dyn Tx>> {
    *written += 1;
    if !written.is_multiple_of(BATCH) {
        return Ok(tx);
    }
    tx.commit().await?;
    if written.is_multiple_of(100_000) {
        eprintln!("{written} rows");
    }
    Ok(store.write().await?)
}
