//! The permission-check index (SPEC §4, ADR 0025): who holds what, in memory, as compact integer
//! ids and permission bitsets, so that `POST /api/v1/check` answers without touching the
//! database. It is built from [`AccessRows`] (read by the store at start-up) and kept current by
//! [`AccessIndex::apply`], one changed subject at a time, as the store notes access changes.
//!
//! Every answer goes through [`Place::reached`] and [`decide`] of `policy`, exactly as the use
//! cases' `authorize` does, so the two cannot disagree; `tests` and the app's comparison test
//! check that over generated populations.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::Error;
use crate::permission::{Permission, PermissionSet};
use crate::policy::{Place, Reach, Scope, Via, decide};
use crate::role::{AccountRole, BuiltinRole, OrgRole};

mod rows;
mod views;

pub use rows::{AccessPart, AccessRows, AccountIn, AssignmentIn, CredentialIn, RoleIn, ScopeBits};
pub use views::{GrantView, Holder, ScopeText};

/// A SID's 128 bits (its 32 hex digits); the two-letter prefix is known from where it is used.
#[inline]
pub fn sid_bits(sid: &str) -> Option<u128> {
    let bytes = sid.as_bytes();
    if bytes.len() != 34 {
        return None;
    }
    let mut bits: u128 = 0;
    for &c in &bytes[2..] {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        bits = (bits << 4) | u128::from(digit);
    }
    Some(bits)
}

/// A SID from its prefix and bits.
pub fn sid_text(prefix: &str, bits: u128) -> String {
    format!("{prefix}{bits:032x}")
}

/// SIDs are UUIDv7s: their low 64 bits are random, so folding and one multiply hash them well.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = u64::from(v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = ((v as u64) ^ ((v >> 64) as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Map<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

const NONE: u32 = u32::MAX;
const ORG_BIT: u32 = 1 << 31;

/// One held assignment: 28 bytes.
#[derive(Debug, Clone, Copy)]
struct Held {
    assignment: [u8; 16],
    role: u32,
    /// An account id, or an organization id with `ORG_BIT` set.
    scope: u32,
    reach: Reach,
}

impl Held {
    fn scope(&self) -> Scope<u32, u32> {
        decode_scope(self.scope)
    }
}

/// The grants of a by-scope sorted slice held at `scope`.
#[inline]
fn at_scope(grants: &[Held], scope: u32) -> &[Held] {
    let start = grants.partition_point(|h| h.scope < scope);
    let end = start + grants[start..].partition_point(|h| h.scope == scope);
    &grants[start..end]
}

/// The scopes whose grants can reach a place: itself, its parent, its organization.
#[inline]
fn candidate_scopes(place: Place<u32, u32>) -> [Option<u32>; 3] {
    match place {
        Place::Organization(o) => [Some(o | ORG_BIT), None, None],
        Place::Account { sid, parent, organization } => [Some(sid), parent, organization.map(|o| o | ORG_BIT)],
    }
}

fn decode_scope(scope: u32) -> Scope<u32, u32> {
    if scope & ORG_BIT != 0 { Scope::Organization(scope & !ORG_BIT) } else { Scope::Account(scope) }
}

#[derive(Debug, Clone)]
struct AccountRow {
    sid: u128,
    parent: u32,
    organization: u32,
}

#[derive(Debug, Clone)]
struct RoleRow {
    sid: u128,
    name: Box<str>,
    permissions: PermissionSet,
}

#[derive(Debug, Clone, Default)]
struct UserRow {
    grants: Box<[Held]>,
    groups: Box<[u32]>,
}

#[derive(Debug, Clone)]
struct GroupRow {
    sid: u128,
    grants: Box<[Held]>,
}

#[derive(Debug, Clone, Copy)]
struct CredentialRow {
    scope: u32,
    permissions: PermissionSet,
}

/// What changed, as the store notes it (`access_changes.kind`, `sid`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccessSubject {
    User(String),
    Group(String),
    Role(String),
    Account(String),
    Credential(String),
}

impl AccessSubject {
    /// The subject of a noted change, by its kind's word.
    pub fn from_note(kind: &str, sid: String) -> Option<AccessSubject> {
        Some(match kind {
            "user" => AccessSubject::User(sid),
            "group" => AccessSubject::Group(sid),
            "role" => AccessSubject::Role(sid),
            "account" => AccessSubject::Account(sid),
            "key" | "app" => AccessSubject::Credential(sid),
            _ => return None,
        })
    }
}

