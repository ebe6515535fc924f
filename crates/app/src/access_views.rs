//! Seeing access (SPEC §2, issue "Access beyond Twilio"): a user's grants in an organization and
//! why they hold them, who can do what on an account and why, and the organization's access
//! map — all read from the permission-check index, so they show exactly what is enforced.

use std::collections::HashMap;

use gatehouse_domain::access_index::{AccessIndex, GrantView, Holder, ScopeText, sid_bits};
use gatehouse_domain::account::Account;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::{Permission, PermissionSet};
use gatehouse_domain::policy::{Actor, Place, Reach, Target, authorize};
use gatehouse_domain::scim_filter::groups::{GroupCondition, GroupQuery};
use gatehouse_domain::sid::{AccountSid, GroupSid, OrganizationSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::{Error, Result};

use crate::App;
use crate::org_users::authorize_org;

/// One grant as a page shows it: where, which role, how it is held, and names for every SID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLine {
    pub grant: GrantView,
    /// The scope's name (the organization's or the account's).
    pub scope_name: String,
    /// The group's name, when held through a group.
    pub group_name: Option<String>,
    /// Who holds it (on an account's page): a user (name, email) or a group (name).
    pub holder: Option<(Holder, String)>,
    /// What it gives where it is shown (on an account's page: there; on a user's: at its scope).
    pub gives: PermissionSet,
}

impl AccessLine {
    /// "with its subaccounts", "every managed account", or nothing.
    pub fn reach_words(&self) -> &'static str {
        match (&self.grant.scope, self.grant.reach) {
            (ScopeText::Organization(_), _)
                if self.grant.permissions.any_of(gatehouse_domain::permission::ScopeKind::Account) =>
            {
                "and every account it manages"
            }
            (ScopeText::Account(_), Reach::WithSubaccounts) => "and its subaccounts",
            _ => "",
        }
    }
}

/// The organization's access map: holders (groups, then people) against accounts, each cell
/// the roles a holder holds there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessMap {
    pub accounts: Vec<Account>,
    pub rows: Vec<MapRow>,
    /// The next page of people, when there are more.
    pub next_people: Option<String>,
    pub next_accounts: Option<String>,
}

/// One row of the access map: a group or a person, and per account the roles held there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapRow {
    pub holder: Holder,
    pub name: String,
    /// A group's member count.
    pub members: Option<usize>,
    pub cells: Vec<Vec<String>>,
}

/// Names of SIDs, each read once per page.
#[derive(Default)]
struct Names {
    accounts: HashMap<String, String>,
    groups: HashMap<String, String>,
    users: HashMap<String, String>,
}

impl Names {
    async fn scope(
        &mut self,
        tx: &mut dyn Tx,
        org: Option<&OrganizationSid>,
        org_name: &str,
        scope: &ScopeText,
    ) -> Result<String> {
        Ok(match scope {
            ScopeText::Organization(o) if org.is_some_and(|org| o == org.as_str()) => org_name.to_owned(),
            ScopeText::Organization(o) => o.clone(),
            ScopeText::Account(a) => {
                if !self.accounts.contains_key(a) {
                    let name = tx.account(&AccountSid::parse(a)?).await?.map_or_else(|| a.clone(), |acc| acc.name);
                    self.accounts.insert(a.clone(), name);
                }
                self.accounts[a].clone()
            }
        })
    }

    async fn group(&mut self, tx: &mut dyn Tx, org: Option<&OrganizationSid>, group: &str) -> Result<String> {
        if !self.groups.contains_key(group) {
            let found = match org {
                Some(org) => tx.group(org, &GroupSid::parse(group)?).await?,
                None => None,
            };
            let name = found.map_or_else(|| group.to_owned(), |g| g.display_name);
            self.groups.insert(group.to_owned(), name);
        }
        Ok(self.groups[group].clone())
    }

    async fn user(&mut self, tx: &mut dyn Tx, user: &str) -> Result<String> {
        if !self.users.contains_key(user) {
            let name = tx
                .user(&UserSid::parse(user)?)
                .await?
                .map_or_else(|| user.to_owned(), |u| format!("{} ({})", u.name, u.email));
            self.users.insert(user.to_owned(), name);
        }
        Ok(self.users[user].clone())
    }
}

/// The most lines an account's page lists.
const MOST_LINES: usize = 500;
/// The most groups, and people of one group, the access map shows at once.
const MAP_GROUPS: u64 = 100;
const MAP_PEOPLE: usize = 200;

