//! `gatehouse-bench seed`: fills a database with the benchmark's data set, through the store's
//! own transactions (never raw SQL), so the rows are exactly what the product writes.
//!
//! The data set (defaults): 1,000 organizations, 1,000,000 users and 100,000 accounts. One
//! organization — the one `--big-organization` names, made first with `gatehouse admin
//! create-owner` — holds `--big-users` managed users with SCIM profiles, and its verified domain
//! `--big-domain`; the other organizations share the rest of the users and the accounts evenly.
//! Every account has an Owner and a Developer. Access is also held the other ways: the big
//! organization has groups (each granted Support on a few of its accounts with their
//! subaccounts, which every tenth big account has), and in every other organization one user
//! holds Viewer on the organization (every account it manages). Prints what it made as JSON.
//!
//! `gatehouse-bench authorize --database-url URL`: loads the permission-check index as a server
//! does at start-up and times the in-process decision, one question at a time; prints JSON.
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
use gatehouse_domain::group::Group;
use gatehouse_domain::membership::{GroupAssignment, RoleAssignment, ScopeRef};
use gatehouse_domain::organization::Organization;
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::scim::ScimProfile;
use gatehouse_domain::sid::{DomainSid, GroupSid, OrganizationSid};
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
    /// Loads the permission-check index and times in-process decisions.
    Authorize {
        /// `sqlite://path` or `postgres://…`, seeded.
        #[arg(long)]
        database_url: String,
        /// How many questions to time.
        #[arg(long, default_value_t = 1_000_000)]
        questions: usize,
    },
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
        Cli::Authorize { database_url, questions } => return authorize(&database_url, questions).await,
    };
    let store = open(&seed.database_url).await?;
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

async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    Ok(if url.starts_with("postgres") {
        Arc::new(PgStore::connect(url).await?)
    } else {
        Arc::new(SqliteStore::connect(url).await?)
    })
}