/// Who a question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    User(u128),
    /// An API key or an OAuth app.
    Credential(u128),
}

/// One reason a permission is held: which role, how it reaches, by which assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// The role's SID and name; `None` for a credential's own permissions.
    pub role: Option<(String, String)>,
    pub via: ReasonVia,
    pub assignment: Option<String>,
}

/// How a reason's grant reaches the resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReasonVia {
    Direct,
    Group(String),
    Organization(String),
    Parent(String),
}

/// Sizes, for the benchmark and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexStats {
    pub users: usize,
    pub groups: usize,
    pub accounts: usize,
    /// Role assignments of users and groups, and group memberships.
    pub assignments: usize,
    /// The heap the index holds, counted from its tables' capacities.
    pub bytes: usize,
}

/// The index. Cheap to query from many threads behind a read lock.
#[derive(Debug, Clone)]
pub struct AccessIndex {
    revision: u64,
    accounts: Vec<AccountRow>,
    account_ids: Map<u128, u32>,
    organizations: Vec<u128>,
    organization_ids: Map<u128, u32>,
    roles: Vec<RoleRow>,
    role_ids: Map<u128, u32>,
    groups: Vec<GroupRow>,
    group_ids: Map<u128, u32>,
    users: Map<u128, UserRow>,
    credentials: Map<u128, CredentialRow>,
    shares: Map<u32, Box<[u32]>>,
}

const BUILTIN_ROLES: u32 = BuiltinRole::ALL.len() as u32;
const ACCOUNT_ADMIN: u32 = 1;
const ORG_OWNER: u32 = 6;
const ORG_ADMIN: u32 = 7;

impl AccessIndex {
    /// An index of `rows`, at `revision`.
    pub fn build(rows: AccessRows, revision: u64) -> AccessIndex {
        let mut index = AccessIndex {
            revision,
            accounts: Vec::with_capacity(rows.accounts.len()),
            account_ids: Map::default(),
            organizations: Vec::new(),
            organization_ids: Map::default(),
            roles: Vec::new(),
            role_ids: Map::default(),
            groups: Vec::new(),
            group_ids: Map::default(),
            users: Map::default(),
            credentials: Map::default(),
            shares: Map::default(),
        };
        for role in BuiltinRole::ALL {
            index.put_role(sid_bits(role.sid().as_str()).unwrap_or_default(), role.name().into(), role.permissions());
        }
        debug_assert_eq!(index.roles[ACCOUNT_ADMIN as usize].permissions, AccountRole::Administrator.permissions());
        debug_assert_eq!(index.roles[ORG_OWNER as usize].permissions, OrgRole::Owner.permissions());
        debug_assert_eq!(index.roles[ORG_ADMIN as usize].permissions, OrgRole::Administrator.permissions());
        index.account_ids.reserve(rows.accounts.len());
        index.put_accounts(&rows.accounts);
        index.put_rest(rows);
        index.accounts.shrink_to_fit();
        index
    }

    /// The revision this index includes.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Applies what the changed subjects now are (read after the changes up to `revision`).
    pub fn apply(&mut self, changed: &[AccessSubject], rows: AccessRows, revision: u64) {
        for subject in changed {
            match subject {
                AccessSubject::User(u) => {
                    if let Some(bits) = sid_bits(u) {
                        self.users.remove(&bits);
                    }
                }
                AccessSubject::Group(g) => {
                    if let Some(id) = sid_bits(g).and_then(|b| self.group_ids.get(&b)) {
                        self.groups[*id as usize].grants = Box::new([]);
                    }
                }
                AccessSubject::Role(r) => {
                    // The built-in roles are fixed in code.
                    if let Some(id) = sid_bits(r).and_then(|b| self.role_ids.get(&b)).filter(|id| **id >= BUILTIN_ROLES)
                    {
                        self.roles[*id as usize].permissions = PermissionSet::EMPTY;
                    }
                }
                AccessSubject::Account(a) => {
                    if let Some(id) = sid_bits(a).and_then(|b| self.account_ids.get(&b)) {
                        self.shares.remove(id);
                    }
                }
                AccessSubject::Credential(c) => {
                    if let Some(bits) = sid_bits(c) {
                        self.credentials.remove(&bits);
                    }
                }
            }
        }
        self.put_accounts(&rows.accounts);
        self.put_rest(rows);
        self.revision = self.revision.max(revision);
    }

