//! The SCIM filter → SQL compiler against the in-memory evaluator: on generated sets of users
//! and of groups with their members, and filters (every operator, `and`/`or`/`not`, value paths, case rules, absent attributes,
//! other types), the store's answer is exactly the users whose served resource `matches`.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::group::Group;
use gatehouse_domain::scim::{ScimProfile, ScimUser, group_case_exact, group_resource, user_case_exact};
use gatehouse_domain::scim_filter::groups::{GroupQuery, group_condition, group_order};
use gatehouse_domain::scim_filter::stored::Condition;
use gatehouse_domain::scim_filter::users::{UserCondition, UserOrder, UserQuery, user_condition, user_order};
use gatehouse_domain::scim_filter::{matches, parse_filter};
use gatehouse_domain::sid::{GroupSid, OrganizationSid, UserSid};
use gatehouse_domain::store::{Store, Tx};
use gatehouse_domain::user::{User, UserStatus};

use crate::fixtures::{self, t0};

const NAMES: &[&str] =
    &["Ada Lovelace", "ada", "ÁDA Ünal", "Zoë O'Brien", "grace_hopper", "100% Sure", "Alan Turing", "bob", "Émile"];
const PARTS: &[Option<&str>] = &[None, Some("Ada"), Some("ada"), Some("Ünal"), Some("O'Brien"), Some("x_y%z")];
const EXTERNAL: &[Option<&str>] = &[None, Some("EXT-1"), Some("ext-1x"), Some("00u1"), Some("a%b")];

/// A tiny deterministic generator: the cases must be the same on every run and engine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

async fn users(tx: &mut dyn Tx, org: &OrganizationSid) -> Vec<ScimUser> {
    let mut rng = Lcg(7);
    let mut out = Vec::new();
    for i in 0..36 {
        let mut user = fixtures::user(&format!("User{i}.{}@Acme.test", i % 5), NAMES[i % NAMES.len()], Some(org));
        // Whole milliseconds for most, microseconds for some: the resource shows milliseconds.
        user.created_at = t0() + Duration::milliseconds(i as i64 * 250) + Duration::microseconds((i % 3) as i64 * 7);
        tx.insert_user(&user, None).await.unwrap();
        let profile = ScimProfile {
            external_id: EXTERNAL[rng.next(EXTERNAL.len())].map(|e| format!("{e}{i}")),
            given_name: PARTS[rng.next(PARTS.len())].map(str::to_owned),
            family_name: PARTS[rng.next(PARTS.len())].map(str::to_owned),
            attributes: serde_json::Map::new(),
        };
        let updated = t0() + Duration::seconds(i as i64);
        tx.put_scim_profile(org, &user.sid, &profile, updated).await.unwrap();
        if i % 3 == 0 {
            tx.set_user_status(&user.sid, UserStatus::Deactivated, updated).await.unwrap();
        }
        let stored = tx.user(&user.sid).await.unwrap().unwrap();
        out.push(ScimUser { user: stored, profile });
    }
    out
}

fn time(t: DateTime<Utc>) -> String {
    gatehouse_domain::scim::scim_time(t)
}

/// Comparisons over every attribute the resource has (and some it has not).
fn comparisons(users: &[ScimUser]) -> Vec<String> {
    let attributes = [
        "id",
        "userName",
        "emails",
        "emails.value",
        "emails.type",
        "emails.primary",
        "displayName",
        "name.formatted",
        "name.givenName",
        "name.familyName",
        "externalId",
        "active",
        "meta.created",
        "meta.lastModified",
        "meta.resourceType",
        "schemas",
        "name",
        "favoriteColor",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    ];
    let first = &users[4];
    let strings: Vec<String> = vec![
        first.user.sid.to_string(),
        first.user.sid.as_str()[..6].to_owned(),
        first.user.email.as_str().to_uppercase(),
        "ACME.TEST".into(),
        "user1".into(),
        "ada".into(),
        "ÁDA".into(),
        "áda".into(),
        "%".into(),
        "_".into(),
        "o'brien".into(),
        "EXT-1".into(),
        "ext-1".into(),
        "".into(),
        "work".into(),
        "WORK".into(),
        "User".into(),
        "M".into(),
    ];
    let instants = [&users[3], &users[17]].map(|u| [u.user.created_at, u.user.updated_at]);
    comparisons_of(&attributes, strings, instants.as_flattened())
}