/// Loads the index (timed, as start-up does) and asks it `count` questions about users who hold
/// something, on accounts they hold it on and on others, each timed alone.
async fn authorize(url: &str, count: usize) -> anyhow::Result<()> {
    let store = open(url).await?;
    let app = gatehouse_app::App::new(store.clone());
    let started = Instant::now();
    let stats = app.load_access_index().await?;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let rows = store.read().await?.access_rows(None).await?;
    use gatehouse_domain::access_index::{ScopeBits, sid_text};
    let accounts: Vec<String> = rows.accounts.iter().map(|a| sid_text("AC", a.sid)).collect();
    let permissions = gatehouse_domain::permission::Permission::ALL;
    let mut questions = Vec::with_capacity(4096);
    for (i, a) in rows.user_assignments.iter().take(2048).enumerate() {
        let resource = match a.scope {
            ScopeBits::Account(_) => a.scope.sid(),
            ScopeBits::Organization(_) => accounts[i * 7919 % accounts.len()].clone(),
        };
        for resource in [resource, accounts[i * 104_729 % accounts.len()].clone()] {
            questions.push(gatehouse_app::CheckQuestion {
                principal: sid_text("US", a.holder),
                permission: permissions[i % permissions.len()].name().to_owned(),
                resource,
            });
        }
    }
    anyhow::ensure!(!questions.is_empty(), "nobody holds anything: seed the data set first");
    let mut nanos = Vec::with_capacity(count);
    let mut allowed = 0usize;
    for i in 0..count {
        let q = &questions[i % questions.len()];
        let t = Instant::now();
        let yes = app.allowed_in_index(q)?;
        nanos.push(t.elapsed().as_nanos() as u64);
        allowed += usize::from(yes);
    }
    nanos.sort_unstable();
    let at = |p: f64| nanos[((nanos.len() as f64 * p) as usize).min(nanos.len() - 1)];
    // Where the time goes, on average over a batch (no clock per call): reading the SIDs and the
    // permission's name, and the whole decision.
    let batch = |f: &dyn Fn(&gatehouse_app::CheckQuestion) -> bool| {
        let t = Instant::now();
        let mut n = 0usize;
        for i in 0..count {
            n += usize::from(f(&questions[i % questions.len()]));
        }
        (t.elapsed().as_nanos() as f64 / count as f64, n)
    };
    let (parse_ns, _) = batch(&|q| {
        use gatehouse_domain::access_index::sid_bits;
        sid_bits(&q.principal).is_some()
            && sid_bits(&q.resource).is_some()
            && gatehouse_domain::permission::Permission::parse(&q.permission).is_some()
    });
    let (mean_ns, _) = batch(&|q| app.allowed_in_index(q).unwrap_or(false));
    println!(
        "{}",
        serde_json::json!({
            "load_ms": load_ms,
            "users": stats.users,
            "accounts": stats.accounts,
            "assignments": stats.assignments,
            "bytes": stats.bytes,
            "bytes_per_assignment": stats.bytes as f64 / stats.assignments.max(1) as f64,
            "questions": count,
            "allowed": allowed,
            "p50_ns": at(0.50),
            "p99_ns": at(0.99),
            "mean_ns": mean_ns,
            "parse_mean_ns": parse_ns,
        })
    );
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
    let (mut other_orgs, mut org_viewers) = (Vec::with_capacity(others), Vec::with_capacity(others));
    for o in 0..others {
        let org = Organization::new(format!("Bench Org {o}"), now);
        tx.insert_organization(&org).await?;
        other_orgs.push(org.sid.clone());
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
        org_viewers.push(members[members.len() - 1].clone());
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
    let mut big_account_sids = Vec::with_capacity(seed.big_accounts);
    for a in 0..seed.big_accounts {
        let account = Account::new(format!("Big Account {a}"), Some(big.clone()), None, now);
        tx.insert_account(&account).await?;
        big_account_sids.push(account.sid.clone());
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
    // Access held the other ways. Every tenth big account has a subaccount; the big
    // organization's groups hold Support on a few accounts with their subaccounts; one user of
    // every other organization holds Viewer on it (every account it manages).
    let big_account_sids = big_account_sids;
    let mut subaccounts = 0;
    for parent in big_account_sids.iter().step_by(10) {
        let sub = Account::new("Big Subaccount".to_owned(), Some(big.clone()), Some(parent.clone()), now);
        tx.insert_account(&sub).await?;
        subaccounts += 1;
        tx = flush(store, tx, &mut written).await?;
    }
    let groups = (seed.big_users / 500).clamp(1, 200);
    let (mut memberships, mut group_grants) = (0, 0);
    for g in 0..groups {
        let group = Group {
            sid: GroupSid::generate(),
            organization_sid: big.clone(),
            display_name: format!("Bench Group {g}"),
            external_id: Some(format!("00g{g:08}")),
            created_at: now,
            updated_at: now,
        };
        tx.insert_group(&group).await?;
        let members: Vec<_> = (0..250).map(|k| big_members[(g * 250 + k) * 31 % big_members.len()].clone()).collect();
        memberships += tx.add_group_members(&group.sid, &members).await?.len();
        for k in 0..5 {
            let account = &big_account_sids[(g * 5 + k) * 13 % big_account_sids.len()];
            let grant = GroupAssignment {
                with_subaccounts: true,
                ..GroupAssignment::new(
                    AccountRole::Support.sid(),
                    group.sid.clone(),
                    ScopeRef::Account(account.clone()),
                    now,
                )
            };
            if tx.insert_group_assignment(&grant).await.is_ok() {
                group_grants += 1;
            }
        }
        tx = flush(store, tx, &mut written).await?;
    }
    for (o, viewer) in org_viewers.iter().enumerate() {
        let scope = ScopeRef::Organization(other_orgs[o].clone());
        tx.insert_assignment(&RoleAssignment::new(AccountRole::Viewer.sid(), viewer.clone(), scope, now)).await?;
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
        "big_subaccounts": subaccounts,
        "groups": groups,
        "memberships": memberships,
        "group_grants": group_grants,
        "organization_grants": org_viewers.len(),
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