    fn organization(&mut self, bits: u128) -> u32 {
        let next = self.organizations.len() as u32;
        let id = *self.organization_ids.entry(bits).or_insert(next);
        if id == next {
            self.organizations.push(bits);
        }
        id
    }

    fn put_role(&mut self, sid: u128, name: Box<str>, permissions: PermissionSet) {
        match self.role_ids.get(&sid) {
            Some(id) => self.roles[*id as usize] = RoleRow { sid, name, permissions },
            None => {
                self.role_ids.insert(sid, self.roles.len() as u32);
                self.roles.push(RoleRow { sid, name, permissions });
            }
        }
    }

    fn account_id(&mut self, bits: u128) -> u32 {
        let next = self.accounts.len() as u32;
        let id = *self.account_ids.entry(bits).or_insert(next);
        if id == next {
            self.accounts.push(AccountRow { sid: bits, parent: NONE, organization: NONE });
        }
        id
    }

    fn put_accounts(&mut self, accounts: &[AccountIn]) {
        for a in accounts {
            let id = self.account_id(a.sid);
            let parent = a.parent.map_or(NONE, |p| self.account_id(p));
            let organization = a.organization.map_or(NONE, |o| self.organization(o));
            self.accounts[id as usize] = AccountRow { sid: a.sid, parent, organization };
        }
    }

    fn scope_id(&mut self, scope: ScopeBits) -> u32 {
        match scope {
            ScopeBits::Organization(o) => self.organization(o) | ORG_BIT,
            ScopeBits::Account(a) => self.account_id(a),
        }
    }

    fn held(&mut self, a: &AssignmentIn) -> Option<Held> {
        let role = *self.role_ids.get(&a.role)?;
        let scope = self.scope_id(a.scope);
        let reach = if a.with_subaccounts { Reach::WithSubaccounts } else { Reach::Scope };
        Some(Held { assignment: a.sid.to_le_bytes(), role, scope, reach })
    }

    fn group_id(&mut self, bits: u128) -> u32 {
        let next = self.groups.len() as u32;
        let id = *self.group_ids.entry(bits).or_insert(next);
        if id == next {
            self.groups.push(GroupRow { sid: bits, grants: Box::new([]) });
        }
        id
    }

    fn put_rest(&mut self, rows: AccessRows) {
        for r in rows.roles {
            self.put_role(r.sid, r.name.into(), r.permissions);
        }
        for g in &rows.groups {
            self.group_id(*g);
        }
        let mut group_grants: Map<u32, Vec<Held>> = Map::default();
        for a in &rows.group_assignments {
            if let Some(held) = self.held(a) {
                group_grants.entry(self.group_id(a.holder)).or_default().push(held);
            }
        }
        for (id, mut grants) in group_grants {
            grants.sort_unstable_by_key(|h| h.scope);
            self.groups[id as usize].grants = grants.into_boxed_slice();
        }
        let inactive: std::collections::HashSet<u128, BuildHasherDefault<IdHasher>> =
            rows.inactive_users.iter().copied().collect();
        // By user, then each user's grants and groups allocated once at their size: no map of
        // growing vectors (a whole load has a hundred thousand users and more).
        let mut assignments = rows.user_assignments;
        assignments.retain(|a| !inactive.contains(&a.holder));
        assignments.sort_unstable_by_key(|a| a.holder);
        let mut memberships = rows.memberships;
        memberships.retain(|(_, u)| !inactive.contains(u));
        memberships.sort_unstable_by_key(|(_, u)| *u);
        let (mut a, mut m) = (0, 0);
        while a < assignments.len() || m < memberships.len() {
            let user = match (assignments.get(a), memberships.get(m)) {
                (Some(x), Some((_, u))) => x.holder.min(*u),
                (Some(x), None) => x.holder,
                (None, Some((_, u))) => *u,
                (None, None) => break,
            };
            let a_end = a + assignments[a..].partition_point(|x| x.holder == user);
            let m_end = m + memberships[m..].partition_point(|(_, u)| *u == user);
            let held: Vec<Held> = assignments[a..a_end].iter().filter_map(|x| self.held(x)).collect();
            let groups: Vec<u32> = memberships[m..m_end].iter().map(|(g, _)| self.group_id(*g)).collect();
            let row = self.users.entry(user).or_default();
            let mut all: Vec<Held> = Vec::with_capacity(row.grants.len() + held.len());
            all.extend(row.grants.iter().copied());
            all.extend(held);
            // By scope: a decision looks only at the few scopes that can reach its place.
            all.sort_unstable_by_key(|h| h.scope);
            row.grants = all.into_boxed_slice();
            if !groups.is_empty() {
                row.groups = row.groups.iter().copied().chain(groups).collect();
            }
            (a, m) = (a_end, m_end);
        }
        let mut shares: Map<u32, Vec<u32>> = Map::default();
        for (account, org) in &rows.shares {
            let o = self.organization(*org);
            let id = self.account_id(*account);
            shares.entry(id).or_default().push(o);
        }
        for (id, orgs) in shares {
            self.shares.insert(id, orgs.into_boxed_slice());
        }
        for c in rows.credentials {
            let scope = self.scope_id(c.scope);
            self.credentials.insert(c.sid, CredentialRow { scope, permissions: c.permissions });
        }
    }