/// `pr` and every operator of each attribute with each literal: the strings, each instant as
/// shown and a millisecond later, booleans, `null` and a number.
fn comparisons_of(attributes: &[&str], mut strings: Vec<String>, instants: &[DateTime<Utc>]) -> Vec<String> {
    for t in instants {
        strings.push(time(*t));
        strings.push(time(*t + Duration::milliseconds(1)));
    }
    let literals: Vec<String> = strings
        .iter()
        .map(|s| serde_json::to_string(s).unwrap())
        .chain(["true", "false", "null", "42"].map(str::to_owned))
        .collect();
    let mut out = Vec::new();
    for a in attributes {
        out.push(format!("{a} pr"));
        for op in ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"] {
            for l in &literals {
                out.push(format!("{a} {op} {l}"));
            }
        }
    }
    out
}

/// 250 random combinations of the answered comparisons with `and`, `or`, `not` and grouping
/// (some also joined with `anchor`).
fn combinations(answered: &[String], seed: u64, anchor: &str) -> Vec<String> {
    let mut rng = Lcg(seed);
    (0..250)
        .map(|_| {
            let a = &answered[rng.next(answered.len())];
            let b = &answered[rng.next(answered.len())];
            match rng.next(4) {
                0 => format!("{a} and not ({b})"),
                1 => format!("({a}) or {b}"),
                2 => format!("not ({a} or {b}) and {anchor}"),
                _ => format!("not (not ({a}) and {b})"),
            }
        })
        .collect()
}

/// `Ok(ids)` the store selects, or `Err` when the compiler refuses the filter.
async fn store_answer(tx: &mut dyn Tx, org: &OrganizationSid, filter: &str) -> Result<(Vec<UserSid>, u64), String> {
    let parsed = parse_filter(filter).map_err(|e| e.0)?;
    let condition = user_condition(&parsed).map_err(|e| e.0)?;
    let query = UserQuery { condition, order: None, descending: false, offset: 0, limit: 1000 };
    let (page, total) = tx.scim_user_page(org, &query).await.unwrap();
    Ok((page.into_iter().map(|u| u.user.sid).collect(), total))
}

fn memory_answer(users: &[ScimUser], filter: &str) -> Vec<UserSid> {
    let parsed = parse_filter(filter).unwrap();
    let mut ids: Vec<UserSid> = users
        .iter()
        .filter(|u| matches(&u.resource("https://x.test/scim/v2/Users"), &parsed, &user_case_exact))
        .map(|u| u.user.sid.clone())
        .collect();
    ids.sort();
    ids
}

/// Filters the compiler may refuse: date-times with a text operator or a literal that is not a
/// date-time (the evaluator would compare their text; the store compares instants).
fn refusable(filter: &str) -> bool {
    filter.starts_with("meta.created") || filter.starts_with("meta.lastModified")
}

async fn check(tx: &mut dyn Tx, org: &OrganizationSid, users: &[ScimUser], filter: &str) -> bool {
    match store_answer(tx, org, filter).await {
        Ok((ids, total)) => {
            let expected = memory_answer(users, filter);
            assert_eq!(ids, expected, "the store and the evaluator disagree on {filter}");
            assert_eq!(total, expected.len() as u64, "totalResults of {filter}");
            true
        }
        Err(e) => {
            assert!(refusable(filter), "{filter} was refused: {e}");
            false
        }
    }
}

