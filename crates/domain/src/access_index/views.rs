//! What the pages that show access read from the index: a user's grants, every grant reaching a
//! place, a group's roles there.

use super::{AccessIndex, Held, Reach, Who, sid_text};
use crate::permission::PermissionSet;
use crate::policy::{Place, Scope};

/// Where a grant is held, by SID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeText {
    Organization(String),
    Account(String),
}

/// One held grant, for the pages that show access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantView {
    pub scope: ScopeText,
    /// The role's SID and name.
    pub role: (String, String),
    pub permissions: PermissionSet,
    pub reach: Reach,
    /// The group it is held through, if any.
    pub group: Option<String>,
    pub assignment: String,
}

/// Who holds a grant: a user, or a group (for each of its members).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    User(String),
    Group(String),
}

impl AccessIndex {
    fn scope_text(&self, scope: Scope<u32, u32>) -> ScopeText {
        match scope {
            Scope::Organization(o) => ScopeText::Organization(sid_text("OR", self.organizations[o as usize])),
            Scope::Account(a) => ScopeText::Account(sid_text("AC", self.accounts[a as usize].sid)),
        }
    }

    fn grant_view(&self, h: &Held, group: Option<u32>) -> GrantView {
        let role = &self.roles[h.role as usize];
        GrantView {
            scope: self.scope_text(h.scope()),
            role: (sid_text("IX", role.sid), role.name.to_string()),
            permissions: role.permissions,
            reach: h.reach,
            group: group.map(|g| sid_text("GR", self.groups[g as usize].sid)),
            assignment: sid_text("IY", u128::from_le_bytes(h.assignment)),
        }
    }

    /// What a held grant gives at `place`, of the permissions asked there (an organization
    /// role's organization permissions give nothing on an account).
    fn gives(&self, place: Place<u32, u32>, h: &Held) -> PermissionSet {
        place
            .reached(h.scope(), self.roles[h.role as usize].permissions, h.reach)
            .intersection(PermissionSet::all_of(place.kind()))
    }

    /// Every grant a user holds, directly or through their groups (for their *Access* page).
    pub fn grants_of_user(&self, user: u128) -> Vec<GrantView> {
        let Some(row) = self.users.get(&user) else { return Vec::new() };
        let direct = row.grants.iter().map(|h| self.grant_view(h, None));
        let grouped = row.groups.iter().flat_map(|g| self.groups[*g as usize].grants.iter().map(move |h| (h, *g)));
        direct.chain(grouped.map(|(h, g)| self.grant_view(h, Some(g)))).collect()
    }

    /// Every grant that gives something at `place`, and what it gives there: users' own
    /// grants one by one, groups' grants once per group (for "who can do what here, and why").
    /// Reads every user the index holds: for an admin's page, never for a hot path.
    pub fn grants_at(&self, place: Place<u32, u32>) -> Vec<(Holder, GrantView, PermissionSet)> {
        let mut out = Vec::new();
        for (user, row) in &self.users {
            for h in row.grants.iter() {
                let here = self.gives(place, h);
                if !here.is_empty() {
                    out.push((Holder::User(sid_text("US", *user)), self.grant_view(h, None), here));
                }
            }
        }
        for (g, group) in self.groups.iter().enumerate() {
            for h in group.grants.iter() {
                let here = self.gives(place, h);
                if !here.is_empty() {
                    out.push((Holder::Group(sid_text("GR", group.sid)), self.grant_view(h, Some(g as u32)), here));
                }
            }
        }
        out
    }

    /// What a group's grants give its members at `place`, and the roles that give it.
    pub fn group_permissions(&self, group: u128, place: Place<u32, u32>) -> (PermissionSet, Vec<String>) {
        let Some(id) = self.group_ids.get(&group) else { return (PermissionSet::EMPTY, Vec::new()) };
        let mut held = PermissionSet::EMPTY;
        let mut roles = Vec::new();
        for h in self.groups[*id as usize].grants.iter() {
            let here = self.gives(place, h);
            if !here.is_empty() {
                held = held.union(here);
                roles.push(self.roles[h.role as usize].name.to_string());
            }
        }
        (held, roles)
    }

    /// How many active members a group has (counted over the users the index holds).
    pub fn group_size(&self, group: u128) -> usize {
        let Some(id) = self.group_ids.get(&group) else { return 0 };
        self.users.values().filter(|u| u.groups.contains(id)).count()
    }

    /// The roles through which a user holds something at `place` (their own and their groups').
    pub fn user_roles_at(&self, user: u128, place: Place<u32, u32>) -> Vec<String> {
        let mut roles = Vec::new();
        self.each_grant(Who::User(user), place, |scope, role, reach, _, _| {
            if let Some(r) = self.roles.get(role as usize)
                && place.reached(scope, r.permissions, reach).any_of(place.kind())
                && !roles.iter().any(|n| n == &*r.name)
            {
                roles.push(r.name.to_string());
            }
        });
        roles
    }
}