    /// The place a resource (`AC…` or `OR…`) is, if the index knows it.
    pub fn place(&self, resource: &str) -> Option<Place<u32, u32>> {
        let bits = sid_bits(resource)?;
        if resource.starts_with("OR") {
            return self.organization_ids.get(&bits).map(|o| Place::Organization(*o));
        }
        self.account_place(*self.account_ids.get(&bits)?)
    }

    /// An account's place, by its id in this index.
    pub fn account_place(&self, id: u32) -> Option<Place<u32, u32>> {
        let row = self.accounts.get(id as usize)?;
        Some(Place::Account {
            sid: id,
            parent: (row.parent != NONE).then_some(row.parent),
            organization: (row.organization != NONE).then_some(row.organization),
        })
    }

    /// A live credential's scope and permissions.
    pub fn credential(&self, bits: u128) -> Option<(Scope<u32, u32>, PermissionSet)> {
        self.credentials.get(&bits).map(|c| (decode_scope(c.scope), c.permissions))
    }

    /// The organization a place belongs to (itself, or its account's), if any.
    pub fn organization_of(place: Place<u32, u32>) -> Option<u32> {
        match place {
            Place::Organization(o) => Some(o),
            Place::Account { organization, .. } => organization,
        }
    }

    /// The account a place is, and its parent.
    pub fn account_and_parent(place: Place<u32, u32>) -> Option<(u32, Option<u32>)> {
        match place {
            Place::Account { sid, parent, .. } => Some((sid, parent)),
            Place::Organization(_) => None,
        }
    }

    /// Calls `f` with each grant `who` holds that may reach `place`: its scope, role
    /// permissions, reach, the group it is held through and the assignment.
    #[inline]
    fn each_grant(
        &self,
        who: Who,
        place: Place<u32, u32>,
        mut f: impl FnMut(Scope<u32, u32>, u32, Reach, Option<u32>, Option<[u8; 16]>),
    ) {
        match who {
            Who::Credential(bits) => {
                if let Some(c) = self.credentials.get(&bits) {
                    f(decode_scope(c.scope), NONE, Reach::Scope, None, None);
                }
            }
            Who::User(bits) => {
                let Some(user) = self.users.get(&bits) else { return };
                // Only grants at the place, its parent or its organization can reach it: each a
                // binary search of the grants, which are kept by scope.
                let scopes = candidate_scopes(place);
                for scope in scopes.iter().flatten() {
                    for h in at_scope(&user.grants, *scope) {
                        f(h.scope(), h.role, h.reach, None, Some(h.assignment));
                    }
                    for g in user.groups.iter() {
                        for h in at_scope(&self.groups[*g as usize].grants, *scope) {
                            f(h.scope(), h.role, h.reach, Some(*g), Some(h.assignment));
                        }
                    }
                }
                // An independent account shared with an organization: its Owners and
                // Administrators hold an Administrator's permissions there (ADR 0024).
                if let Place::Account { sid, parent, organization: None } = place {
                    for reached in std::iter::once(sid).chain(parent) {
                        for org in self.shares.get(&reached).map(|s| &s[..]).unwrap_or_default() {
                            let by = user
                                .grants
                                .iter()
                                .find(|h| h.scope == (org | ORG_BIT) && (h.role == ORG_OWNER || h.role == ORG_ADMIN));
                            if let Some(h) = by {
                                f(Scope::Account(reached), ACCOUNT_ADMIN, Reach::Scope, None, Some(h.assignment));
                            }
                        }
                    }
                }
            }
        }
    }