pub async fn scim_user_filters_in_sql_select_what_the_evaluator_selects(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let other = fixtures::organization("Other");
    tx.insert_organization(&other).await.unwrap();
    let users = users(&mut *tx, &org.sid).await;
    // A user of another organization is never listed.
    tx.insert_user(&fixtures::user("ada@other.test", "Ada", Some(&other.sid)), None).await.unwrap();

    let singles = comparisons(&users);
    let mut answered = Vec::new();
    for f in &singles {
        if check(&mut *tx, &org.sid, &users, f).await {
            answered.push(f.clone());
        }
    }
    assert!(answered.len() > singles.len() * 3 / 4, "most comparisons are answered in SQL");
    // Combinations: and / or / not, grouping, and value paths.
    for f in combinations(&answered, 11, "userName co \"user\"") {
        check(&mut *tx, &org.sid, &users, &f).await;
    }
    for f in [
        "emails[type eq \"work\" and value co \"user2\"]",
        "emails[value sw \"USER1\"] or emails[primary eq false]",
        "name[givenName eq \"ada\" or familyName pr]",
        "not (name[familyName ew \"N\"])",
        "meta[resourceType eq \"User\"]",
        "emails[value.x eq 1]",
        "schemas[value eq \"x\"]",
        "schemas eq \"urn:ietf:params:scim:schemas:core:2.0:User\"",
        "favoriteColor[value pr]",
        "userName[value ne \"x\"]",
        "externalId[value ne \"x\"] and active eq true",
        "active[value pr]",
    ] {
        assert!(check(&mut *tx, &org.sid, &users, f).await, "{f} is answered");
    }
    for refused in [
        "meta.version eq \"W/\\\"1\\\"\"",
        "meta.location pr",
        "meta.created co \"2026\"",
        // Kept as sent, not indexed: refused rather than read as absent.
        "title eq \"Agent\"",
        "phoneNumbers[type eq \"work\"]",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"Sales\"",
    ] {
        assert!(store_answer(&mut *tx, &org.sid, refused).await.is_err(), "{refused} is refused");
    }
}

pub async fn scim_user_pages_are_sorted_counted_and_bounded_in_sql(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let users = users(&mut *tx, &org.sid).await;
    let all = |order: Option<UserOrder>, descending: bool| UserQuery {
        condition: UserCondition::Always(true),
        order,
        descending,
        offset: 0,
        limit: 1000,
    };
    let names = |page: &[ScimUser]| page.iter().map(|u| u.user.name.to_ascii_lowercase()).collect::<Vec<_>>();
    let by_name = user_order("displayName").unwrap();
    let (asc, total) = tx.scim_user_page(&org.sid, &all(by_name, false)).await.unwrap();
    assert_eq!(total, users.len() as u64);
    let mut sorted = names(&asc);
    sorted.sort();
    assert_eq!(names(&asc), sorted, "ascending by the folded name");
    let (desc, _) = tx.scim_user_page(&org.sid, &all(by_name, true)).await.unwrap();
    sorted.reverse();
    assert_eq!(names(&desc), sorted, "descending");
    // Users without a given name come last, in either direction.
    let by_given = user_order("name.givenName").unwrap();
    for descending in [false, true] {
        let (page, _) = tx.scim_user_page(&org.sid, &all(by_given, descending)).await.unwrap();
        let first_absent = page.iter().position(|u| u.profile.given_name.is_none()).unwrap();
        assert!(page[first_absent..].iter().all(|u| u.profile.given_name.is_none()), "absent values last");
    }
    // A page is a window of the same order, and the count is of every match.
    let mut window = all(None, false);
    window.offset = 5;
    window.limit = 7;
    let (page, total) = tx.scim_user_page(&org.sid, &window).await.unwrap();
    let mut ids: Vec<UserSid> = users.iter().map(|u| u.user.sid.clone()).collect();
    ids.sort();
    assert_eq!(page.iter().map(|u| u.user.sid.clone()).collect::<Vec<_>>(), ids[5..12].to_vec());
    assert_eq!(total, users.len() as u64);
    assert_eq!(user_order("favoriteColor").unwrap(), None, "an attribute no user has leaves SID order");
    assert!(user_order("title").is_err(), "an attribute kept as sent is not sorted on");
}

