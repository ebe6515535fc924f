//! The permission-check API's use case and the node's in-memory index (SPEC §4, ADR 0025).
//!
//! The index is loaded at start-up ([`App::load_access_index`]), brought up to the database's
//! access revision after every write this node serves ([`App::catch_up_access`], called by the
//! HTTP layer) and whenever another node commits a change ([`App::follow_access_changes`]:
//! PostgreSQL's `NOTIFY`, or a poll). Changes are read by revision, so a missed notification
//! only delays a node until its next poll; a node that fell behind the pruned log reloads.

use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gatehouse_domain::access_index::{
    AccessIndex, AccessPart, AccessRows, AccessSubject, IndexStats, Reason, Who, sid_bits,
};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, ActorKind, Place, Scope};
use gatehouse_domain::{Error, Result};

use crate::App;

/// The most changes applied one by one; beyond that, a node reloads everything.
const CHANGES_AT_ONCE: u32 = 10_000;
/// How many changes the log keeps behind the newest (a node further behind reloads).
const CHANGES_KEPT: u64 = 100_000;
/// The most questions one batch may ask.
pub const MAX_BATCH: usize = 100;
/// How often a node looks for changes when nothing wakes it (on PostgreSQL a change's `NOTIFY`
/// wakes it at once; on SQLite another process — the CLI — may have written).
const POLL: Duration = Duration::from_millis(250);

/// The node's index and what keeps it current.
pub(crate) struct AccessState {
    index: RwLock<AccessIndex>,
    loaded: AtomicBool,
    catching_up: tokio::sync::Mutex<()>,
}

impl Default for AccessState {
    fn default() -> Self {
        AccessState {
            index: RwLock::new(AccessIndex::build(AccessRows::default(), 0)),
            loaded: AtomicBool::new(false),
            catching_up: tokio::sync::Mutex::new(()),
        }
    }
}

/// One question: may `principal` (`US…`, `SK…` or `OQ…`) use `permission` on `resource`
/// (`AC…` or `OR…`)?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckQuestion {
    pub principal: String,
    pub permission: String,
    pub resource: String,
}

/// Its answer: whether it is allowed and every grant that allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckAnswer {
    pub allowed: bool,
    pub because: Vec<Reason>,
}

impl App {
    /// Reads everything the index holds and replaces this node's index with it.
    pub async fn load_access_index(&self) -> Result<IndexStats> {
        let _one = self.access.catching_up.lock().await;
        self.reload_access_index().await?;
        Ok(self.access_index_stats())
    }

    /// Replaces the index with everything read now; returns its revision.
    async fn reload_access_index(&self) -> Result<u64> {
        // The revision first: rows read after it hold at least its changes. The parts are read
        // at once, each on its own connection.
        let revision = self.store.read_autocommit().await?.access_revision().await?;
        let part = |part: AccessPart| async move { self.store.read().await?.access_part(part).await };
        let (accounts, people, rest) =
            tokio::try_join!(part(AccessPart::Accounts), part(AccessPart::People), part(AccessPart::Rest))?;
        let index = AccessIndex::build(accounts.merge(people).merge(rest), revision);
        *self.access.index.write().unwrap_or_else(|e| e.into_inner()) = index;
        self.access.loaded.store(true, Ordering::SeqCst);
        Ok(revision)
    }