impl App {
    /// Every grant a user holds in the organization — their own and their groups', on the
    /// organization and on its accounts — with the names of what they reach.
    pub async fn user_access(&self, actor: &Actor, org: &OrganizationSid, user: &UserSid) -> Result<Vec<AccessLine>> {
        let view = self.org_user(actor, org, user).await?;
        let bits = sid_bits(user.as_str()).ok_or(Error::NotFound)?;
        let org_place = self.with_index(|i| i.place(org.as_str()).and_then(AccessIndex::organization_of));
        let grants: Vec<GrantView> = self.with_index(|i| {
            i.grants_of_user(bits)
                .into_iter()
                .filter(|g| {
                    let sid = match &g.scope {
                        ScopeText::Organization(o) | ScopeText::Account(o) => o,
                    };
                    i.place(sid).and_then(AccessIndex::organization_of).is_some_and(|o| Some(o) == org_place)
                })
                .collect()
        });
        let mut tx = self.store.read().await?;
        let org_name = tx.organization(org).await?.map(|o| o.name).unwrap_or_default();
        let mut names = Names::default();
        let mut lines = Vec::with_capacity(grants.len());
        for grant in grants {
            let scope_name = names.scope(&mut *tx, Some(org), &org_name, &grant.scope).await?;
            let group_name = match &grant.group {
                Some(g) => Some(names.group(&mut *tx, Some(org), g).await?),
                None => None,
            };
            lines.push(AccessLine { gives: grant.permissions, grant, scope_name, group_name, holder: None });
        }
        drop(view);
        Ok(lines)
    }

    /// Who can do what on an account, and why: every grant reaching it (people's own, groups'
    /// once per group, the organization's, its parent's), with what each gives there.
    pub async fn account_access(&self, actor: &Actor, account: &AccountSid) -> Result<(Account, Vec<AccessLine>)> {
        let mut tx = self.store.read().await?;
        let found = tx.account(account).await?.ok_or(Error::NotFound)?;
        let p = crate::account_principal(&mut *tx, actor, &found).await?;
        authorize(&p, Permission::UsersRead, Target::Account(&found))?;
        let place = self.with_index(|i| i.place(account.as_str())).ok_or(Error::NotFound)?;
        let mut grants = self.with_index(|i| i.grants_at(place));
        grants.truncate(MOST_LINES);
        let org = found.organization_sid.clone();
        let org_name = match &found.organization_sid {
            Some(o) => tx.organization(o).await?.map(|o| o.name).unwrap_or_default(),
            None => String::new(),
        };
        let mut names = Names::default();
        let mut lines = Vec::with_capacity(grants.len());
        for (holder, grant, gives) in grants {
            let scope_name = names.scope(&mut *tx, org.as_ref(), &org_name, &grant.scope).await?;
            let holder_name = match &holder {
                Holder::User(u) => names.user(&mut *tx, u).await?,
                Holder::Group(g) => names.group(&mut *tx, org.as_ref(), g).await?,
            };
            let group_name = match &grant.group {
                Some(g) => Some(names.group(&mut *tx, org.as_ref(), g).await?),
                None => None,
            };
            lines.push(AccessLine { grant, scope_name, group_name, holder: Some((holder, holder_name)), gives });
        }
        lines.sort_by(|a, b| b.gives.iter().count().cmp(&a.gives.iter().count()).then(a.holder.cmp(&b.holder)));
        Ok((found, lines))
    }