const GROUP_NAMES: &[&str] = &["Engineering", "engineering-ops", "ÉQUIPE", "100% Sales", "a_b", "Ops", "ops"];

/// Groups with varied names, externalIds, times and members (some none, one user in many).
async fn groups(tx: &mut dyn Tx, org: &OrganizationSid) -> (Vec<(Group, Vec<User>)>, Vec<User>) {
    let mut people = Vec::new();
    for (i, name) in NAMES.iter().enumerate() {
        let user = fixtures::user(&format!("member{i}@acme.test"), name, Some(org));
        tx.insert_user(&user, None).await.unwrap();
        people.push(user);
    }
    people.sort_by(|a, b| a.sid.cmp(&b.sid));
    let mut rng = Lcg(5);
    let mut out = Vec::new();
    for i in 0..18 {
        let group = Group {
            sid: GroupSid::generate(),
            organization_sid: org.clone(),
            display_name: format!(
                "{}{}",
                GROUP_NAMES[i % GROUP_NAMES.len()],
                if i < 7 { String::new() } else { i.to_string() }
            ),
            external_id: EXTERNAL[rng.next(EXTERNAL.len())].map(|e| format!("{e}{i}")),
            created_at: t0() + Duration::milliseconds(i as i64 * 250) + Duration::microseconds((i % 3) as i64 * 7),
            updated_at: t0() + Duration::seconds(i as i64),
        };
        tx.insert_group(&group).await.unwrap();
        // A third have no members; the first person is in most of the rest.
        let members: Vec<User> = if i % 3 == 0 {
            Vec::new()
        } else {
            people
                .iter()
                .enumerate()
                .filter(|(j, _)| (j + i) % 4 == 0 || (*j == 0 && i % 5 != 1))
                .map(|(_, u)| u.clone())
                .collect()
        };
        let sids: Vec<UserSid> = members.iter().map(|u| u.sid.clone()).collect();
        tx.add_group_members(&group.sid, &sids).await.unwrap();
        out.push((group, members));
    }
    (out, people)
}

const BASE: &str = "https://x.test/scim/v2";

async fn check_groups(
    tx: &mut dyn Tx,
    org: &OrganizationSid,
    groups: &[(Group, Vec<User>)],
    filter: &str,
) -> Result<(), String> {
    let parsed = parse_filter(filter).map_err(|e| e.0)?;
    let condition = group_condition(&parsed).map_err(|e| e.0)?;
    let query = GroupQuery { condition, order: None, descending: false, offset: 0, limit: 1000 };
    let (page, total) = tx.scim_group_page(org, &query).await.unwrap();
    let found: Vec<GroupSid> = page.into_iter().map(|g| g.sid).collect();
    let mut expected: Vec<GroupSid> = groups
        .iter()
        .filter(|(g, members)| matches(&group_resource(g, Some(members), BASE), &parsed, &group_case_exact))
        .map(|(g, _)| g.sid.clone())
        .collect();
    expected.sort();
    assert_eq!(found, expected, "the store and the evaluator disagree on {filter}");
    assert_eq!(total, expected.len() as u64, "totalResults of {filter}");
    Ok(())
}