    /// Reads the index (briefly: never across an await).
    pub(crate) fn with_index<T>(&self, f: impl FnOnce(&AccessIndex) -> T) -> T {
        f(&self.access.index.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The access revision this node's index includes.
    pub fn access_revision(&self) -> u64 {
        self.access.index.read().unwrap_or_else(|e| e.into_inner()).revision()
    }

    /// The index's sizes (for `/metrics` and the benchmark).
    pub fn access_index_stats(&self) -> IndexStats {
        self.access.index.read().unwrap_or_else(|e| e.into_inner()).stats()
    }

    /// Brings the index up to the database's access revision; returns the revision it now
    /// includes. One statement when nothing changed.
    pub async fn catch_up_access(&self) -> Result<u64> {
        let local = self.access_revision();
        let current = self.store.read_autocommit().await?.access_revision().await?;
        if current == local && self.access.loaded.load(Ordering::SeqCst) {
            return Ok(local);
        }
        let _one = self.access.catching_up.lock().await;
        let local = self.access_revision();
        if !self.access.loaded.load(Ordering::SeqCst) || current < local {
            return self.reload_access_index().await;
        }
        let mut tx = self.store.read().await?;
        let changes = tx.access_changes(local, CHANGES_AT_ONCE).await?;
        let Some(last) = changes.last().map(|(r, _)| *r) else { return Ok(local) };
        if changes.first().map(|(r, _)| *r) != Some(local + 1) || changes.len() == CHANGES_AT_ONCE as usize {
            drop(tx);
            return self.reload_access_index().await;
        }
        let mut subjects: Vec<AccessSubject> = Vec::with_capacity(changes.len());
        for (_, s) in changes {
            if !subjects.contains(&s) {
                subjects.push(s);
            }
        }
        let mut rows = AccessRows::default();
        for s in &subjects {
            rows = rows.merge(tx.access_rows(Some(s)).await?);
        }
        drop(tx);
        self.access.index.write().unwrap_or_else(|e| e.into_inner()).apply(&subjects, rows, last);
        Ok(last)
    }

    /// Keeps the index current for as long as the server runs: wakes at another node's change
    /// (or every [`POLL`]), catches up, and now and then prunes the change log.
    pub async fn follow_access_changes(&self) {
        let mut rounds: u64 = 0;
        loop {
            if let Err(e) = self.store.wait_for_access_change(POLL).await {
                tracing::warn!(error = %e, "listening for access changes failed; polling");
                tokio::time::sleep(POLL).await;
            }
            match self.catch_up_access().await {
                Ok(revision) => {
                    rounds += 1;
                    if rounds.is_multiple_of(240) && revision > CHANGES_KEPT {
                        let pruned = async {
                            let mut tx = self.store.write().await?;
                            tx.prune_access_changes(revision - CHANGES_KEPT).await?;
                            tx.commit().await
                        };
                        if let Err(e) = pruned.await {
                            tracing::warn!(error = %e, "pruning the access change log failed");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "catching up with access changes failed"),
            }
        }
    }

    /// Answers permission questions from the index, for a caller that may ask them: an API key
    /// or an OAuth app holding `access.check`, about its own organization (or, for an
    /// independent account's key, that account and its subaccounts). With `min_revision`, the
    /// answers include every change up to it. Returns the answers and the revision they saw.
    pub async fn check_access(
        &self,
        caller: &Actor,
        questions: &[CheckQuestion],
        min_revision: Option<u64>,
    ) -> Result<(Vec<CheckAnswer>, u64)> {
        if questions.is_empty() || questions.len() > MAX_BATCH {
            return Err(Error::invalid("checks", format!("ask between 1 and {MAX_BATCH} questions")));
        }
        let caller_bits = match &caller.kind {
            ActorKind::ApiKey { key, .. } => sid_bits(key.as_str()),
            ActorKind::OAuthApp { app, .. } => sid_bits(app.as_str()),
            _ => return Err(Error::Forbidden),
        }
        .ok_or(Error::Unauthenticated)?;
        let batch = questions.len() > 1;
        let parsed = questions
            .iter()
            .enumerate()
            .map(|(i, q)| parse_question(batch.then_some(i), q))
            .collect::<Result<Vec<_>>>()?;
        if let Some(wanted) = min_revision.filter(|m| *m > self.access_revision()) {
            let now = self.catch_up_access().await?;
            if now < wanted {
                return Err(Error::invalid(
                    "min_revision",
                    format!("no access change has revision {wanted} yet; the latest is {now}"),
                ));
            }
        }
        let index = self.access.index.read().unwrap_or_else(|e| e.into_inner());
        let (scope, held) = index.credential(caller_bits).ok_or(Error::Unauthenticated)?;
        if !held.contains(Permission::AccessCheck) {
            return Err(Error::Forbidden);
        }
        let realm = Realm::of(&index, scope);
        let mut answers = Vec::with_capacity(parsed.len());
        for (who, permission, resource) in parsed {
            let place = index.place(resource).filter(|p| realm.contains(*p)).ok_or(Error::NotFound)?;
            answers.push(answer(&index, who, permission, place));
        }
        Ok((answers, index.revision()))
    }

    /// The index's answer to one question, about anything it knows (no caller, no realm): for
    /// the console's pages and for comparing the index with [`App::check_access_from_store`].
    pub fn check_access_in_index(&self, question: &CheckQuestion) -> Result<CheckAnswer> {
        let (who, permission, resource) = parse_question(None, question)?;
        let index = self.access.index.read().unwrap_or_else(|e| e.into_inner());
        let place = index.place(resource).ok_or(Error::NotFound)?;
        Ok(answer(&index, who, permission, place))
    }

    /// Only whether the index allows it: the in-process decision the benchmark times.
    pub fn allowed_in_index(&self, question: &CheckQuestion) -> Result<bool> {
        let (who, permission, resource) = parse_question(None, question)?;
        let index = self.access.index.read().unwrap_or_else(|e| e.into_inner());
        let place = index.place(resource).ok_or(Error::NotFound)?;
        Ok(index.authorize(who, permission, place).is_ok())
    }

    /// What the use cases decide for the same question: the principal loaded from the store in
    /// a transaction, exactly as every use case loads it, and `policy::authorize`. The index must
    /// always agree with it (a test compares them over generated populations).
    pub async fn check_access_from_store(&self, question: &CheckQuestion) -> Result<bool> {
        use gatehouse_domain::policy::{Target, authorize};
        use gatehouse_domain::sid::{AccountSid, OrganizationSid, UserSid};
        let (_, permission, _) = parse_question(None, question)?;
        let user = UserSid::parse(&question.principal)?;
        let actor = Actor::user(user, None);
        let mut tx = self.store.read().await?;
        let decision = if question.resource.starts_with(OrganizationSid::PREFIX) {
            let org = OrganizationSid::parse(&question.resource)?;
            let p = match crate::principal(
                &mut *tx,
                &actor,
                &[gatehouse_domain::membership::ScopeRef::Organization(org.clone())],
            )
            .await
            {
                Err(Error::Unauthenticated) => return Ok(false),
                p => p?,
            };
            authorize(&p, permission, Target::Organization(&org))
        } else {
            let account = tx.account(&AccountSid::parse(&question.resource)?).await?.ok_or(Error::NotFound)?;
            let p = match crate::account_principal(&mut *tx, &actor, &account).await {
                Err(Error::Unauthenticated) => return Ok(false),
                p => p?,
            };
            authorize(&p, permission, Target::Account(&account))
        };
        Ok(decision.is_ok())
    }
}

/// The index's answer: whether it is allowed, and (only then) every grant that allows it.
fn answer(index: &AccessIndex, who: Who, permission: Permission, place: Place<u32, u32>) -> CheckAnswer {
    let allowed = index.authorize(who, permission, place).is_ok();
    let because = if allowed { index.reasons(who, permission, place) } else { Vec::new() };
    CheckAnswer { allowed, because }
}

/// Reads question `i` (of a batch when `i` is `Some`).
fn parse_question(i: Option<usize>, q: &CheckQuestion) -> Result<(Who, Permission, &str)> {
    let invalid = |field: &'static str, reason: String| match i {
        None => Error::invalid(field, reason),
        Some(i) => Error::invalid("checks", format!("checks[{i}].{field}: {reason}")),
    };
    let who = match (q.principal.get(..2), sid_bits(&q.principal)) {
        (Some("US"), Some(b)) => Who::User(b),
        (Some("SK" | "OQ"), Some(b)) => Who::Credential(b),
        _ => return Err(invalid("principal", "must be a user (US…), an API key (SK…) or an OAuth app (OQ…)".into())),
    };
    let permission = Permission::parse(&q.permission)
        .ok_or_else(|| invalid("permission", format!("{:?} is not a permission of the catalogue", q.permission)))?;
    if !(q.resource.starts_with("AC") || q.resource.starts_with("OR")) || sid_bits(&q.resource).is_none() {
        return Err(invalid("resource", "must be an account (AC…) or an organization (OR…)".into()));
    }
    Ok((who, permission, q.resource.as_str()))
}

/// What a caller may ask about.
enum Realm {
    Organization(u32),
    /// An independent account and its subaccounts.
    Account(u32),
    Nothing,
}

impl Realm {
    fn of(index: &AccessIndex, scope: Scope<u32, u32>) -> Realm {
        match scope {
            Scope::Organization(o) => Realm::Organization(o),
            Scope::Account(a) => match index.account_place(a).and_then(AccessIndex::organization_of) {
                Some(o) => Realm::Organization(o),
                None if index.account_place(a).is_some() => Realm::Account(a),
                None => Realm::Nothing,
            },
        }
    }

    fn contains(&self, place: Place<u32, u32>) -> bool {
        match (self, place) {
            (Realm::Organization(o), p) => AccessIndex::organization_of(p) == Some(*o),
            (Realm::Account(a), Place::Account { sid, parent, .. }) => sid == *a || parent == Some(*a),
            _ => false,
        }
    }
}