    fn permissions_of(&self, who: Who, role: u32) -> PermissionSet {
        match who {
            Who::Credential(bits) if role == NONE => {
                self.credentials.get(&bits).map_or(PermissionSet::EMPTY, |c| c.permissions)
            }
            _ => self.roles.get(role as usize).map_or(PermissionSet::EMPTY, |r| r.permissions),
        }
    }

    /// What `who` holds at `place`.
    #[inline]
    pub fn permissions(&self, who: Who, place: Place<u32, u32>) -> PermissionSet {
        let mut held = PermissionSet::EMPTY;
        self.each_grant(who, place, |scope, role, reach, _, _| {
            held = held.union(place.reached(scope, self.permissions_of(who, role), reach));
        });
        held
    }

    /// The decision of `policy::decide` on what `who` holds at `place`.
    #[inline]
    pub fn authorize(&self, who: Who, permission: Permission, place: Place<u32, u32>) -> Result<(), Error> {
        decide(self.permissions(who, place), permission, place.kind())
    }

    /// Why `who` holds `permission` at `place`: every grant that gives it there.
    pub fn reasons(&self, who: Who, permission: Permission, place: Place<u32, u32>) -> Vec<Reason> {
        let mut reasons = Vec::new();
        if permission.scope_kind() != place.kind() {
            return reasons;
        }
        self.each_grant(who, place, |scope, role, reach, group, assignment| {
            if !place.reached(scope, self.permissions_of(who, role), reach).contains(permission) {
                return;
            }
            let via = match (group, place.via(scope)) {
                (Some(g), _) => ReasonVia::Group(sid_text("GR", self.groups[g as usize].sid)),
                (None, Via::Direct) => ReasonVia::Direct,
                (None, Via::Organization(o)) => ReasonVia::Organization(sid_text("OR", self.organizations[o as usize])),
                (None, Via::Parent(a)) => ReasonVia::Parent(sid_text("AC", self.accounts[a as usize].sid)),
            };
            let role = self.roles.get(role as usize).map(|r| (sid_text("IX", r.sid), r.name.to_string()));
            let assignment = assignment.map(|a| sid_text("IY", u128::from_le_bytes(a)));
            reasons.push(Reason { role, via, assignment });
        });
        reasons
    }

    /// Sizes, and the heap the index holds.
    pub fn stats(&self) -> IndexStats {
        fn map<K, V>(m: &Map<K, V>) -> usize {
            m.capacity() * (std::mem::size_of::<(K, V)>() + 1)
        }
        let held = std::mem::size_of::<Held>();
        let users_heap: usize = self.users.values().map(|u| u.grants.len() * held + u.groups.len() * 4).sum();
        let groups_heap: usize = self.groups.iter().map(|g| g.grants.len() * held).sum();
        let roles_heap: usize = self.roles.iter().map(|r| r.name.len()).sum();
        let shares_heap: usize = self.shares.values().map(|s| s.len() * 4).sum();
        let assignments = self.users.values().map(|u| u.grants.len() + u.groups.len()).sum::<usize>()
            + self.groups.iter().map(|g| g.grants.len()).sum::<usize>();
        let bytes = self.accounts.capacity() * std::mem::size_of::<AccountRow>()
            + map(&self.account_ids)
            + self.organizations.capacity() * 16
            + map(&self.organization_ids)
            + self.roles.capacity() * std::mem::size_of::<RoleRow>()
            + roles_heap
            + map(&self.role_ids)
            + self.groups.capacity() * std::mem::size_of::<GroupRow>()
            + groups_heap
            + map(&self.group_ids)
            + map(&self.users)
            + users_heap
            + map(&self.credentials)
            + map(&self.shares)
            + shares_heap;
        IndexStats {
            users: self.users.len(),
            groups: self.groups.len(),
            accounts: self.accounts.len(),
            assignments,
            bytes,
        }
    }
}

#[cfg(test)]
mod tests;