pub async fn scim_group_filters_in_sql_select_what_the_evaluator_selects(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let (groups, people) = groups(&mut *tx, &org.sid).await;
    let attributes = [
        "id",
        "displayName",
        "externalId",
        "members",
        "members.value",
        "members.display",
        "members.type",
        "members.title",
        "meta.created",
        "meta.lastModified",
        "meta.resourceType",
        "schemas",
        "meta",
        "title",
        "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
    ];
    let strings: Vec<String> = vec![
        people[0].sid.to_string(),
        people[3].sid.to_string(),
        people[3].sid.as_str()[..5].to_owned(),
        groups[4].0.sid.to_string(),
        "engineering".into(),
        "ENG".into(),
        "ops".into(),
        "équipe".into(),
        "ÉQUIPE".into(),
        "%".into(),
        "_".into(),
        "ada".into(),
        "Ada Lovelace".into(),
        "EXT-1".into(),
        "User".into(),
        "user".into(),
        "Group".into(),
        "".into(),
        "M".into(),
    ];
    let instants = [&groups[3], &groups[11]].map(|(g, _)| [g.created_at, g.updated_at]);
    let singles = comparisons_of(&attributes, strings, instants.as_flattened());
    let mut answered = Vec::new();
    for f in &singles {
        match check_groups(&mut *tx, &org.sid, &groups, f).await {
            Ok(()) => answered.push(f.clone()),
            Err(e) => assert!(refusable(f), "{f} was refused: {e}"),
        }
    }
    assert!(answered.len() > singles.len() * 3 / 4, "most comparisons are answered in SQL");
    for f in combinations(&answered, 13, "displayName co \"e\"") {
        check_groups(&mut *tx, &org.sid, &groups, &f).await.unwrap();
    }
    let someone = people[3].sid.as_str();
    for f in [
        format!("members[value eq \"{someone}\"]"),
        format!("members[value eq \"{someone}\" and type eq \"User\"] or displayName eq \"ops\""),
        format!("not (members[value eq \"{someone}\"])"),
        "members[display sw \"a\" or display co \"%\"]".into(),
        "members[type eq \"User\"]".into(),
        "members[type ne \"User\"]".into(),
        "members[value.x eq 1]".into(),
        "members[title pr]".into(),
        "members[not (display eq \"bob\")]".into(),
        "meta[resourceType eq \"Group\"]".into(),
        format!("meta[created gt \"{}\"]", time(groups[5].0.created_at)),
        "meta[location pr]".into(),
        "displayName[value pr]".into(),
        "schemas eq \"urn:ietf:params:scim:schemas:core:2.0:Group\"".into(),
    ] {
        let answer = check_groups(&mut *tx, &org.sid, &groups, &f).await;
        assert!(answer.is_ok() || f.contains("location"), "{f} is answered: {answer:?}");
    }
    for derived in ["members.$ref pr", "meta.version eq \"x\"", "meta.location pr", "meta[location pr]"] {
        let refused = parse_filter(derived).map_err(|e| e.0).and_then(|f| group_condition(&f).map_err(|e| e.0));
        assert!(refused.is_err(), "{derived} is refused");
    }
    // Sorted by the folded name (absent externalIds last), and paged.
    let all = |order, descending| GroupQuery {
        condition: Condition::Always(true),
        order,
        descending,
        offset: 0,
        limit: 1000,
    };
    let (by_name, total) =
        tx.scim_group_page(&org.sid, &all(group_order("displayName").unwrap(), false)).await.unwrap();
    assert_eq!(total, groups.len() as u64);
    let names: Vec<String> = by_name.iter().map(|g| g.display_name.to_ascii_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "ascending by the folded name");
    for descending in [false, true] {
        let (page, _) =
            tx.scim_group_page(&org.sid, &all(group_order("externalId").unwrap(), descending)).await.unwrap();
        let first_absent = page.iter().position(|g| g.external_id.is_none()).unwrap();
        assert!(page[first_absent..].iter().all(|g| g.external_id.is_none()), "absent values last");
    }
    assert!(group_order("members.value").is_err(), "no sort by members");
    let window = GroupQuery { offset: 4, limit: 5, ..all(None, false) };
    let (page, total) = tx.scim_group_page(&org.sid, &window).await.unwrap();
    let mut ids: Vec<GroupSid> = groups.iter().map(|(g, _)| g.sid.clone()).collect();
    ids.sort();
    assert_eq!(page.into_iter().map(|g| g.sid).collect::<Vec<_>>(), ids[4..9].to_vec());
    assert_eq!(total, groups.len() as u64);
}
