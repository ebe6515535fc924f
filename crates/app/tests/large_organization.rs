//! An organization of 20,000 users, listed the ways SCIM and the Admin Center list it: each
//! request reads a page's worth of rows, never the organization (counted by the store).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use gatehouse_domain::page::PageRequest;
use gatehouse_domain::scim::ScimProfile;
use gatehouse_domain::scim_filter::parse_filter;
use gatehouse_domain::scim_filter::users::{UserCondition, UserQuery, user_condition, user_order};
use gatehouse_domain::store::Store;
use gatehouse_domain::user::{Email, User};

use support::{app, as_user, new_org, t0};

const USERS: usize = 20_000;
/// What one page may read: its rows, the caller's grants and a few lookups, with room to spare.
const BUDGET: u64 = 500;

async fn listed_within_budget(store: Arc<dyn Store>) {
    let (app, _) = app(store.clone());
    let created = new_org(&app, "owner@acme.test").await;
    let org = created.organization.sid.clone();
    let mut tx = store.write().await.unwrap();
    for i in 0..USERS {
        let user = User::new(
            Email::parse(&format!("user{i}@acme.test")).unwrap(),
            format!("Big User {i}"),
            Some(org.clone()),
            t0(),
        );
        tx.insert_user(&user, None).await.unwrap();
        let profile = ScimProfile { external_id: Some(format!("ext{i}")), ..ScimProfile::default() };
        tx.put_scim_profile(&org, &user.sid, &profile, t0()).await.unwrap();
    }
    tx.commit().await.unwrap();
    let owner = as_user(&created.user);
    let admin = gatehouse_domain::policy::Actor::system();

    let reads = |label: &'static str, before: u64| {
        let read = store.stats().rows_read - before;
        assert!(read <= BUDGET, "{label} read {read} rows for one page of a {USERS}-user organization");
    };
    let scim = |filter: Option<&str>, sort: Option<&str>, offset: u64| UserQuery {
        condition: filter.map_or(UserCondition::Always(true), |f| user_condition(&parse_filter(f).unwrap()).unwrap()),
        order: sort.and_then(|s| user_order(s).unwrap()),
        descending: false,
        offset,
        limit: 100,
    };

    for (label, query) in [
        ("SCIM first page", scim(None, None, 0)),
        ("SCIM userName eq", scim(Some("userName eq \"USER19999@acme.test\""), None, 0)),
        ("SCIM externalId eq", scim(Some("externalId eq \"ext12345\""), None, 0)),
        ("SCIM sorted by userName", scim(None, Some("userName"), 0)),
    ] {
        let before = store.stats().rows_read;
        let (page, total) = app.scim_users(&admin, &org, &query).await.unwrap();
        reads(label, before);
        assert!(!page.is_empty() && total >= 1, "{label} found users");
    }
    let (found, total) =
        app.scim_users(&admin, &org, &scim(Some("userName eq \"user19999@acme.test\""), None, 0)).await.unwrap();
    assert_eq!((found.len(), total), (1, 1));
    assert_eq!(found[0].user.email.as_str(), "user19999@acme.test");

    // The Admin Center's users tabs: first page, a later page, managed only, the independent
    // users, and searches (one letter matches every address; "big" every name), each with
    // its next page.
    let first = PageRequest::first(50);
    let mut cursor = None;
    for (label, search, managed) in [
        ("users page", None, None),
        ("next page", None, None),
        ("managed tab", None, Some(true)),
        ("search", Some("user1999"), None),
        ("one-letter search", Some("u"), None),
        ("next page", Some("u"), None),
        ("name search", Some("big"), None),
        ("next page", Some("big"), None),
    ] {
        let page = PageRequest {
            after: if label == "next page" { cursor.clone() } else { None },
            search: search.map(str::to_owned),
            ..first.clone()
        };
        let before = store.stats().rows_read;
        let listed = app.organization_users(&owner, &org, &page, managed).await.unwrap();
        reads(label, before);
        assert!(!listed.items.is_empty(), "{label} lists users");
        assert_eq!(listed.next_after.is_some(), label != "search", "{label} has more, or not");
        cursor = listed.next_after.clone();
    }
    let before = store.stats().rows_read;
    let independent = app.organization_users(&owner, &org, &first, Some(false)).await.unwrap();
    reads("independent tab", before);
    assert!(independent.items.is_empty(), "nobody outside the organization holds a role in it");
}

#[tokio::test]
async fn a_large_organization_is_listed_a_page_at_a_time_on_sqlite() {
    listed_within_budget(support::sqlite_store().await).await;
}

#[tokio::test]
async fn a_large_organization_is_listed_a_page_at_a_time_on_postgres() {
    if let Some(store) = support::postgres_store().await {
        listed_within_budget(store).await;
    }
}