    /// The organization's access map: its groups, then a page of its people, against a page of
    /// its managed accounts; or one group's members; or one account with its subaccounts.
    pub async fn access_map(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        group: Option<&GroupSid>,
        account: Option<&AccountSid>,
        people: &PageRequest,
        accounts_page: &PageRequest,
    ) -> Result<AccessMap> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        let (accounts, next_accounts) = match account {
            Some(a) => {
                let root =
                    tx.account(a).await?.filter(|x| x.organization_sid.as_ref() == Some(org)).ok_or(Error::NotFound)?;
                let subs = tx.subaccounts(&root.sid, &PageRequest::first(50)).await?;
                (std::iter::once(root).chain(subs.items).collect::<Vec<_>>(), None)
            }
            None => {
                let page: Page<Account> = tx.organization_accounts(org, accounts_page).await?;
                (page.items, page.next_after)
            }
        };
        let mut rows = Vec::new();
        let places: Vec<Option<Place<u32, u32>>> =
            self.with_index(|i| accounts.iter().map(|a| i.place(a.sid.as_str())).collect());
        let (member_sids, next_people): (Vec<UserSid>, Option<String>) = match group {
            Some(g) => {
                let found = tx.group(org, g).await?.ok_or(Error::NotFound)?;
                let members = tx.members_of(std::slice::from_ref(&found.sid)).await?;
                rows.push(self.group_row(&found.sid, &found.display_name, Some(members.len()), &places));
                (members.into_iter().map(|(_, u)| u.sid).take(MAP_PEOPLE).collect(), None)
            }
            None => {
                let all = GroupQuery {
                    condition: GroupCondition::Always(true),
                    order: None,
                    descending: false,
                    offset: 0,
                    limit: MAP_GROUPS,
                };
                for g in tx.scim_group_page(org, &all).await?.0 {
                    rows.push(self.group_row(&g.sid, &g.display_name, None, &places));
                }
                let page = tx.organization_users(org, people, None).await?;
                (page.items.iter().map(|u| u.user.sid.clone()).collect(), page.next_after)
            }
        };
        for sid in member_sids {
            let bits = sid_bits(sid.as_str()).unwrap_or_default();
            let cells = self.with_index(|i| {
                places.iter().map(|p| p.map(|p| i.user_roles_at(bits, p)).unwrap_or_default()).collect()
            });
            let name = tx.user(&sid).await?.map_or_else(|| sid.to_string(), |u| u.name);
            rows.push(MapRow { holder: Holder::User(sid.to_string()), name, members: None, cells });
        }
        Ok(AccessMap { accounts, rows, next_people, next_accounts })
    }

    /// A group's row of the map; `members` when counted already (else its active members in
    /// the index).
    fn group_row(
        &self,
        group: &GroupSid,
        name: &str,
        members: Option<usize>,
        places: &[Option<Place<u32, u32>>],
    ) -> MapRow {
        let bits = sid_bits(group.as_str()).unwrap_or_default();
        let (cells, counted) = self.with_index(|i| {
            let cells = places.iter().map(|p| p.map(|p| i.group_permissions(bits, p).1).unwrap_or_default()).collect();
            (cells, members.unwrap_or_else(|| i.group_size(bits)))
        });
        MapRow { holder: Holder::Group(group.to_string()), name: name.to_owned(), members: Some(counted), cells }
    }
}

/// Whom the Admin Center grants a role to: a group, or a managed user by address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    Group(GroupSid),
    Email(String),
}

impl App {
    /// The managed user of the organization with this address (else `Invalid` on `field`).
    async fn managed_user_by_email(&self, org: &OrganizationSid, email: &str, field: &'static str) -> Result<UserSid> {
        let parsed =
            gatehouse_domain::user::Email::parse(email).map_err(|_| Error::invalid(field, "enter an email address"))?;
        let mut tx = self.store.read().await?;
        tx.user_by_email(&parsed)
            .await?
            .filter(|u| u.organization_sid.as_ref() == Some(org))
            .map(|u| u.sid)
            .ok_or_else(|| Error::invalid(field, format!("{email} is not a user of this organization")))
    }

    /// The Admin Center's grant: a role (built-in or custom) to a group or a managed user, on
    /// the organization or one of its accounts, with its subaccounts if asked — through the
    /// same checks as every other surface (scope, role kind, Owner roles, the escalation rule).
    pub async fn grant_role(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        grantee: &Grantee,
        role: &gatehouse_domain::sid::RoleSid,
        scope: &gatehouse_domain::membership::ScopeRef,
        with_subaccounts: bool,
    ) -> Result<()> {
        match grantee {
            Grantee::Group(g) => {
                self.create_group_role_assignment(actor, org, role, scope, with_subaccounts, g).await?;
            }
            Grantee::Email(email) => {
                let user = self.managed_user_by_email(org, email, "email").await?;
                self.create_org_role_assignment(actor, org, role, scope, with_subaccounts, &user).await?;
            }
        }
        Ok(())
    }

    /// A group made in the Admin Center, with the managed users of these addresses in it.
    pub async fn create_group_with_emails(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        name: &str,
        emails: &[&str],
    ) -> Result<GroupSid> {
        let mut members = Vec::with_capacity(emails.len());
        for email in emails.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            members.push(self.managed_user_by_email(org, email, "members").await?);
        }
        let input = crate::GroupInput { display_name: name.to_owned(), external_id: None, members };
        Ok(self.create_group(actor, org, input, false).await?.group.sid)
    }
}
